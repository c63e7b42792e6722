import "server-only";
import type { z } from "zod";
import { getViewer, type Viewer } from "@/lib/auth/session";
import { trustedOriginsFor } from "@/lib/auth/trusted-origins";
import { getEnv } from "@/lib/env";
import { AppError } from "./errors";

// The checks every mutation makes, in the order that keeps a rejected request
// from touching anything: cross-site (403) → signed in (401) → body size (413)
// → JSON (400) → fields (400). Services then check existence, ownership and
// rate limits before they write.

/** Request bodies above this are refused before they are parsed. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Refuses a mutation that a browser sent from another site: an `Origin` that
 * is neither this server's own (as the request's Host names it) nor the app's
 * configured URL (BETTER_AUTH_URL, with its loopback twin in development), or
 * `Sec-Fetch-Site: cross-site`. Clients that send neither header are judged
 * by their session alone (docs/api.md).
 */
export function assertSameOrigin(req: Request): void {
  if (req.headers.get("sec-fetch-site") === "cross-site") throw forbiddenCrossSite();
  const origin = req.headers.get("origin");
  if (origin === null) return;
  const host = req.headers.get("host") ?? new URL(req.url).host;
  const proto = req.headers.get("x-forwarded-proto") ?? new URL(req.url).protocol.replace(":", "");
  let allowed = false;
  try {
    const claimed = new URL(origin).origin;
    allowed = claimed === `${proto}://${host}` || trustedOriginsFor(getEnv().authUrl).includes(claimed);
  } catch {
    allowed = false; // "null" or garbage
  }
  if (!allowed) throw forbiddenCrossSite();
}

function forbiddenCrossSite(): AppError {
  return new AppError("forbidden", "Cross-site requests cannot change anything here.");
}

/** The signed-in viewer, or null — without touching the auth library when there is no cookie at all. */
export async function findViewer(req: Request): Promise<Viewer | null> {
  const cookie = req.headers.get("cookie");
  if (!cookie || !cookie.includes("session_token")) return null;
  return getViewer(req.headers);
}

/** The signed-in viewer, or 401. */
export async function requireViewer(req: Request): Promise<Viewer> {
  const viewer = await findViewer(req);
  if (!viewer) throw new AppError("unauthenticated", "Sign in to do this.");
  return viewer;
}

/**
 * Reads and validates a JSON body: 413 over 64 KiB (by Content-Length before
 * reading, and while reading when there is none), 400 for anything that is
 * not JSON or does not match `schema` (one detail per invalid field).
 */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await readLimited(req);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new AppError("validation_error", "The request body is not valid JSON.");
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new AppError(
      "validation_error",
      "Some fields are invalid.",
      parsed.error.issues.map((i) => ({ field: i.path.join(".") || undefined, message: i.message })),
    );
  }
  return parsed.data;
}

async function readLimited(req: Request): Promise<string> {
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The client went away mid-body (or lied about its length): nothing to do but refuse.
      throw new AppError("validation_error", "The request body ended before it was complete.");
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = Buffer.concat(chunks);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AppError("validation_error", "The request body is not valid UTF-8.");
  }
}

/** Validates the query string: 400 with one detail per invalid parameter. */
export function readQuery<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  const parsed = schema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!parsed.success) {
    throw new AppError(
      "validation_error",
      "Invalid query string.",
      parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })),
    );
  }
  return parsed.data;
}

function tooLarge(): AppError {
  return new AppError("payload_too_large", `The request body is larger than ${MAX_BODY_BYTES / 1024} KiB.`);
}
