import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { getSessionEmail } from "@/lib/auth/session";
import { type Env, getEnv } from "@/lib/env";
import { clientAddress, isLoopback } from "./client-address";
import { AppError } from "./errors";

// Who may read the operator surfaces (docs/decisions/009-operator-surfaces.md).
//
// - `metrics` (GET /api/metrics, for a scraper): `Authorization: Bearer <METRICS_TOKEN>`.
// - `dashboard` (the /cache page, in a browser): signed in as one of ADMIN_EMAILS.
// - `feed` (GET /api/cache-stats: the dashboard's data, polled by the page,
//   or read by a script): either of the two.
// - With NEITHER variable set (the zero-config local start), all three answer
//   loopback clients only. Once either is set, loopback grants nothing: a
//   reverse proxy on the same host would make every request look local.

export type OperatorSurface = "metrics" | "dashboard" | "feed";

/** Whether the request with `headers` may read `surface`. A session is looked up only when ADMIN_EMAILS could grant it. */
export async function mayReadOperatorSurface(surface: OperatorSurface, headers: Headers, env: Env = getEnv()): Promise<boolean> {
  if (env.METRICS_TOKEN === undefined && env.ADMIN_EMAILS === undefined) return isLoopback(clientAddress(headers));
  if (surface !== "dashboard" && env.METRICS_TOKEN !== undefined && bearerMatches(headers, env.METRICS_TOKEN)) return true;
  if (surface !== "metrics" && env.ADMIN_EMAILS !== undefined) {
    const email = await getSessionEmail(headers);
    return email !== null && env.ADMIN_EMAILS.includes(email);
  }
  return false;
}

/**
 * For the operator API routes: returns when the request may read `surface`,
 * else throws 401 `unauthenticated` when a credential it accepts is
 * configured (with `WWW-Authenticate: Bearer` when that is the token), or 403
 * `forbidden` when none could help (a non-loopback client in the zero-config
 * setup; /api/metrics with ADMIN_EMAILS but no METRICS_TOKEN).
 */
export async function assertOperator(req: Request, surface: "metrics" | "feed", env: Env = getEnv()): Promise<void> {
  if (await mayReadOperatorSurface(surface, req.headers, env)) return;
  const token = env.METRICS_TOKEN !== undefined;
  const admins = surface === "feed" && env.ADMIN_EMAILS !== undefined;
  if (token || admins) {
    const how = [token ? "Authorization: Bearer <METRICS_TOKEN>" : null, admins ? "an admin's session" : null].filter(Boolean).join(" or ");
    throw new AppError("unauthenticated", `This operator route needs ${how}.`, undefined, token ? { "WWW-Authenticate": 'Bearer realm="operator"' } : undefined);
  }
  throw new AppError(
    "forbidden",
    env.ADMIN_EMAILS === undefined
      ? "Operator routes answer this machine only until METRICS_TOKEN or ADMIN_EMAILS is set."
      : "Set METRICS_TOKEN to read this route.",
  );
}

/** `Authorization: Bearer <token>`, compared in constant time (both sides hashed to one length first). */
function bearerMatches(headers: Headers, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(headers.get("authorization") ?? "");
  if (!match) return false;
  return timingSafeEqual(sha256(match[1]!), sha256(token));
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
