import { LRUCache } from "lru-cache";
import { defineScript } from "./backend";
import type { Cache } from "./cache";

/**
 * A fixed-window counter, atomic on Redis (one script call: INCR, and PEXPIRE
 * when the window starts) and in memory (its JS twin). KEYS[1] = counter,
 * ARGV[1] = window in ms. Reply: [count in this window, ms until it resets].
 */
export const windowCounterScript = defineScript<[number, number]>({
  name: "windowCounter",
  lua: `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`,
  run(store, keys, args) {
    const key = keys[0] ?? "";
    const windowMs = Number(args[0]);
    const current = Number(store.get(key) ?? "0") + 1;
    const ttl = store.pttl(key);
    store.set(key, String(current), current === 1 || ttl < 0 ? windowMs : "keep");
    return [current, current === 1 || ttl < 0 ? windowMs : ttl];
  },
});

export interface RateLimitResult {
  allowed: boolean;
  /** Seconds until the window resets (for Retry-After). */
  retryAfter: number;
}

/**
 * Counts one hit against `key` and says whether it is within `limit` per
 * `windowSeconds`. One round trip. Shared by every instance when the cache is
 * Redis; per process in memory.
 *
 * When the store does not answer (Redis down, timed out, circuit open), the
 * hit is counted in this process instead: the limit then holds per instance
 * (N instances allow up to N × `limit`) rather than not at all, and a limit
 * never takes the site down with Redis. Hits counted there are not carried
 * back to Redis when it returns.
 */
export async function hitRateLimit(cache: Cache, key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
  const windowMs = windowSeconds * 1000;
  let count: number;
  let ttlMs: number;
  try {
    [count, ttlMs] = await cache.backend.eval(windowCounterScript, [cache.makeKey(`ratelimit:${key}`)], [String(windowMs)]);
  } catch {
    [count, ttlMs] = localWindows.hit(`${cache.prefix}:${key}`, windowMs);
  }
  return { allowed: count <= limit, retryAfter: Math.max(1, Math.ceil(ttlMs / 1000)) };
}

/**
 * The per-process fallback: the same fixed windows, in a bounded LRU (an
 * outage is no reason to let memory grow with every address or user seen).
 */
class LocalWindows {
  readonly #windows = new LRUCache<string, { count: number; resetAt: number }>({ max: 50_000 });

  hit(key: string, windowMs: number, now = Date.now()): [count: number, ttlMs: number] {
    let window = this.#windows.get(key);
    if (!window || now >= window.resetAt) window = { count: 0, resetAt: now + windowMs };
    window.count += 1;
    this.#windows.set(key, window);
    return [window.count, window.resetAt - now];
  }
}

const localWindows = new LocalWindows();
