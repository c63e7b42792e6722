// The errors the domains raise (lib/posts, lib/likes, lib/comments): what
// went wrong in the domain's words, nothing about HTTP. lib/http maps them to
// the contract's status codes and headers (lib/http/respond.ts
// `errorResponse`); pages turn `not_found` into Next's not-found page.

/** What kind of refusal: a thing that is not there, not yours, or asked for too often. */
export type DomainErrorKind = "not_found" | "forbidden" | "rate_limited";

export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** For `rate_limited`: when to come back. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** A post, page or comment that does not exist (or a post id that cannot be one). */
export const notFound = (what = "Not found") => new DomainError("not_found", what);

/** Someone who may not do this (not the author). */
export const forbidden = (why: string) => new DomainError("forbidden", why);

/** Whether `error` is the domain's "not found" (pages answer with Next's not-found page). */
export function isNotFound(error: unknown): boolean {
  return error instanceof DomainError && error.kind === "not_found";
}
