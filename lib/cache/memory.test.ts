// Memory-only behaviour: the bounds (the contract suite covers semantics).
import { describe, expect, it } from "vitest";
import { Cache } from "./cache";
import { createMemoryBackend } from "./memory";

describe("memory backend bounds", () => {
  it("keeps at most maxEntries, evicting the least recently used", async () => {
    const cache = new Cache(createMemoryBackend({ maxEntries: 3 }), { prefix: "mem" });
    await cache.setMany({ a: 1, b: 2, c: 3 });
    expect(await cache.get("a")).toBe(1); // a is now the most recently used
    await cache.set("d", 4);
    expect(await cache.getMany(["a", "b", "c", "d"])).toEqual([1, undefined, 3, 4]);
  });

  it("keeps at most maxBytes of keys and values, evicting the least recently used", async () => {
    const cache = new Cache(createMemoryBackend({ maxBytes: 100 }), { prefix: "mem" });
    const value = "x".repeat(30); // 32 characters of JSON + 8 of key ("mem:1:k1")
    await cache.setMany({ k1: value, k2: value });
    await cache.set("k3", value); // 3 × 40 > 100: k1 goes
    expect(await cache.getMany(["k1", "k2", "k3"])).toEqual([undefined, value, value]);
  });

  it("refuses a value larger than maxBytes: set answers false and the old value is gone", async () => {
    const warnings: string[] = [];
    const cache = new Cache(createMemoryBackend({ maxBytes: 100 }), { prefix: "mem", logger: (m) => warnings.push(m) });
    await cache.set("big", "small");
    expect(await cache.set("big", "x".repeat(200))).toBe(false);
    expect(await cache.get("big")).toBeUndefined();
    expect(await cache.setMany({ ok: 1, big: "x".repeat(200) })).toEqual(["big"]);
    expect(await cache.get("ok")).toBe(1);
    expect(warnings.join("\n")).toMatch(/exceeds the memory cache's maxBytes/);
  });

  it("two caches on one memory backend share it; each has its own", async () => {
    const shared = createMemoryBackend();
    const a = new Cache(shared, { prefix: "a" });
    const b = new Cache(shared, { prefix: "a" });
    await a.set("k", 1);
    expect(await b.get("k")).toBe(1);
    const other = new Cache(createMemoryBackend(), { prefix: "a" });
    expect(await other.get("k")).toBeUndefined();
  });
});
