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
 * Redis; per process in memory. Fails open: when the store does not answer,
 * the hit is allowed (a rate limit must not take the site down with Redis).
 */
export async function hitRateLimit(cache: Cache, key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
  try {
    const [count, ttlMs] = await cache.backend.eval(windowCounterScript, [cache.makeKey(`ratelimit:${key}`)], [String(windowSeconds * 1000)]);
    return { allowed: count <= limit, retryAfter: Math.max(1, Math.ceil(ttlMs / 1000)) };
  } catch {
    return { allowed: true, retryAfter: 0 };
  }
}
