/**
 * The errors of lib/cache. Only two kinds ever reach a caller of `Cache`:
 * - `CacheUsageError` (and its subclasses `CacheKeyError`, `CacheValueError`):
 *   a programmer error — an invalid key, TTL, delta or value. Thrown before any
 *   I/O, whatever the state of the cache server.
 * - `CacheKeyMissingError`: `incr`/`decr`/`incrVersion` of a key that is not
 *   there (Django raises ValueError).
 * `CacheUnavailableError` is what a backend throws when the store cannot
 * answer (timeout, connection refused, closed); `Cache` turns it into a miss
 * or a dropped write (fail-open) and never lets it through.
 */
export class CacheError extends Error {
  override name = "CacheError";
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A programmer error: bad argument to a cache call. Never caused by the server being down. */
export class CacheUsageError extends CacheError {
  override name = "CacheUsageError";
  constructor(message: string, code = "CACHE_USAGE") {
    super(code, message);
  }
}

/** An invalid key: empty, whitespace or control characters, or longer than 250 characters once prefixed. */
export class CacheKeyError extends CacheUsageError {
  override name = "CacheKeyError";
  constructor(message: string) {
    super(message, "CACHE_INVALID_KEY");
  }
}

/** A value that cannot be stored: `undefined`, or not plain JSON that survives a round trip; or `incr` of a non-integer. */
export class CacheValueError extends CacheUsageError {
  override name = "CacheValueError";
  constructor(message: string) {
    super(message, "CACHE_INVALID_VALUE");
  }
}

/** `incr`, `decr`, `incrVersion` or `decrVersion` of a key that is not in the cache. */
export class CacheKeyMissingError extends CacheError {
  override name = "CacheKeyMissingError";
  /** The caller's key (without prefix and version). */
  readonly key: string;
  constructor(key: string) {
    super("CACHE_KEY_MISSING", `Cache key ${JSON.stringify(truncate(key))} is not in the cache`);
    this.key = key;
  }
}

export type UnavailableReason = "timeout" | "offline" | "closed" | "error" | "circuit-open";

/**
 * The store did not answer: a timeout, a connection error, a closed client or
 * an error reply. Thrown by backends only; `Cache` fails open on it.
 */
export class CacheUnavailableError extends CacheError {
  override name = "CacheUnavailableError";
  readonly reason: UnavailableReason;
  constructor(reason: UnavailableReason, message: string, options?: { cause?: unknown }) {
    super("CACHE_UNAVAILABLE", message, options);
    this.reason = reason;
  }
}

/** Shortens a key for an error message. */
export function truncate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}
