import autocannon from "autocannon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownRedis } from "@/lib/cache/test-support";
import { ensureBuild, type Instance, reliabilityDatabase, signInOver, startInstance } from "./instances";

// One `server.ts` process with admission control at its default bounds
// (SHED_MAX_IN_FLIGHT 32, SHED_MAX_WAIT_MS 500, SHED_EVENT_LOOP_DELAY_MS 500):
// ordinary concurrency is never shed; 256 connections on a signed-in reader's
// page (rendered for that reader every time, ~12 ms of CPU each; an anonymous
// page is answered whole by the fast path in front of Next) are far past what
// one process serves in time, and the excess gets 503 `unavailable` while
// /api/health keeps answering.
// Counts and statuses only: the figures are `npm run bench -- --overload`'s.

let database: Awaited<ReturnType<typeof reliabilityDatabase>>;
let redis: Awaited<ReturnType<typeof ownRedis>>;
let app: Instance;

beforeAll(async () => {
  await ensureBuild();
  database = await reliabilityDatabase(`blog_overload_test_${process.pid}`);
  redis = await ownRedis();
  app = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix: `rel-overload-${process.pid}` });
}, 600_000);

afterAll(async () => {
  await app?.stop();
  await redis?.stop();
  await database?.drop();
});

/** `workers` clients, each sending `each` requests one after another: the status of every answer. */
async function ordinary(path: string, workers: number, each: number): Promise<number[]> {
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = 0; i < each; i++) {
        const res = await fetch(app.url + path);
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    }),
  );
  return statuses;
}

async function shedTotal(): Promise<number> {
  const text = await (await fetch(`${app.url}/api/metrics`)).text();
  return [...text.matchAll(/^http_requests_shed_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

describe("overload: shed, not queued", () => {
  it("10 concurrent clients are never shed; 256 connections on a signed-in page are, with 503 unavailable, while health answers throughout", async () => {
    const cookie = await signInOver(app, "demo1@example.com");
    // Warm: route code loaded, caches filled.
    for (const path of ["/", "/api/posts?page=1", "/api/posts/3", "/api/health"]) await ordinary(path, 1, 5);

    // Ordinary traffic, as the benchmark's rows send it: 10 at a time.
    const normal = [...(await ordinary("/api/posts?page=1", 10, 30)), ...(await ordinary("/", 10, 5)), ...(await ordinary("/api/posts/3", 10, 30))];
    expect(normal.length).toBe(650);
    expect(normal.filter((s) => s !== 200)).toEqual([]);
    expect(await shedTotal()).toBe(0);

    // Past the bound: 256 connections on a signed-in reader's page for 6 s,
    // while health is asked every 100 ms.
    let polling = true;
    const health: number[] = [];
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`${app.url}/api/health`, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
        health.push(res?.status ?? 0);
        await res?.arrayBuffer();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const burst = await autocannon({ url: `${app.url}/posts/3`, headers: { cookie }, connections: 256, duration: 6, timeout: 20 });
    polling = false;
    await poller;
    const codes = Object.fromEntries(Object.entries(burst.statusCodeStats).map(([code, s]) => [code, s.count]));
    expect(Object.keys(codes).filter((code) => code !== "200" && code !== "503")).toEqual([]);
    expect(codes["200"]).toBeGreaterThan(0);
    expect(codes["503"]).toBeGreaterThan(0);
    // Every 503 the clients saw was admission control's (none from elsewhere).
    expect(await shedTotal()).toBeGreaterThanOrEqual(codes["503"]!);
    expect(health.length).toBeGreaterThan(5);
    expect(health.filter((s) => s !== 200)).toEqual([]);

    // Once the burst is over, ordinary traffic is served again, none of it shed.
    const shedBefore = await shedTotal();
    const after = await ordinary("/api/posts?page=1", 10, 20);
    expect(after.filter((s) => s !== 200)).toEqual([]);
    expect(await shedTotal()).toBe(shedBefore);
  });
});
