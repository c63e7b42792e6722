import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownRedis, sleep } from "@/lib/cache/test-support";
import { ensureBuild, type Instance, reliabilityDatabase, signInOver, startInstance } from "./instances";
import { metric, mixedLoad } from "./mixed-load";

// The cache under pressure, with the app's own timeout (200 ms): a Redis with
// almost no memory that evicts any key (allkeys-lru, tags included), and a
// Redis that stalls for 300 ms at a time. In both, under a mixed load of
// reads and acknowledged writes: no stale read, no failed request.

let database: Awaited<ReturnType<typeof reliabilityDatabase>>;

beforeAll(async () => {
  await ensureBuild();
  database = await reliabilityDatabase(`blog_pressure_test_${process.pid}`);
}, 600_000);

afterAll(async () => {
  await database?.drop();
});

const POSTS = Array.from({ length: 60 }, (_, i) => i + 1);

function redisCli(port: number, ...args: string[]): string {
  return execFileSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8" }).trim();
}

describe("Redis with a tiny maxmemory and allkeys-lru", () => {
  let redis: Awaited<ReturnType<typeof ownRedis>>;
  let app: Instance;
  beforeAll(async () => {
    redis = await ownRedis({ args: ["--maxmemory-policy", "allkeys-lru"] });
    // 1 MB above what an empty server uses: the load evicts thousands of keys.
    // (With less room, 400 KB, Redis itself refuses a few writes — OOM — when
    // its own buffers outgrow the limit: the app takes them as misses, still
    // with 0 stale reads and 0 failed requests, but they are errors.)
    const used = Number(/used_memory:(\d+)/.exec(redisCli(redis.port, "info", "memory"))?.[1]);
    redisCli(redis.port, "config", "set", "maxmemory", String(used + 1024 * 1024));
    app = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix: `lru-${process.pid}`, cacheTimeoutMs: 200 });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await redis?.stop();
  });

  it("evicts entries and tags alike, and serves no stale read and no error", async () => {
    const cookies = [await signInOver(app, "demo4@example.com"), await signInOver(app, "demo5@example.com"), await signInOver(app, "demo6@example.com")];
    const result = await mixedLoad({ instances: [app], cookies, postIds: POSTS, durationMs: 15_000, readersPerWriter: 2, pageSizes: [3, 5, 7, 10, 20] });
    const evicted = Number(/evicted_keys:(\d+)/.exec(redisCli(redis.port, "info", "stats"))?.[1]);
    console.log(`[lru] ${result.reads} reads, ${result.writes} writes, ${evicted} keys evicted, stale ${result.stale.length}, errors ${result.errors.length}`);
    expect(evicted).toBeGreaterThan(0);
    expect(result.writes).toBeGreaterThan(100);
    expect(result.errors).toEqual([]);
    expect(result.stale).toEqual([]);
    expect(await metric(app, "cache_errors_total")).toBe(0);
  }, 120_000);
});

describe("Redis stalling for 300 ms under load", () => {
  let redis: Awaited<ReturnType<typeof ownRedis>>;
  let app: Instance;
  beforeAll(async () => {
    redis = await ownRedis();
    app = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix: `stall-${process.pid}`, cacheTimeoutMs: 200 });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await redis?.stop();
  });

  it("confirms bumps by retrying them: at most one epoch bump per stall, no stale read, no error", async () => {
    const cookies = [await signInOver(app, "demo7@example.com"), await signInOver(app, "demo8@example.com"), await signInOver(app, "demo9@example.com")];
    const epochBefore = await metric(app, "cache_invalidations_total", { tag_family: "epoch" });
    const stalls = 6;
    const load = mixedLoad({ instances: [app], cookies, postIds: POSTS, durationMs: 14_000, readersPerWriter: 2 });
    for (let i = 0; i < stalls; i++) {
      await sleep(1_500);
      process.kill(redis.pid, "SIGSTOP");
      await sleep(300);
      process.kill(redis.pid, "SIGCONT");
    }
    const result = await load;
    const epochBumps = (await metric(app, "cache_invalidations_total", { tag_family: "epoch" })) - epochBefore;
    const retries = await metric(app, "cache_invalidation_retries_total");
    console.log(`[stall] ${stalls} stalls of 300 ms: ${result.reads} reads, ${result.writes} writes, ${retries} bump retries, ${epochBumps} epoch bumps, stale ${result.stale.length}, errors ${result.errors.length}`);
    expect(result.writes).toBeGreaterThan(50);
    // The stalls caught writes: their bumps were sent again …
    expect(retries).toBeGreaterThan(0);
    // … and confirmed once Redis answered, so the epoch (a full flush) was not needed. The bound
    // is one epoch bump per stall; this allows one in all, for a stall that outlasts every attempt.
    expect(epochBumps).toBeLessThanOrEqual(1);
    expect(result.errors).toEqual([]);
    expect(result.stale).toEqual([]);
  }, 120_000);
});
