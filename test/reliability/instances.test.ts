import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownRedis } from "@/lib/cache/test-support";
import type { PostDetail } from "@/lib/posts/types";
import { postPage } from "./html";
import { ensureBuild, type Instance, NO_ADMISSION_CONTROL, reliabilityDatabase, signInOver, startInstance } from "./instances";

// Two `server.ts` processes on one PostgreSQL and one Redis of the test's own:
// stampedes, write/read races across instances, and a Redis outage mid-load.
// Counts come from the accounting headers; nothing here is a benchmark.

let database: Awaited<ReturnType<typeof reliabilityDatabase>>;
let redis: Awaited<ReturnType<typeof ownRedis>>;
let a: Instance;
let b: Instance;
let db: pg.Client;

beforeAll(async () => {
  await ensureBuild();
  database = await reliabilityDatabase(`blog_reliability_test_${process.pid}`);
  redis = await ownRedis();
  const prefix = `rel-${process.pid}`;
  // The stampede sends 200 requests at once to each: what they do to the
  // cache is measured here, not admission control (NO_ADMISSION_CONTROL).
  a = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix, extraEnv: NO_ADMISSION_CONTROL });
  b = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix, authUrl: a.url, extraEnv: NO_ADMISSION_CONTROL });
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
}, 600_000);

afterAll(async () => {
  await db?.end();
  await a?.stop();
  await b?.stop();
  await redis?.stop();
  await database?.drop();
});

const queriesOf = (res: Response) => Number(res.headers.get("x-db-queries"));

