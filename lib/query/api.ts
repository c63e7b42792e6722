// The browser's only way to the server: same-origin JSON calls to the API of
// docs/api.md. Every failure becomes an ApiError, so components handle one type.

import { CODE_OF_STATUS, type ErrorCode, type ErrorDetail } from "@/lib/http/errors";

/** One entry of an error's `details` (docs/api.md: one per invalid field) — the server's own type. */
export type ApiErrorDetail = ErrorDetail;

/** Codes of docs/api.md (the server's own list), plus `network_error` for a request that never got an answer. */
export type ApiErrorCode = ErrorCode | "network_error" | (string & {});

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    /** HTTP status; 0 when the request never got a response. */
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details: ApiErrorDetail[] = [],
    /** Seconds from `Retry-After` (429), or null. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

/**
 * `Retry-After` in whole seconds: delta-seconds, or an HTTP date (counted from
 * `now`, never negative). Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // An HTTP date names its day and month ("Fri, 27 Nov 2026 10:00:30 GMT");
  // without that test Date.parse would read "-5" as a year.
  if (!/[a-z]/i.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseDetails(raw: unknown): ApiErrorDetail[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((d): ApiErrorDetail[] => {
    if (!isRecord(d) || typeof d.message !== "string") return [];
    return [typeof d.field === "string" ? { field: d.field, message: d.message } : { message: d.message }];
  });
}

/**
 * The ApiError for a non-2xx answer. `body` is the parsed JSON (or anything
 * else, e.g. a proxy's HTML page → null): the docs/api.md shape is used when it is
 * there, else the status decides the code and a generic message is used.
 */
export function parseApiError(status: number, body: unknown, headers: Pick<Headers, "get">, now?: number): ApiError {
  const retryAfter = parseRetryAfter(headers.get("retry-after"), now);
  const error = isRecord(body) && isRecord(body.error) ? body.error : null;
  const code =
    error && typeof error.code === "string" ? error.code : (CODE_OF_STATUS[status] ?? (status >= 500 ? "internal" : "unknown"));
  const message =
    error && typeof error.message === "string" && error.message
      ? error.message
      : status >= 500
        ? "Something went wrong on our side. Please try again."
        : `The request failed (HTTP ${status}).`;
  return new ApiError(status, code, message, error ? parseDetails(error.details) : [], retryAfter);
}

export interface FetchJsonInit {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * Calls the API and returns its JSON (undefined for a 204). Throws ApiError
 * for a non-2xx answer or a network failure; an abort is rethrown as is so
 * React Query sees a cancellation, not an error.
 *
 * Same-origin `fetch` sends the session cookie and the page's own `Origin`,
 * which is what the API's cross-site check expects of a browser.
 */
export async function fetchJson<T>(path: string, init: FetchJsonInit = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
      signal: init.signal,
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(0, "network_error", "Could not reach the server. Check your connection and try again.");
  }
  if (res.status === 204) return undefined as T;
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw parseApiError(res.status, body, res.headers);
  return body as T;
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/** Whether a failed query is worth retrying: only when the server never answered or failed itself. */
export function isRetryable(error: unknown): boolean {
  return error instanceof ApiError ? error.status === 0 || error.status >= 500 : true;
}

/**
 * One line a person can act on, for an inline error. `action` names what
 * failed ("Your like was not saved").
 */
export function describeError(error: unknown, action?: string): string {
  const prefix = action ? `${action}. ` : "";
  if (!(error instanceof ApiError)) return `${prefix}Something went wrong. Please try again.`;
  switch (error.code) {
    case "rate_limited":
      return error.retryAfter !== null
        ? `${prefix}You're doing that too often — try again in ${error.retryAfter} s.`
        : `${prefix}You're doing that too often — try again in a moment.`;
    case "unauthenticated":
      return `${prefix}Your session has ended — please sign in again.`;
    case "forbidden":
      return `${prefix}You are not allowed to do that.`;
    case "not_found":
      return `${prefix}This post no longer exists.`;
    case "unavailable":
      return `${prefix}The site is busy or cannot reach its database right now — try again in ${error.retryAfter ?? "a few"} s.`;
    case "validation_error": {
      const detail = error.details.map((d) => d.message).join(" ");
      return `${prefix}${detail || error.message}`;
    }
    default:
      return `${prefix}${error.message}`;
  }
}
