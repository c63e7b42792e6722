import { toNextJsHandler } from "better-auth/next-js";
import { getAuth } from "@/lib/auth/auth";
import { withClientAddress } from "@/lib/http/client-address";
import { assertSameOrigin } from "@/lib/http/guards";
import { errorResponse } from "@/lib/http/respond";
import { unlessDatabaseDown } from "@/lib/http/unavailable";
import { currentScope, inScope } from "@/lib/scope";

export const dynamic = "force-dynamic";

// better-auth's own routes (sign up, sign in, sign out, session). It answers
// its own errors — a 500 when the database cannot be reached — and the API
// contract (docs/api.md) wants 503 `unavailable` then.
const answer = (run: () => Promise<Response>) =>
  inScope(async () => {
    try {
      return unlessDatabaseDown(await run(), currentScope());
    } catch (error) {
      return errorResponse(error);
    }
  });

export const GET = (req: Request) => answer(() => handle("GET", req));

// better-auth checks the Origin only when the request carries cookies; the
// contract refuses every cross-site mutation, so its POSTs get our check first.
export const POST = (req: Request) =>
  answer(() => {
    assertSameOrigin(req);
    return handle("POST", req);
  });

/**
 * Hands the request to better-auth with the client's address as the rest of
 * the app defines it (its rate limits key on it), and gives its 429s the
 * `Retry-After` header the contract promises (it sends `X-Retry-After` only).
 */
async function handle(method: "GET" | "POST", req: Request): Promise<Response> {
  const res = await toNextJsHandler(getAuth())[method](new Request(req, { headers: withClientAddress(req.headers) }));
  const retryAfter = res.headers.get("x-retry-after");
  if (res.status !== 429 || retryAfter === null || res.headers.has("retry-after")) return res;
  const headers = new Headers(res.headers);
  headers.set("Retry-After", retryAfter);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
