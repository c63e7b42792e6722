import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInScope, currentScope } from "@/lib/scope";
import type { Cache } from "./cache";
import { createCache } from "./factory";
import { cachedMany, cachedOne } from "./strategies";
import { forId, TagStore, type TaggedSpec } from "./tags";
import { localRedisUrl, uniquePrefix } from "./test-support";

// Tags and the strategies on both backends: the Lua scripts on real Redis and
// their JS twins in memory must behave the same.

const backends = [
  ["redis", () => createCache({ redisUrl: localRedisUrl(), prefix: uniquePrefix("tags") })],
  ["memory", () => createCache({ prefix: uniquePrefix("tags") })],
] as const;

describe.each(backends)("tags on %s", (_name, make) => {
  let cache: Cache;
  let store: TagStore;
  beforeAll(() => {
    cache = make();
    store = new TagStore(cache);
  });
  afterAll(async () => {
    await cache.clear();
    await cache.close();
  });

  const spec = (key: string, ...tags: string[]): TaggedSpec => ({ key, tags });

  it("a miss carries a stamp; a fill with it is served until a tag is bumped", async () => {
    const s = spec("a", "t1", "t2");
    const [miss] = await store.read<number>([s]);
    expect(miss?.hit).toBe(false);
    await store.fill([{ spec: s, value: 0, stamp: miss!.stamp, ttl: 60 }]);
    const [hit] = await store.read<number>([s]);
    expect(hit).toMatchObject({ hit: true, value: 0 });
    await store.invalidate(["t2"]);
    expect((await store.read([s]))[0]?.hit).toBe(false);
  });

  it("a fill stamped before a bump is not written (and would not be served)", async () => {
    const s = spec("b", "t3");
    const [miss] = await store.read<string>([s]);
    await store.invalidate(["t3"]); // a write lands between the read and the fill
    await store.fill([{ spec: s, value: "old", stamp: miss!.stamp, ttl: 60 }]);
    expect(await cache.backend.mget([store.entryKey("b")])).toEqual([undefined]);
    expect((await store.read([s]))[0]?.hit).toBe(false);
  });

  it("a lost tag key never makes an old entry valid again", async () => {
    const s = spec("c", "t4");
    const [miss] = await store.read<string>([s]);
    await store.fill([{ spec: s, value: "v", stamp: miss!.stamp, ttl: 60 }]);
    await cache.backend.del([store.tagKey("t4")]); // evicted
    expect((await store.read([s]))[0]?.hit).toBe(false);
  });

  it("reads any number of entries and their tags in one round trip; fills in one", async () => {
    const specs = Array.from({ length: 50 }, (_, i) => spec(`many:${i}`, `p:${i}`, "shared"));
    await runInScope(async () => {
      const reads = await store.read<number>(specs);
      expect(currentScope()!.cache.roundTrips).toBe(1);
      await store.fill(specs.map((s, i) => ({ spec: s, value: i, stamp: reads[i]!.stamp, ttl: 60 })));
      expect(currentScope()!.cache.roundTrips).toBe(2);
      const again = await store.read<number>(specs);
      expect(again.map((r) => (r.hit ? r.value : undefined))).toEqual(specs.map((_, i) => i));
      expect(currentScope()!.cache.roundTrips).toBe(3);
    });
  });

  it("readIndexed returns the index and every derived entry in one round trip", async () => {
    const index = spec("page:1", "list");
    const derived = [spec("item:{id}", "item:{id}"), spec("count:{id}", "count:{id}")];
    const [miss] = await store.read<{ ids: number[] }>([index]);
    const ids = [7, 3, 11];
    const pieces = ids.flatMap((id) => derived.map((d) => forId(d, id)));
    const pieceReads = await store.read(pieces);
    await store.fill([
      { spec: index, value: { ids }, stamp: miss!.stamp, ttl: 60 },
      ...pieces.map((p, i) => ({ spec: p, value: `${p.key}!`, stamp: pieceReads[i]!.stamp, ttl: 60 })),
    ]);
    await store.invalidate(["count:3"]);
    await runInScope(async () => {
      const { index: read, rows } = await store.readIndexed<{ ids: number[] }>(index, derived);
      expect(currentScope()!.cache.roundTrips).toBe(1);
      expect(read).toMatchObject({ hit: true, value: { ids } });
      expect(rows.map((r) => r.id)).toEqual(ids);
      expect(rows.map((r) => r.entries.map((e) => (e.hit ? e.value : "miss")))).toEqual([
        ["item:7!", "count:7!"],
        ["item:3!", "miss"],
        ["item:11!", "count:11!"],
      ]);
    });
  });

  it("cachedMany loads all misses in one call, lined up with the ids, and caches 0", async () => {
    const calls: number[][] = [];
    const load = async (ids: number[]) => {
      calls.push(ids);
      return new Map(ids.map((id) => [id, id === 2 ? 0 : id * 10]));
    };
    const specOf = (id: number) => forId(spec("n:{id}", "n:{id}"), id);
    expect(await cachedMany(store, [1, 2, 3, 2], specOf, load, 60)).toEqual([10, 0, 30, 0]);
    expect(calls).toEqual([[1, 2, 3]]);
    expect(await cachedMany(store, [3, 2, 1], specOf, load, 60)).toEqual([30, 0, 10]);
    expect(calls).toHaveLength(1);
  });

  it("cachedOne shares one load between concurrent misses in a process", async () => {
    let loads = 0;
    const s = spec("one", "one");
    const load = async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 20));
      return 42;
    };
    const values = await Promise.all(Array.from({ length: 20 }, () => cachedOne(store, s, load, 60)));
    expect(values).toEqual(Array(20).fill(42));
    expect(loads).toBe(1);
  });
});
