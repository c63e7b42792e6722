/** Where lib/cache writes its warnings; `console.warn` unless a logger is passed. */
export type CacheLogger = (message: string) => void;

/** console.warn. */
export const defaultLogger: CacheLogger = (message) => console.warn(message);

/**
 * A warning function that logs at most one line per `intervalMs` and says how
 * many it swallowed in between: during an outage every request fails the same
 * way, and one line every ten seconds says it as well as ten thousand.
 */
export function rateLimited(log: CacheLogger, intervalMs = 10_000): CacheLogger {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (message) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      suppressed += 1;
      return;
    }
    last = now;
    const tail = suppressed > 0 ? ` (${suppressed} similar warning(s) suppressed)` : "";
    suppressed = 0;
    log(`[cache] ${message}${tail}`);
  };
}
