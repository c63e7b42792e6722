import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cache } from "./cache";
import { createCache } from "./factory";
import { TagStore, type TaggedSpec } from "./tags";
import { ownRedis, sleep } from "./test-support";

// A bump lost to an outage must not let an entry from before it be served
// after it. The server is FROZEN (SIGSTOP), not killed, so it keeps its data
// — the case where a stale entry would survive.

describe("tag bumps lost during an outage (the epoch)", () => {
  let redis: Awaited<ReturnType<typeof ownRedis>>;
  let cache: Cache;
  let store: TagStore;
  beforeAll(async () => {
    redis = await ownRedis();
    cache = createCache({ redisUrl: redis.url, prefix: "outage", timeoutMs: 100, logger: () => {}, });
    store = new TagStore(cache);
  });
  afterAll(async () => {
    await cache.close();
    await redis.stop();
  });

  const spec: TaggedSpec = { key: "likes:1", tags: ["post:1:likes"] };

  it("an entry filled before a failed invalidation is a miss once the cache answers again", async () => {
    const [miss] = await store.read<number>([spec]);
    await store.fill([{ spec, value: 10, stamp: miss!.stamp, ttl: 60 }]);
    expect((await store.read<number>([spec]))[0]).toMatchObject({ hit: true, value: 10 });

    process.kill(redis.pid, "SIGSTOP");
    try {
      // Reads time out until the circuit opens …
      for (let i = 0; i < 6; i++) expect((await store.read([spec]))[0]?.hit).toBe(false);
      expect(cache.backend.circuitState()).toBe("open");
      // … and the write's bump, sent again past the open circuit, is never
      // confirmed (each attempt times out): the epoch is owed.
      await store.invalidate(["post:1:likes"]);
      expect(store.epochBumpPending).toBe(true);
    } finally {
      process.kill(redis.pid, "SIGCONT");
    }
    // Wait until the cache answers again (the breaker probes after its open period).
    for (let i = 0; i < 50 && !(await cache.set("probe", 1)); i++) await sleep(100);
    const read = await store.read<number>([spec]);
    expect(store.epochBumpPending).toBe(false);
    expect(read[0]?.hit).toBe(false);
  });
});
