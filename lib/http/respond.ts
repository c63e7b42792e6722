import "server-only";
import { createHash } from "node:crypto";
import { databaseFailure } from "@/lib/db/availability";
import { requestLogger } from "@/lib/log";
import { currentScope, inScope, type RequestScope } from "@/lib/scope";
import { DomainError } from "@/lib/domain/errors";
import { AppError, fromDomainError } from "./errors";
import { accountingHeaders, etagMatches, jsonHeaders } from "./headers";
import { failedOnDatabase, unavailableResponse } from "./unavailable";

// The route wrapper: every /api handler runs in a request scope, errors map to
// the docs/api.md shape in one place, and the scope's accounting becomes headers.

type Handler<C> = (req: Request, ctx: C) => Promise<Response>;

/**
 * Wraps a route handler: request scope (the server's, or a new one when the
 * handler is called directly, as tests do), error mapping, accounting headers.
 */
export function route<C>(handler: Handler<C>): Handler<C> {
  return (req, ctx) =>
    inScope(async () => {
      let res: Response;
      try {
        res = await handler(req, ctx);
      } catch (error) {
        res = errorResponse(error);
      }
      const scope = currentScope();
      if (scope) addAccountingHeaders(res.headers, scope);
      return res;
    });
}

/**
 * The docs/api.md error body for any thrown value: an AppError (or a
 * domain's error) as it says; a database that could not be reached 503
 * `unavailable` (with Retry-After); anything else a bare 500.
 */
export function errorResponse(thrown: unknown): Response {
  const error = thrown instanceof DomainError ? fromDomainError(thrown) : thrown;
  if (!(error instanceof AppError) && failedOnDatabase(error, currentScope())) {
    // The reason, not the error: during an outage every request logs this line.
    requestLogger().warn({ dbFailure: databaseFailure(error) ?? "earlier in the request" }, "the database is unavailable: 503");
    return unavailableResponse();
  }
  if (error instanceof AppError) {
    const body = { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
    return Response.json(body, { status: error.status, headers: { "Cache-Control": "no-store", ...error.headers } });
  }
  // Never leak a stack trace or SQL to the client.
  requestLogger().error({ err: error }, "unhandled error");
  return Response.json(
    { error: { code: "internal", message: "Something went wrong on our side." } },
    { status: 500, headers: { "Cache-Control": "no-store" } },
  );
}

/**
 * A JSON 200 (or `status`). For a GET 200 it sets an ETag: `etag` when the
 * caller derived one from what the data was built from (then a matching
 * If-None-Match gets a 304 before the body is serialized), else a hash of the
 * exact bytes. `Vary: Cookie` because bodies may carry per-viewer fields.
 */
export function jsonResponse(req: Request, data: unknown, options: { status?: number; etag?: string | null } = {}): Response {
  return respondJson(req, () => JSON.stringify(data), options);
}

/**
 * A read's result as a JSON 200 (jsonResponse's rules): its ETag, and its
 * body as the read already has it serialized (a whole response from the
 * cache: sent as is, `data` never touched), else `data` serialized.
 */
export function readResponse(req: Request, read: { readonly data: unknown; readonly etag: string | null; readonly json?: string }): Response {
  return respondJson(req, () => read.json ?? JSON.stringify(read.data), { etag: read.etag });
}

function respondJson(req: Request, serialize: () => string, options: { status?: number; etag?: string | null }): Response {
  const status = options.status ?? 200;
  const conditional = req.method === "GET" && status === 200;
  const etag = conditional ? options.etag : null;
  if (etag && etagMatches(req.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers: jsonHeaders(etag) });
  const body = serialize();
  if (conditional && !etag) {
    const hashed = `"${createHash("sha1").update(body).digest("base64url")}"`;
    if (etagMatches(req.headers.get("if-none-match"), hashed)) return new Response(null, { status: 304, headers: jsonHeaders(hashed) });
    return new Response(body, { status, headers: jsonHeaders(hashed) });
  }
  return new Response(body, { status, headers: jsonHeaders(etag ?? null) });
}

/** 405 in the docs/api.md shape, with the methods the path does allow. */
export function methodNotAllowed(allow: string[]): () => Response {
  return () =>
    Response.json(
      { error: { code: "method_not_allowed", message: `Use ${allow.join(", ")} on this path.` } },
      { status: 405, headers: { Allow: allow.join(", ") } },
    );
}

function addAccountingHeaders(headers: Headers, scope: RequestScope): void {
  for (const [name, value] of accountingHeaders(scope, "json")) headers.set(name, value);
}
