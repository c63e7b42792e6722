import type { DomainError } from "@/lib/domain/errors";

// The HTTP errors (what a request did wrong: not signed in, a bad body, a
// cross-site mutation…), the contract's codes and their statuses, and one
// place (lib/http/respond.ts) that turns them — and the domains' own errors
// (lib/domain/errors.ts) — into the docs/api.md error shape.

export type ErrorCode =
  | "validation_error"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "rate_limited"
  | "internal"
  | "unavailable";

export const STATUS_OF: Record<ErrorCode, number> = {
  validation_error: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/** The code of each status (STATUS_OF turned around): what a client may expect for a bare status. */
export const CODE_OF_STATUS: Readonly<Record<number, ErrorCode>> = Object.fromEntries(
  Object.entries(STATUS_OF).map(([code, status]) => [status, code as ErrorCode]),
);

export interface ErrorDetail {
  field?: string;
  message: string;
}

export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  get status(): number {
    return STATUS_OF[this.code];
  }
}

/**
 * The AppError of a domain's error (lib/domain/errors.ts): its code, and
 * `Retry-After` for a rate limit.
 */
export function fromDomainError(error: DomainError): AppError {
  if (error.kind === "rate_limited" && error.retryAfterSeconds !== undefined) {
    return new AppError("rate_limited", error.message, undefined, { "Retry-After": String(error.retryAfterSeconds) });
  }
  return new AppError(error.kind, error.message);
}