async function likesInDb(id: number): Promise<number> {
  return Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "like" WHERE "postId" = $1`, [id])).rows[0]!.n);
}

describe("stampede: many concurrent requests for one cold post", () => {
  it("200 concurrent requests on each of two instances load the post once in all (single-flight per process, a lease across them)", async () => {
    const id = 17;
    // Warm processes (JIT, database connections), as a deployed instance is: a
    // cold one can take longer than a lease lasts over its first burst.
    for (const instance of [a, b]) {
      for (let i = 0; i < 20; i++) await fetch(`${instance.url}/api/posts/${3 + (i % 5)}`).then((r) => r.arrayBuffer());
    }
    const burst = (instance: Instance) =>
      Promise.all(Array.from({ length: 200 }, () => fetch(`${instance.url}/api/posts/${id}`)));
    const [onA, onB] = await Promise.all([burst(a), burst(b)]);
    for (const res of [...onA, ...onB]) expect(res.status).toBe(200);
    const bodies = new Set(await Promise.all([...onA, ...onB].map((r) => r.text())));
    expect(bodies.size).toBe(1);
    // ONE request loaded the post (one statement for the post, its counts and
    // comments; one more for authors' names not cached yet); requests that
    // joined its load, or waited on the other instance's lease, report none.
    const loaders = [...onA, ...onB].filter((r) => queriesOf(r) > 0);
    expect(loaders).toHaveLength(1);
    expect(queriesOf(loaders[0]!)).toBeLessThanOrEqual(2);
  });
});

describe("write/read races across instances", () => {
  it("1,000 rounds of like/unlike on one instance, each followed by reads on the other (JSON and page): 0 stale reads", async () => {
    const cookie = await signInOver(a, "demo1@example.com");
    const id = 23;
    const readOnB = async () => ((await (await fetch(`${b.url}/api/posts/${id}`)).json()) as PostDetail).likesCount;
    // Background readers on B keep refilling the cache while the writes land.
    let stop = false;
    const readers = Array.from({ length: 2 }, async () => {
      while (!stop) await fetch(`${b.url}/api/posts?pageSize=50`).then((r) => r.arrayBuffer());
    });
    let stale = 0;
    try {
      for (let round = 0; round < 1_000; round++) {
        const method = round % 2 === 0 ? "PUT" : "DELETE";
        const res = await fetch(`${a.url}/api/posts/${id}/like`, { method, headers: { Cookie: cookie } });
        expect(res.status).toBe(200);
        const { likesCount } = (await res.json()) as { likesCount: number };
        // The write is acknowledged: every read from now on, on any instance, must include it.
        const [detail, list, page] = await Promise.all([
          readOnB(),
          fetch(`${b.url}/api/posts?pageSize=100`).then(async (r) => ((await r.json()) as { results: { id: number; likesCount: number }[] }).results.find((p) => p.id === id)?.likesCount),
          // The server-rendered page, which B's fast path answers whole while it is valid.
          fetch(`${b.url}/posts/${id}`).then(async (r) => postPage(await r.text()).likes),
        ]);
        if (detail !== likesCount) stale += 1;
        if (list !== undefined && list !== likesCount) stale += 1;
        if (page !== likesCount) stale += 1;
      }
    } finally {
      stop = true;
      await Promise.all(readers);
    }
    expect(stale).toBe(0);
    expect(await readOnB()).toBe(await likesInDb(id));
  }, 300_000);
});

describe("Redis outage mid-load, with two instances", () => {
  // Their own pair, with the app's default cache timeout (200 ms): a request
  // caught by the kill waits at most that long for Redis.
  let a: Instance;
  let b: Instance;
  beforeAll(async () => {
    const prefix = `rel-outage-${process.pid}`;
    a = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix, cacheTimeoutMs: 200 });
    b = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix, authUrl: a.url, cacheTimeoutMs: 200 });
  }, 120_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it("no request fails (API and pages), health says degraded, and after a restart warm reads come from the cache again with no stale value", async () => {
    const cookies = [await signInOver(a, "demo2@example.com"), await signInOver(a, "demo3@example.com")];
    const id = 31;
    const failures: string[] = [];
    let slow = 0;
    let writes = 0;
    const request = async (i: number) => {
      const instance = i % 2 === 0 ? a : b;
      const cookie = cookies[i % 2]!;
      const kind = i % 10;
      const started = performance.now();
      let res: Response;
      try {
        if (kind === 0) res = await fetch(`${instance.url}/api/posts/${id}/like`, { method: i % 20 === 0 ? "PUT" : "DELETE", headers: { Cookie: cookie } });
        else if (kind === 5) res = await fetch(`${instance.url}/api/posts/${id}/comments`, { method: "POST", headers: { Cookie: cookie, "Content-Type": "application/json" }, body: JSON.stringify({ body: `during the outage ${i}` }) });
        else if (kind === 3) res = await fetch(`${instance.url}/posts/${id}`);
        else if (kind === 7) res = await fetch(`${instance.url}/`);
        else res = await fetch(`${instance.url}/api/posts${kind % 2 ? `/${id}` : "?page=2"}`);
      } catch (error) {
        failures.push(`${i}: ${String(error)}`);
        return;
      }
      // The API's bound (a request caught by the kill waits at most the cache timeout); pages also render.
      if (kind !== 3 && kind !== 7 && performance.now() - started > 1_000) slow += 1;
      // 429 is the comment rate limit doing its job, not a failure.
      if (res.status >= 500 || (res.status >= 400 && res.status !== 429)) failures.push(`${i}: ${res.status} ${await res.text()}`);
      else await res.arrayBuffer();
      if (kind === 0 || (kind === 5 && res.status === 201)) writes += 1;
    };

    // A few hundred requests, 8 at a time; Redis is killed a third of the way in.
    let next = 0;
    const total = 300;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        if (i === 100) await redis.stop();
        await request(i);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(failures).toEqual([]);
    expect(slow).toBe(0);
    expect(writes).toBeGreaterThan(0);

    const health = await fetch(`${a.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "degraded", db: "ok", cache: "down" });

    // Reads while it is down come from the database and are fresh.
    const truth = async () => likesInDb(id);
    expect(((await (await fetch(`${b.url}/api/posts/${id}`)).json()) as PostDetail).likesCount).toBe(await truth());

    await redis.restart();
    const deadline = Date.now() + 5_000;
    let warm = false;
    while (Date.now() < deadline && !warm) {
      const [first, second] = [await fetch(`${b.url}/api/posts/${id}`), await fetch(`${b.url}/api/posts/${id}`)];
      await first.arrayBuffer();
      const body = (await second.json()) as PostDetail;
      expect(body.likesCount).toBe(await truth());
      warm = queriesOf(second) === 0 && Number(second.headers.get("x-cache-round-trips")) === 1;
      if (!warm) await new Promise((r) => setTimeout(r, 100));
    }
    expect(warm).toBe(true);
    const comments = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "comment" WHERE "postId" = $1`, [id])).rows[0]!.n);
    for (const instance of [a, b]) {
      const post = (await (await fetch(`${instance.url}/api/posts/${id}`)).json()) as PostDetail;
      expect(post.likesCount).toBe(await truth());
      expect(post.commentsCount).toBe(comments);
      // The page too, read until it is answered whole again: never a value from before the outage's writes.
      for (let i = 0; i < 3; i++) expect(postPage(await (await fetch(`${instance.url}/posts/${id}`)).text()).likes).toBe(await truth());
    }
    expect(await (await fetch(`${a.url}/api/health`)).json()).toEqual({ status: "ok", db: "ok", cache: "ok" });
  }, 120_000);
});
