import type { IncomingMessage, ServerResponse } from "node:http";
import { databaseFailure } from "@/lib/db/availability";
import { currentScope, type RequestScope } from "@/lib/scope";

// 503 `unavailable`: the database cannot be reached (this module), or the
// server is shedding load (./admission.ts). Both say "not now" rather than
// "a bug", carry `Retry-After`, and never leave anything half written.
// No "server-only" here: server.ts (run by tsx, outside Next) calls it too.

/** Seconds a client should wait after a 503 for an unreachable database: about a restart or a failover. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export const DATABASE_UNAVAILABLE_MESSAGE = "The database cannot be reached right now; nothing was changed. Try again in a few seconds.";

/** The docs/api.md body of a 503 `unavailable`. */
export function unavailableBody(message: string): string {
  return JSON.stringify({ error: { code: "unavailable", message } });
}

/** A 503 `unavailable` Response (route handlers). */
export function unavailableResponse(message = DATABASE_UNAVAILABLE_MESSAGE, retryAfterSeconds = DATABASE_RETRY_AFTER_SECONDS): Response {
  return new Response(unavailableBody(message), {
    status: 503,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "Retry-After": String(retryAfterSeconds) },
  });
}

/**
 * Whether a request failed because of the database: its error says so, or
 * (for an error that says nothing, e.g. a library's own "internal error") a
 * statement of this same request found the database unreachable.
 */
export function failedOnDatabase(error: unknown, scope: RequestScope | undefined): boolean {
  return databaseFailure(error) !== null || scope?.db.unavailable === true;
}

/** What `pageUnavailable` returns: render the "temporarily unavailable" message. */
export const UNAVAILABLE = Symbol("database unavailable");

/**
 * For a page whose load failed: when the database could not be reached, marks
 * the response 503 (see `degradePageStatus`) and returns UNAVAILABLE, for the
 * page to render its short "temporarily unavailable" message in the site's
 * layout (server-rendered: readable without JavaScript). Any other error is
 * thrown on (a 500, app/error.tsx).
 */
export function pageUnavailable(error: unknown): typeof UNAVAILABLE {
  if (databaseFailure(error) === null) throw error;
  const scope = currentScope();
  if (scope) scope.unavailable = true;
  return UNAVAILABLE;
}

/**
 * Sends a page out as 503 + `Retry-After` when the database kept it from
 * being built: a page that rendered its "temporarily unavailable" message
 * (`pageUnavailable`; Next would send it as a 200), or any 5xx of a request
 * whose statements found the database unreachable (a page that threw). A
 * server component cannot set its own status, so this fixes it on the way
 * out. Call it once per request, before the handler runs: it wraps
 * `res.writeHead`, through which every response's head goes (Node's implicit
 * headers included). Redirects and 4xx are left alone.
 */
export function degradePageStatus(res: ServerResponse<IncomingMessage>, scope: RequestScope): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const status = typeof args[0] === "number" ? args[0] : res.statusCode;
    if (status !== 503 && ((scope.unavailable && status < 300) || (status >= 500 && scope.db.unavailable))) {
      // writeHead(status, [message], [headers]): drop a reason phrase meant for the old status.
      if (typeof args[1] === "string") args.splice(1, 1);
      args[0] = 503;
      res.statusCode = 503;
      res.setHeader("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS));
      res.setHeader("Cache-Control", "no-store");
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;
}

/**
 * For a handler that answers its own errors (better-auth's): its 5xx becomes
 * 503 `unavailable` when this request found the database unreachable.
 */
export function unlessDatabaseDown(res: Response, scope: RequestScope | undefined): Response {
  return res.status >= 500 && scope?.db.unavailable === true ? unavailableResponse() : res;
}
