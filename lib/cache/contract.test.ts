// THE contract suite: the same tests against the Redis backend (real server)
// and the memory backend. A behaviour that differs between them is a bug.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentScope, runInScope, type CacheAccount } from "@/lib/scope";
import { defineScript } from "./backend";
import { Cache } from "./cache";
import { CacheKeyError, CacheKeyMissingError, CacheUsageError, CacheValueError } from "./errors";
import { type CacheEvent, onCacheEvent } from "./events";
import { createMemoryBackend } from "./memory";
import { createRedisBackend } from "./redis";
import { localRedisUrl, sleep, uniquePrefix } from "./test-support";

type Kind = "redis" | "memory";

function makeBackend(kind: Kind, onEvent?: (event: CacheEvent) => void) {
  return kind === "redis"
    ? createRedisBackend({ url: localRedisUrl(), timeoutMs: 2_000, onEvent }) // generous: timeouts are tested elsewhere
    : createMemoryBackend({ onEvent });
}

/** Runs `fn` in a fresh request scope and returns its cache account. */
async function account(fn: () => Promise<unknown>): Promise<CacheAccount> {
  return runInScope(async () => {
    await fn();
    return { ...currentScope()!.cache };
  });
}

// Atomic "read two keys, write their sum to a third": a script the way the
// tags layer will define one — Lua for Redis, its JS twin for memory.
const sumInto = defineScript<number>({
  name: "test.sumInto",
  lua: `local a = tonumber(redis.call('GET', KEYS[1]) or '0')
local b = tonumber(redis.call('GET', KEYS[2]) or '0')
redis.call('SET', KEYS[3], tostring(a + b), 'PX', ARGV[1])
return a + b`,
  run(store, keys, args) {
    const a = Number(store.get(keys[0] ?? "") ?? "0");
    const b = Number(store.get(keys[1] ?? "") ?? "0");
    store.set(keys[2] ?? "", String(a + b), Number(args[0]));
    return a + b;
  },
  account: () => ({ keysRead: 2, hits: 0, misses: 0 }),
});

