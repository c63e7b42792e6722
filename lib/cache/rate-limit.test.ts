import { afterAll, describe, expect, it } from "vitest";
import type { Cache } from "./cache";
import { createCache } from "./factory";
import { hitRateLimit } from "./rate-limit";
import { closedPort, localRedisUrl, uniquePrefix } from "./test-support";

// The fixed-window limit every per-user and per-address limit uses: one count
// for all instances on Redis, and a count per process when Redis is gone.

const caches: Cache[] = [];
afterAll(async () => {
  for (const cache of caches) {
    await cache.clear();
    await cache.close();
  }
});

function cacheOn(redisUrl: string | undefined, prefix: string): Cache {
  const cache = createCache({ redisUrl, prefix, timeoutMs: 200, logger: () => {} });
  caches.push(cache);
  return cache;
}

async function allowedOf(hits: Array<() => ReturnType<typeof hitRateLimit>>) {
  const results = [];
  for (const hit of hits) results.push(await hit());
  return results;
}

describe("hitRateLimit", () => {
  it("counts one window for every instance on one Redis", async () => {
    const prefix = uniquePrefix("ratelimit");
    // Two caches on one Redis and prefix: two app instances.
    const [a, b] = [cacheOn(localRedisUrl(), prefix), cacheOn(localRedisUrl(), prefix)];
    const results = await allowedOf(Array.from({ length: 6 }, (_, i) => () => hitRateLimit(i % 2 ? b! : a!, "likes:u1", 4, 60)));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, false, false]);
    for (const r of results) expect(r.retryAfter).toBeGreaterThan(0);
    expect(results.at(-1)!.retryAfter).toBeLessThanOrEqual(60);
    // Another key has its own window.
    expect((await hitRateLimit(a!, "likes:u2", 4, 60)).allowed).toBe(true);
  });

  it("falls back to a limit per process while Redis does not answer, instead of letting everything through", async () => {
    const down = cacheOn(`redis://127.0.0.1:${await closedPort()}`, uniquePrefix("ratelimit-down"));
    const results = await allowedOf(Array.from({ length: 5 }, () => () => hitRateLimit(down, "posts:u1", 3, 60)));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
    expect(results.at(-1)!.retryAfter).toBeGreaterThan(0);
    expect(results.at(-1)!.retryAfter).toBeLessThanOrEqual(60);
    expect((await hitRateLimit(down, "posts:u2", 3, 60)).allowed).toBe(true);
  });

  it("starts a new window once the old one is over", async () => {
    const memory = cacheOn(undefined, uniquePrefix("ratelimit-memory"));
    expect((await hitRateLimit(memory, "k", 1, 0.05)).allowed).toBe(true);
    expect((await hitRateLimit(memory, "k", 1, 0.05)).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 80));
    expect((await hitRateLimit(memory, "k", 1, 0.05)).allowed).toBe(true);
  });
});
