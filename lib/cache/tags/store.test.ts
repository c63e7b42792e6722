import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInScope, currentScope } from "@/lib/scope";
import { defineScript } from "../backend";
import type { Cache } from "../cache";
import { createCache } from "../factory";
import { cachedMany, cachedOne } from "../strategies";
import { localRedisUrl, uniquePrefix } from "../test-support";
import { Dependencies, forId, TAG_GRACE_MS, TagStore, type TaggedRead, type TaggedSpec } from ".";

/** PTTL of each key (ms; -1 no expiry, -2 absent), on either backend. */
const pttlScript = defineScript<number[]>({
  name: "testPttl",
  lua: "local out = {} for i, k in ipairs(KEYS) do out[i] = redis.call('PTTL', k) end return out",
  run: (store, keys) => keys.map((k) => store.pttl(k)),
});

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
  const depsOf = (reads: readonly TaggedRead<unknown>[]) => {
    const deps = new Dependencies();
    for (const read of reads) deps.addRead(read);
    return deps;
  };

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

  it("everything a read creates expires; a fill makes the tags outlive what it wrote", async () => {
    const s = spec("exp:1", "exp-tag:1", "exp-tag:2");
    const [miss] = await store.read([s]);
    const tagKeys = [store.tagKey("exp-tag:1"), store.tagKey("exp-tag:2")];
    for (const left of await cache.backend.eval(pttlScript, tagKeys, [])) {
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(TAG_GRACE_MS + 50); // the memory backend rounds up
    }
    await store.fill([{ spec: s, value: 1, stamp: miss!.stamp, ttl: 600 }]);
    const [entryLeft, ...tagsLeft] = await cache.backend.eval(pttlScript, [store.entryKey("exp:1"), ...tagKeys, store.tagKey("epoch")], []);
    expect(entryLeft).toBeGreaterThan(590_000);
    for (const left of tagsLeft) expect(left).toBeGreaterThan(entryLeft! + TAG_GRACE_MS - 5_000);
    await store.invalidate(["exp-tag:1"]);
    const [bumped] = await cache.backend.eval(pttlScript, [tagKeys[0]!], []);
    expect(bumped).toBeGreaterThan(0);
    expect(bumped).toBeLessThanOrEqual(TAG_GRACE_MS + 50);
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
    await store.invalidate(["count:{3}"]);
    await runInScope(async () => {
      const { index: read, rows } = await store.readIndexed<{ ids: number[] }>(index, derived);
      expect(currentScope()!.cache.roundTrips).toBe(1);
      expect(read).toMatchObject({ hit: true, value: { ids } });
      expect(rows.map((r) => r.id)).toEqual(ids);
      expect(rows.map((r) => r.entries.map((e) => (e.hit ? e.value : "miss")))).toEqual([
        ["item:{7}!", "count:{7}!"],
        ["item:{3}!", "miss"],
        ["item:{11}!", "count:{11}!"],
      ]);
    });
  });

  describe("a whole response stored beside its pieces", () => {
    const ids = [5, 9];
    let n = 0;

    /** A page of its own (index, derived entries, whole key) for each test, with the index and pieces filled. */
    async function fixture() {
      n += 1;
      const index = spec(`wpage:${n}`, `wlist:${n}`);
      const derived = [spec(`witem:${n}:{id}`, `witem:${n}:{id}`), spec(`wcount:${n}:{id}`, `wcount:${n}:{id}`)];
      const whole = `wresp:${n}`;
      const [indexRead] = await store.read<{ ids: number[] }>([index]);
      const pieces = ids.flatMap((id) => derived.map((d) => forId(d, id)));
      const pieceReads = await store.read(pieces);
      await store.fill([
        { spec: index, value: { ids }, stamp: indexRead!.stamp, ttl: 60 },
        ...pieces.map((p, i) => ({ spec: p, value: `${p.key}!`, stamp: pieceReads[i]!.stamp, ttl: 60 })),
      ]);
      const read = () => store.readIndexed<{ ids: number[] }>(index, derived, { whole });
      /** Reads the page (pieces expected) and stores the whole built from what that read returned. */
      const fillWhole = async (body: string) => {
        const r = await read();
        if (r.whole) throw new Error("expected the pieces, not a whole entry");
        await store.fill([], [{ key: whole, body, meta: { e: `"${body.length}"` }, deps: depsOf([r.index, ...r.rows.flatMap((row) => row.entries)]), ttl: 60 }]);
        return r;
      };
      return { n, index, derived, whole, read, fillWhole };
    }

    it("is served alone, in one round trip, until any tag it was built from is bumped", async () => {
      const f = await fixture();
      await f.fillWhole('{"v":1}');
      await runInScope(async () => {
        expect((await f.read()).whole).toEqual({ body: '{"v":1}', meta: { e: '"7"' } });
        expect(currentScope()!.cache).toMatchObject({ roundTrips: 1, keysRead: 1, hits: 1, misses: 0 });
      });
      for (const tag of [`wcount:${f.n}:{9}`, `witem:${f.n}:{5}`, `wlist:${f.n}`, "epoch"]) {
        await store.invalidate([tag]);
        expect([tag, (await f.read()).whole]).toEqual([tag, undefined]);
        if (tag === `wlist:${f.n}`) {
          // The index itself is stale now: refill it (the app reloads membership).
          const [indexRead] = await store.read<{ ids: number[] }>([f.index]);
          await store.fill([{ spec: f.index, value: { ids }, stamp: indexRead!.stamp, ttl: 60 }]);
        }
        if (tag === "epoch") break; // everything is stale: nothing more to learn
        await f.fillWhole(`{"after":"${tag}"}`);
        expect((await f.read()).whole?.body).toBe(`{"after":"${tag}"}`);
      }
    });

    it("when stale, the same call answers with the index and its rows, and counts the whole entry as found", async () => {
      const f = await fixture();
      await f.fillWhole('{"v":2}');
      await store.invalidate([`wcount:${f.n}:{5}`]);
      await runInScope(async () => {
        const read = await f.read();
        expect(currentScope()!.cache.roundTrips).toBe(1);
        if (read.whole) throw new Error("a stale whole entry was served");
        expect(read.index).toMatchObject({ hit: true, value: { ids } });
        expect(read.rows.map((r) => r.entries.map((e) => e.hit))).toEqual([
          [true, false],
          [true, true],
        ]);
        // Every key was present: the whole (stale), the index and its 2 tags, and 2 × (2 entries + 3 tags).
        expect(currentScope()!.cache).toMatchObject({ keysRead: 14, hits: 14, misses: 0 });
      });
    });

    it("is not written when a tag moved after its read, nor when two reads saw one tag with two tokens", async () => {
      const f = await fixture();
      await f.fillWhole("{}"); // written: the baseline
      expect((await f.read()).whole).toBeDefined();
      await store.invalidate([`witem:${f.n}:{9}`]);
      const r = await f.read();
      if (r.whole) throw new Error("a stale whole entry was served");
      const item9 = forId(f.derived[0]!, 9);
      await store.invalidate([`witem:${f.n}:{9}`]); // a write lands between the read and the fill
      await store.fill([], [{ key: f.whole, body: '{"refused":1}', meta: { e: '"x"' }, deps: depsOf([r.rows[1]!.entries[0]!]), ttl: 60 }]);
      const [stored] = await cache.backend.mget([store.entryKey(f.whole)]);
      expect(stored).not.toContain("refused"); // the old (stale) entry is still there, not overwritten
      expect((await f.read()).whole).toBeUndefined();

      // Two reads of one tag with two tokens: the response mixes before and after a write. Nothing is written.
      await cache.backend.del([store.entryKey(f.whole)]);
      const [before] = await store.read([item9]);
      await store.invalidate([`witem:${f.n}:{9}`]);
      const [after] = await store.read([item9]);
      await store.fill([], [{ key: f.whole, body: "{}", meta: { e: '"y"' }, deps: depsOf([before!, after!]), ttl: 60 }]);
      expect(await cache.backend.mget([store.entryKey(f.whole)])).toEqual([undefined]);
    });

    it("a lost tag key never makes it valid again", async () => {
      const f = await fixture();
      await f.fillWhole('{"v":3}');
      expect((await f.read()).whole).toBeDefined();
      await cache.backend.del([store.tagKey(`wcount:${f.n}:{9}`)]); // evicted
      expect((await f.read()).whole).toBeUndefined();
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

  it("cachedMany: a request that joins a load gets every id it asked for (two overlapping miss sets)", async () => {
    const specOf = (id: number) => forId(spec("j:{id}", "j:{id}"), id);
    await cachedMany(store, [3], specOf, async (ids) => new Map(ids.map((id) => [id, id * 100])), 60); // 3 is warm
    const loads: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const load = async (ids: number[]) => {
      loads.push(ids);
      if (loads.length === 1) await gate; // A's load is held
      return new Map(ids.map((id) => [id, id * 100]));
    };
    // B's request begins first; A's begins later and misses 1 and 2 (3 is a hit for it).
    await runInScope(async () => {
      const a = runInScope(() => cachedMany(store, [1, 2, 3], specOf, load, 60));
      for (let i = 0; i < 100 && loads.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(loads).toEqual([[1, 2]]);
      await store.invalidate(["j:{3}"]); // a write: now B misses 1, 2 AND 3
      const b = cachedMany(store, [1, 2, 3], specOf, load, 60);
      release();
      expect(await b).toEqual([100, 200, 300]); // joining A's load would have left 3 out (shown as 0)
      expect(await a).toEqual([100, 200, 300]);
    });
    expect(loads).toEqual([[1, 2], [1, 2, 3]]);
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
