// One error type for the whole app, and one place (lib/http/respond.ts) that
// turns it into the api.md error shape.

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

export const notFound = (what = "Not found") => new AppError("not_found", what);
