// Calls the real route handlers in-process (no mocks: real PostgreSQL and
// Redis behind them), the way Next.js calls them.

// `never` lets any route's own context type in; the call below supplies params.
type RouteHandler = (req: Request, ctx: never) => Response | Promise<Response>;

export const BASE = "http://localhost:3000";

export async function call(
  handler: RouteHandler,
  path: string,
  init: RequestInit & { params?: Record<string, string> } = {},
): Promise<Response> {
  const { params = {}, ...rest } = init;
  return handler(new Request(new URL(path, BASE), rest), { params: Promise.resolve(params) } as never);
}

export async function json<T = unknown>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export function dbQueries(res: Response): number {
  const value = res.headers.get("x-db-queries");
  if (value === null) throw new Error("response has no X-DB-Queries header");
  return Number(value);
}

export function expectErrorShape(body: unknown, code: string): void {
  const b = body as { error?: { code?: unknown; message?: unknown } };
  if (!b.error || b.error.code !== code || typeof b.error.message !== "string" || b.error.message === "") {
    throw new Error(`expected an error body with code ${code}, got ${JSON.stringify(body)}`);
  }
}
