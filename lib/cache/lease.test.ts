import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cache } from "./cache";
import { createCache } from "./factory";
import { LEASE_MS, leased } from "./strategies";
import { forId, TagStore, type TaggedSpec } from "./tags";
import { localRedisUrl, sleep, uniquePrefix } from "./test-support";

// Leases across instances: two caches on one Redis with one prefix, each with
// its own connection, stand for two app instances.

describe("leased: one loader per key across instances", () => {
  const prefix = uniquePrefix("lease");
  let a: Cache;
  let b: Cache;
  let storeA: TagStore;
  let storeB: TagStore;
  beforeAll(() => {
    a = createCache({ redisUrl: localRedisUrl(), prefix });
    b = createCache({ redisUrl: localRedisUrl(), prefix });
    storeA = new TagStore(a);
    storeB = new TagStore(b);
  });
  afterAll(async () => {
    await a.clear();
    await a.close();
    await b.close();
  });

  let n = 0;
  /** A fresh key and the read-through pieces an instance uses: read, then leased load + fill. */
  function scenario(loadMs: number, value: (() => number | null) | number) {
    n += 1;
    const spec: TaggedSpec = forId({ key: `leased:{id}`, tags: [`leased:{id}`] }, n);
    let loads = 0;
    const readThrough = async (store: TagStore) => {
      const [read] = await store.read<number>([spec]);
      if (read?.hit) return { value: read.value, loaded: false };
      const reread = async () => {
        const [again] = await store.read<number>([spec]);
        return again?.hit ? again.value : undefined;
      };
      let loaded = false;
      const result = await leased(store, spec.key, reread, async (lease) => {
        loads += 1;
        loaded = true;
        await sleep(loadMs);
        const v = typeof value === "function" ? value() : value;
        await store.fill(v === null ? [] : [{ spec, value: v, stamp: read?.stamp ?? [], ttl: 60 }], [], { release: lease });
        return v;
      });
      return { value: result, loaded };
    };
    return { spec, readThrough, loads: () => loads };
  }

  it("two instances that miss together load once; the other gets the holder's value", async () => {
    const s = scenario(150, 42);
    const [fromA, fromB] = await Promise.all([s.readThrough(storeA), s.readThrough(storeB)]);
    expect([fromA.value, fromB.value]).toEqual([42, 42]);
    expect(s.loads()).toBe(1);
    expect(await a.backend.exists(storeA.leaseKey(s.spec.key))).toBe(false); // released by the fill
  });

  it("when the holder finds nothing to store, it releases the lease and the other loads at once", async () => {
    const s = scenario(100, () => null);
    const started = performance.now();
    const [fromA, fromB] = await Promise.all([s.readThrough(storeA), s.readThrough(storeB)]);
    expect([fromA.value, fromB.value]).toEqual([null, null]);
    expect(s.loads()).toBe(2);
    expect(performance.now() - started).toBeLessThan(LEASE_MS); // not a wait for the lease to expire
  });

  it("a fill frees only its holder's lease: one that expired and was taken again stays with its new holder", async () => {
    n += 1;
    const key = `own:${n}`;
    // A held the lease; it expired while A was slow, and B took it.
    await b.backend.set(storeB.leaseKey(key), "token-of-b", LEASE_MS);
    await storeA.fill([], [], { release: [{ key, token: "token-of-a" }] });
    expect(await a.backend.exists(storeA.leaseKey(key))).toBe(true); // still B's: B's waiters keep waiting for B
    await storeB.fill([], [], { release: [{ key, token: "token-of-b" }] });
    expect(await a.backend.exists(storeA.leaseKey(key))).toBe(false);
  });

  it("when the holder's load fails (the database unreachable), it frees the lease: the next reader loads without waiting it out", async () => {
    let failing = true;
    const s = scenario(0, () => {
      if (failing) throw new Error("Connection terminated unexpectedly");
      return 5;
    });
    await expect(s.readThrough(storeA)).rejects.toThrow("Connection terminated unexpectedly");
    expect(await a.backend.exists(storeA.leaseKey(s.spec.key))).toBe(false);
    failing = false;
    // Without the release, B would find the lease and poll until it expires (no load for LEASE_MS).
    expect(await s.readThrough(storeB)).toEqual({ value: 5, loaded: true });
    expect(s.loads()).toBe(2);
  });

  it("when the holder dies, the other loads once the lease has expired", async () => {
    const s = scenario(0, 7);
    // A dead holder: its lease is taken and never released.
    expect(await a.backend.setNx(storeA.leaseKey(s.spec.key), "dead-holder", LEASE_MS)).toBe(true);
    const started = performance.now();
    const fromB = await s.readThrough(storeB);
    expect(fromB).toEqual({ value: 7, loaded: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(LEASE_MS * 0.9);
  });
});