describe.each<Kind>(["memory", "redis"])("Cache on the %s backend", (kind) => {
  const prefix = uniquePrefix();
  const events: CacheEvent[] = [];
  let cache: Cache;

  beforeAll(() => {
    cache = new Cache(makeBackend(kind, (event) => events.push(event)), { prefix });
  });

  afterAll(async () => {
    await cache.clear();
    await cache.close();
  });

  describe("miss versus falsy", () => {
    it("a miss is undefined", async () => {
      expect(await cache.get("absent")).toBeUndefined();
      expect(await cache.has("absent")).toBe(false);
    });

    it("a cached 0 is read back as a hit", async () => {
      await cache.set("zero", 0);
      const used = await account(async () => expect(await cache.get("zero")).toBe(0));
      expect(used).toMatchObject({ roundTrips: 1, keysRead: 1, hits: 1, misses: 0 });
      expect(await cache.has("zero")).toBe(true);
    });

    it.each([
      ["false", false],
      ["an empty string", ""],
      ["null", null],
      ["an empty array", []],
      ["an empty object", {}],
    ])("a cached %s is a hit", async (_name, value) => {
      const key = `falsy-${JSON.stringify(value)}`;
      await cache.set(key, value);
      expect(await cache.get(key)).toEqual(value);
      expect(await cache.getMany([key, "absent"])).toEqual([value, undefined]);
      expect(await cache.has(key)).toBe(true);
      expect(await cache.getOrSet(key, () => "loaded")).toEqual(value);
    });
  });

  describe("set, add, getOrSet", () => {
    it("round-trips a DTO, unicode keys and unicode values", async () => {
      const dto = { id: 7, title: "Caching — «naïve» 日本語 🚀", tags: ["redis", "pg"], author: { name: "Zoë" }, draft: false, score: -1.5 };
      expect(await cache.set("post:7", dto)).toBe(true);
      expect(await cache.get("post:7")).toEqual(dto);
      expect(await cache.set("ключ:日本:🔑", "значение ✓")).toBe(true);
      expect(await cache.get("ключ:日本:🔑")).toBe("значение ✓");
      expect(await cache.getMany(["ключ:日本:🔑", "post:7"])).toEqual(["значение ✓", dto]);
    });

    it("round-trips a 1 MB value and counts its bytes", async () => {
      const big = { body: "é".repeat(512 * 1024), n: 1 }; // 1 MiB of UTF-8 in the body
      const written = await account(() => cache.set("big", big));
      expect(written.bytesWritten).toBeGreaterThan(1024 * 1024);
      const read = await account(async () => expect(await cache.get("big")).toEqual(big));
      expect(read.bytesRead).toBe(written.bytesWritten);
    });

    it("returns copies: mutating a read value does not change the cache", async () => {
      await cache.set("copy", { list: [1] });
      const first = await cache.get<{ list: number[] }>("copy");
      first!.list.push(2);
      expect(await cache.get("copy")).toEqual({ list: [1] });
    });

    it("add stores only when the key is absent", async () => {
      expect(await cache.add("add", "first")).toBe(true);
      expect(await cache.add("add", "second")).toBe(false);
      expect(await cache.get("add")).toBe("first");
      expect(await cache.add("add-ttl0", "x", { ttl: 0 })).toBe(false);
      expect(await cache.has("add-ttl0")).toBe(false);
    });

    it("getOrSet loads once on a miss, then serves the cached value", async () => {
      let loads = 0;
      const load = async () => {
        loads += 1;
        return { likes: 0 };
      };
      const missed = await account(async () => expect(await cache.getOrSet("likes:1", load)).toEqual({ likes: 0 }));
      expect(missed.roundTrips).toBe(2); // get + add
      const hit = await account(async () => expect(await cache.getOrSet("likes:1", load)).toEqual({ likes: 0 }));
      expect(hit.roundTrips).toBe(1);
      expect(loads).toBe(1);
      expect(await cache.getOrSet("plain-default", 0)).toBe(0);
      expect(await cache.get("plain-default")).toBe(0);
    });
  });

  describe("getMany and setMany", () => {
    it("getMany lines results up with its keys, misses as undefined, duplicates included", async () => {
      await cache.setMany({ a: 1, b: "two" });
      expect(await cache.getMany(["b", "nope", "a", "b"])).toEqual(["two", undefined, 1, "two"]);
      const none = await account(async () => expect(await cache.getMany([])).toEqual([]));
      expect(none.roundTrips).toBe(0);
    });

    it("setMany of 1,000 entries is one round trip, getMany of 1,000 keys is one round trip", async () => {
      const keys = Array.from({ length: 1000 }, (_, i) => `many:${i}`);
      const wrote = await account(async () => expect(await cache.setMany(keys.map((key, i) => [key, { i }] as const))).toEqual([]));
      expect(wrote.roundTrips).toBe(1);

      const asked = [...keys.slice(0, 990), ...Array.from({ length: 10 }, (_, i) => `many:missing:${i}`)];
      const read = await account(async () => {
        const values = await cache.getMany<{ i: number }>(asked);
        expect(values).toHaveLength(1000);
        expect(values[0]).toEqual({ i: 0 });
        expect(values[989]).toEqual({ i: 989 });
        expect(values[990]).toBeUndefined();
      });
      expect(read).toMatchObject({ roundTrips: 1, keysRead: 1000, hits: 990, misses: 10, errors: 0 });
    });

    it("setMany accepts a Map, applies one TTL, and ttl 0 deletes instead", async () => {
      await cache.setMany(new Map<string, unknown>([["m1", [1, 2]], ["m2", null]]));
      expect(await cache.getMany(["m1", "m2"])).toEqual([[1, 2], null]);
      const removed = await account(async () => expect(await cache.setMany({ m1: 0, m2: 0 }, { ttl: 0 })).toEqual([]));
      expect(removed.roundTrips).toBe(1);
      expect(await cache.getMany(["m1", "m2"])).toEqual([undefined, undefined]);
    });
  });

  describe("delete, has, touch", () => {
    it("delete and deleteMany report what was there", async () => {
      await cache.setMany({ d1: 1, d2: 2, d3: 3 });
      expect(await cache.delete("d1")).toBe(true);
      expect(await cache.delete("d1")).toBe(false);
      const used = await account(async () => expect(await cache.deleteMany(["d2", "d3", "d4"])).toBe(2));
      expect(used.roundTrips).toBe(1);
      expect(await cache.getMany(["d1", "d2", "d3"])).toEqual([undefined, undefined, undefined]);
    });

    it("touch answers whether the key exists; ttl 0 deletes", async () => {
      expect(await cache.touch("touch-missing", { ttl: 10 })).toBe(false);
      await cache.set("touch", "x", { ttl: null });
      expect(await cache.touch("touch", { ttl: null })).toBe(true); // no TTL before, still true
      expect(await cache.touch("touch", { ttl: 10 })).toBe(true);
      expect(await cache.touch("touch", { ttl: 0 })).toBe(true);
      expect(await cache.has("touch")).toBe(false);
    });
  });

  describe("TTLs", () => {
    it("ttl 0 stores nothing and removes an existing entry", async () => {
      await cache.set("ttl0", "old");
      expect(await cache.set("ttl0", "new", { ttl: 0 })).toBe(false);
      expect(await cache.get("ttl0")).toBeUndefined();
    });

    it("honours default, explicit and null TTLs; touch, incr and incrVersion keep or change them", async () => {
      const short = new Cache(cache.backend, { prefix, defaultTtl: 1, version: 50 });
      await short.set("default", "gone soon"); // default TTL 1 s (long enough for a loaded machine to finish the sets)
      await short.set("explicit", "gone soon", { ttl: 1 });
      await short.set("forever", "stays", { ttl: null }); // null beats the default
      await short.set("replaced", "x", { ttl: 1 });
      await short.set("replaced", "y", { ttl: null }); // a new set without expiry clears the old TTL
      await short.set("touched-null", "stays");
      await short.touch("touched-null", { ttl: null });
      await short.set("touched-short", "gone soon", { ttl: null });
      await short.touch("touched-short", { ttl: 1 });
      await short.set("counter", 1, { ttl: 1 });
      await short.incr("counter");
      await short.set("moved", "v", { ttl: 1 });
      expect(await short.incrVersion("moved")).toBe(51);
      expect(await short.getMany(["default", "explicit", "forever", "counter"])).toEqual(["gone soon", "gone soon", "stays", 2]);

      await sleep(1_300);
      expect(await short.getMany(["default", "explicit", "forever", "replaced", "touched-null", "touched-short", "counter"])).toEqual([
        undefined,
        undefined,
        "stays",
        "y",
        "stays",
        undefined,
        undefined, // incr kept the TTL
      ]);
      expect(await short.get("moved", { version: 51 })).toBeUndefined(); // incrVersion kept the TTL
      expect(await short.has("default")).toBe(false);
    });

    it("refuses a TTL that is not a number or null", async () => {
      await expect(cache.set("k", 1, { ttl: Number.NaN })).rejects.toThrow(CacheUsageError);
      await expect(cache.set("k", 1, { ttl: Number.POSITIVE_INFINITY })).rejects.toThrow(CacheUsageError);
    });
  });

  describe("incr and decr", () => {
    it("adds and subtracts atomically, and fails clearly on a missing key", async () => {
      await cache.set("n", 10);
      expect(await cache.incr("n")).toBe(11);
      expect(await cache.incr("n", 5)).toBe(16);
      expect(await cache.decr("n", 20)).toBe(-4);
      expect(await cache.get("n")).toBe(-4);
      await expect(cache.incr("n-missing")).rejects.toThrow(CacheKeyMissingError);
      await expect(cache.decr("n-missing")).rejects.toThrow(CacheKeyMissingError);
      expect(await cache.has("n-missing")).toBe(false); // nothing created
    });

    it("refuses a non-integer value or delta", async () => {
      await cache.set("text", "abc");
      await expect(cache.incr("text")).rejects.toThrow(CacheValueError);
      await cache.set("float", 1.5);
      await expect(cache.incr("float")).rejects.toThrow(CacheValueError);
      await cache.set("int", 1);
      await expect(cache.incr("int", 0.5)).rejects.toThrow(CacheUsageError);
      expect(await cache.get("text")).toBe("abc");
    });

    it("100 concurrent incr give the exact total", async () => {
      await cache.set("concurrent", 0);
      const results = await Promise.all(Array.from({ length: 100 }, () => cache.incr("concurrent")));
      expect(await cache.get("concurrent")).toBe(100);
      expect(new Set(results).size).toBe(100); // every caller saw its own step
    });
  });

  describe("versions", () => {
    it("keys are prefix:version:key and versions do not see each other", async () => {
      expect(cache.makeKey("post:1")).toBe(`${prefix}:1:post:1`);
      await cache.set("v", "one");
      await cache.set("v", "two", { version: 2 });
      expect(await cache.get("v")).toBe("one");
      expect(await cache.get("v", { version: 2 })).toBe("two");
    });

    it("incrVersion moves the value to version+delta and deletes the old one; decrVersion moves it back", async () => {
      await cache.set("ver", { a: 1 });
      expect(await cache.incrVersion("ver")).toBe(2);
      expect(await cache.get("ver")).toBeUndefined();
      expect(await cache.get("ver", { version: 2 })).toEqual({ a: 1 });
      expect(await cache.incrVersion("ver", 3, { version: 2 })).toBe(5);
      expect(await cache.decrVersion("ver", 4, { version: 5 })).toBe(1);
      expect(await cache.get("ver")).toEqual({ a: 1 });
      await expect(cache.incrVersion("ver-missing")).rejects.toThrow(CacheKeyMissingError);
    });
  });

  describe("refused input", () => {
    it.each([
      ["empty", ""],
      ["a space", "a b"],
      ["a newline", "a\nb"],
      ["a tab", "a\tb"],
      ["a control character", "a\u0001b"],
      ["a DEL character", "a\u007fb"],
      ["a no-break space", "a\u00a0b"],
      ["251 characters", "k".repeat(251)],
      ["a total over 250 once prefixed", "k".repeat(250 - `${prefix}:1:`.length + 1)],
    ])("refuses a key with %s", async (_name, key) => {
      await expect(cache.get(key)).rejects.toThrow(CacheKeyError);
      await expect(cache.set(key, 1)).rejects.toThrow(CacheKeyError);
      await expect(cache.getMany(["ok", key])).rejects.toThrow(CacheKeyError);
      await expect(cache.setMany([["ok", 1], [key, 1]])).rejects.toThrow(CacheKeyError);
      await expect(cache.delete(key)).rejects.toThrow(CacheKeyError);
      await expect(cache.incr(key)).rejects.toThrow(CacheKeyError);
    });

    it("accepts a key of exactly 250 characters once prefixed", async () => {
      const key = "k".repeat(250 - `${prefix}:1:`.length);
      expect(await cache.set(key, 1)).toBe(true);
      expect(await cache.get(key)).toBe(1);
    });

    class Point {
      constructor(public x: number) {}
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    it.each([
      ["undefined", undefined],
      ["undefined inside an object", { a: undefined }],
      ["undefined inside an array", [1, undefined]],
      ["a sparse array", [1, , 3]],
      ["a Date", new Date()],
      ["a nested Date", { post: { createdAt: new Date() } }],
      ["a Map", new Map([["a", 1]])],
      ["a Set", new Set([1])],
      ["NaN", Number.NaN],
      ["Infinity inside", { n: Number.POSITIVE_INFINITY }],
      ["a function", () => 1],
      ["a function inside", { f: () => 1 }],
      ["a BigInt", 1n],
      ["a symbol", Symbol("s")],
      ["a class instance", new Point(1)],
      ["a boxed number", Object(1) as unknown],
      ["a cycle", cyclic],
    ])("refuses %s, before writing anything", async (_name, value) => {
      const used = await account(async () => {
        await expect(cache.set("bad", value)).rejects.toThrow(CacheValueError);
        await expect(cache.setMany({ good: 1, bad: value })).rejects.toThrow(CacheValueError);
        await expect(cache.add("bad", value)).rejects.toThrow(CacheValueError);
      });
      expect(used.roundTrips).toBe(0);
      expect(await cache.getMany(["bad", "good"])).toEqual([undefined, undefined]);
    });

    it("accepts null-prototype objects and nested plain data", async () => {
      const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: [{ b: null }] });
      await cache.set("bare", bare);
      expect(await cache.get("bare")).toEqual({ a: [{ b: null }] });
    });
  });

  describe("clear", () => {
    it("removes every key of its own prefix (all versions) and nothing else", async () => {
      const own = new Cache(cache.backend, { prefix: `${prefix}c` });
      const neighbour = new Cache(cache.backend, { prefix: `${prefix}c2` }); // starts like `own`: must survive
      await own.setMany({ a: 1, b: 2 });
      await own.set("a", 1, { version: 7 });
      await neighbour.set("a", "survives");
      await cache.set("parent", "survives");
      await own.clear();
      expect(await own.getMany(["a", "b"])).toEqual([undefined, undefined]);
      expect(await own.get("a", { version: 7 })).toBeUndefined();
      expect(await neighbour.get("a")).toBe("survives");
      expect(await cache.get("parent")).toBe("survives");
      await neighbour.clear();
    });
  });

  describe("storeStats", () => {
    it("counts the keys of its own prefix (all versions) and nothing else, and says how much memory the store uses", async () => {
      const own = new Cache(cache.backend, { prefix: `${prefix}k` });
      const neighbour = new Cache(cache.backend, { prefix: `${prefix}k2` }); // starts like `own`: not counted
      await own.setMany({ a: 1, b: 2 });
      await own.set("a", 1, { version: 7 });
      await neighbour.set("a", 1);
      const stats = await own.storeStats();
      expect(stats).toMatchObject({ keyCount: 3, complete: true });
      expect(stats?.usedMemoryBytes).toBeGreaterThan(0);
      await own.clear();
      expect(await own.storeStats()).toMatchObject({ keyCount: 0, complete: true });
      await neighbour.clear();
    });

    it.runIf(kind === "redis")("stops after about `limit` keys of a big keyspace and says it is incomplete", async () => {
      const big = new Cache(cache.backend, { prefix: `${prefix}big` });
      await big.setMany(Array.from({ length: 2_500 }, (_, i): [string, number] => [`k${i}`, i]));
      const partial = await big.storeStats(1);
      expect(partial?.complete).toBe(false);
      expect(partial?.keyCount).toBeLessThan(2_500);
      expect(await big.storeStats()).toMatchObject({ keyCount: 2_500, complete: true });
      await big.clear();
    });
  });

  describe("scripts and accounting", () => {
    it("runs a script defined once for both backends, atomically, in one round trip", async () => {
      const [a, b, sum] = ["s:a", "s:b", "s:sum"].map((key) => cache.makeKey(key)) as [string, string, string];
      await cache.backend.mset([
        { key: a, value: "2", ttlMs: null },
        { key: b, value: "40", ttlMs: null },
      ]);
      await cache.backend.eval(sumInto, [a, b, sum], [60_000]); // loads it on Redis if needed
      const used = await account(async () => expect(await cache.backend.eval(sumInto, [a, b, sum], [60_000])).toBe(42));
      expect(used).toMatchObject({ roundTrips: 1, keysRead: 2 });
      expect(await cache.get("s:sum")).toBe(42);
    });

    it("reads raw keys through the backend in the same single round trip", async () => {
      await cache.set("raw", { x: 1 });
      const used = await account(async () =>
        expect(await cache.backend.mget([cache.makeKey("raw"), cache.makeKey("raw-missing")])).toEqual(['{"x":1}', undefined]),
      );
      expect(used).toMatchObject({ roundTrips: 1, keysRead: 2, hits: 1, misses: 1 });
    });

    it("reports every call to onEvent and to process-wide listeners", async () => {
      const seen: CacheEvent[] = [];
      const unsubscribe = onCacheEvent((event) => seen.push(event));
      events.length = 0;
      try {
        await cache.getMany(["ev:1", "ev:2"]);
        await cache.set("ev:1", 1);
      } finally {
        unsubscribe();
      }
      await cache.get("ev:1"); // after unsubscribe: onEvent only
      expect(seen.map((event) => event.op)).toEqual(["mget", "set"]);
      expect(seen[0]).toMatchObject({ backend: kind, keys: [cache.makeKey("ev:1"), cache.makeKey("ev:2")], keysRead: 2, misses: 2, roundTrips: 1 });
      expect(events.map((event) => event.op)).toEqual(["mget", "set", "mget"]);
      expect(events[2]).toMatchObject({ hits: 1, error: undefined });
    });

    it("counts nothing outside a request scope and does not fail", async () => {
      expect(currentScope()).toBeUndefined();
      await cache.set("outside", 1);
      expect(await cache.get("outside")).toBe(1);
    });
  });

  describe("close", () => {
    it("after close, reads miss and writes are dropped, counted as errors, nothing throws", async () => {
      const warnings: string[] = [];
      const closing = new Cache(makeBackend(kind), { prefix, logger: (message) => warnings.push(message) });
      await closing.set("closing", 1);
      await closing.close();
      await closing.close(); // idempotent
      const used = await account(async () => {
        expect(await closing.get("closing")).toBeUndefined();
        expect(await closing.getMany(["closing", "x"])).toEqual([undefined, undefined]);
        expect(await closing.set("closing", 2)).toBe(false);
        expect(await closing.incr("closing")).toBeUndefined();
        await closing.clear();
      });
      expect(used).toMatchObject({ errors: 5, misses: 3, hits: 0, roundTrips: 0 });
      expect(warnings).toHaveLength(1); // rate-limited
      expect(await cache.get("closing")).toBe(kind === "redis" ? 1 : undefined); // memory stores are per backend
    });
  });
});
