// Fail-open against a Redis that is not there (closed port) and one that
// never answers (accepts the connection, replies nothing): reads miss within
// the timeout, writes are dropped, nothing throws, close() ends it all.
import { afterAll, describe, expect, it } from "vitest";
import { currentScope, runInScope } from "@/lib/scope";
import type { Cache } from "./cache";
import { CacheKeyError, CacheValueError } from "./errors";
import { createCache } from "./factory";
import { closedPort, silentServer } from "./test-support";

const TIMEOUT_MS = 100;
// Only a guard against hanging; the behaviour asserted is "miss + error counted".
const HANG_GUARD_MS = 2_000;

async function exercise(cache: Cache) {
  return runInScope(async () => {
    const started = performance.now();
    expect(await cache.get("a")).toBeUndefined();
    expect(await cache.getMany(["a", "b", "c"])).toEqual([undefined, undefined, undefined]);
    expect(await cache.has("a")).toBe(false);
    expect(await cache.getOrSet("a", () => 42)).toBe(42);
    expect(await cache.set("a", 1)).toBe(false);
    expect(await cache.add("a", 1)).toBe(false);
    expect(await cache.setMany({ a: 1, b: 2 })).toEqual(["a", "b"]);
    expect(await cache.delete("a")).toBe(false);
    expect(await cache.deleteMany(["a", "b"])).toBe(0);
    expect(await cache.touch("a")).toBe(false);
    expect(await cache.incr("a")).toBeUndefined();
    expect(await cache.decr("a")).toBeUndefined();
    expect(await cache.incrVersion("a")).toBeUndefined();
    await cache.clear();
    // Programmer errors still throw, down or not.
    await expect(cache.get("bad key")).rejects.toThrow(CacheKeyError);
    await expect(cache.set("a", new Date())).rejects.toThrow(CacheValueError);
    return { elapsed: performance.now() - started, account: { ...currentScope()!.cache } };
  });
}

describe.each([
  ["a closed port", async () => ({ url: `redis://127.0.0.1:${await closedPort()}`, close: async () => {} })],
  [
    "a server that never answers",
    async () => {
      const server = await silentServer();
      return { url: `redis://127.0.0.1:${server.port}`, close: server.close };
    },
  ],
])("Redis cache against %s", (_name, start) => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it("reads miss and are counted as errors, writes are dropped, nothing throws", async () => {
    const server = await start();
    closers.push(server.close);
    const warnings: string[] = [];
    const cache = createCache({ redisUrl: server.url, prefix: "unreachable", timeoutMs: TIMEOUT_MS, logger: (m) => warnings.push(m) });
    closers.push(() => cache.close());

    const { elapsed, account } = await exercise(cache);
    expect(account.errors).toBe(15); // one per backend call (getOrSet = get + add)
    expect(account.hits).toBe(0);
    expect(account.misses).toBe(1 + 3 + 1 + 1); // get, getMany, has, getOrSet's get
    expect(elapsed).toBeLessThan(HANG_GUARD_MS * 2);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(2); // rate-limited: the cache's line (+ the connection's)

    const started = performance.now();
    await cache.close();
    expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
    expect(await cache.get("a")).toBeUndefined(); // still fail-open after close
  });

  it("a single read gives up after the timeout, not after ioredis's retries", async () => {
    const server = await start();
    closers.push(server.close);
    const cache = createCache({ redisUrl: server.url, prefix: "unreachable", timeoutMs: TIMEOUT_MS, logger: () => {} });
    closers.push(() => cache.close());
    const account = await runInScope(async () => {
      const started = performance.now();
      expect(await cache.get("a")).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
      return { ...currentScope()!.cache };
    });
    expect(account).toMatchObject({ errors: 1, misses: 1, keysRead: 1 });
    await cache.close();
  });
});

describe("the circuit breaker against a server that never answers", () => {
  it("after 5 timeouts, calls are refused at once (no more timeouts), and the state says open", async () => {
    const server = await silentServer();
    const errors: string[] = [];
    const cache = createCache({ redisUrl: `redis://127.0.0.1:${server.port}`, prefix: "breaker", timeoutMs: TIMEOUT_MS, logger: () => {}, onEvent: (e) => { if (e.error) errors.push(e.error.reason); } });
    try {
      for (let i = 0; i < 20; i++) expect(await cache.get(`k${i}`)).toBeUndefined();
      expect(errors.slice(0, 5)).toEqual(Array(5).fill("timeout"));
      expect(errors.slice(5)).toEqual(Array(15).fill("circuit-open"));
      expect(cache.backend.circuitState()).toBe("open");
    } finally {
      await cache.close();
      await server.close();
    }
  });
});
