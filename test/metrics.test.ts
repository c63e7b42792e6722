import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyKey, logicalKey, tagFamily } from "@/lib/cache/tags/families";
import { normalizeMethod, normalizeRoute } from "@/lib/metrics/routes";
import { TopK } from "@/lib/metrics/top-k";
import { tags } from "@/lib/posts/cache-keys";
import { call } from "./http";
import { loadRoutes } from "./routes";

// GET /api/metrics against the real route handlers, PostgreSQL and Redis: the
// text parses as Prometheus exposition, and the counters move by exactly what
// a known sequence of requests should cost.

type Routes = Awaited<ReturnType<typeof loadRoutes>>;

/** One sample: metric name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A small parser of the Prometheus text format (0.0.4): `# HELP`/`# TYPE`
 * lines, then `name{label="value",…} number`. Throws on any other line, and
 * on a sample whose metric has no TYPE line.
 */
function parsePrometheus(text: string): Sample[] {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") {
        expect(["counter", "gauge", "histogram", "summary", "untyped"]).toContain(meta[3]);
        types.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|[Nn]a[Nn]|\+Inf|-Inf)$/.exec(line);
    if (!sample) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    const name = sample[1]!;
    const labels: Record<string, string> = {};
    const body = sample[2] ?? "";
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let m = labelRe.exec(body); m; m = labelRe.exec(body)) {
      labels[m[1]!] = m[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
      consumed = labelRe.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`bad labels: ${JSON.stringify(line)}`);
    const base = name.replace(/_(bucket|sum|count)$/, "");
    if (!types.has(name) && !types.has(base)) throw new Error(`sample without a TYPE line: ${name}`);
    samples.push({ name, labels, value: Number(sample[3]) });
  }
  return samples;
}

/** The value of one series (0 when it has not appeared yet: a counter that never moved). */
function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

let db: pg.Client;
let routes: Routes;
let metricsGET: (req: Request) => Promise<Response>;
let postId: number;

beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  const { rows } = await db.query<{ id: number }>(`SELECT id FROM "post" ORDER BY id LIMIT 1`);
  postId = rows[0]!.id;
  routes = await loadRoutes("full");
  // Same module graph as the routes (and so as the cache they create).
  metricsGET = (await import("@/app/api/metrics/route")).GET;
  await routes.cache.has("connect");
  await routes.cache.clear();
});
afterAll(async () => {
  await db.end();
});

async function scrape(): Promise<Sample[]> {
  // From this machine: with neither METRICS_TOKEN nor ADMIN_EMAILS set, the route answers loopback clients only.
  const res = await metricsGET(new Request("http://localhost:3000/api/metrics", { headers: { "x-forwarded-for": "127.0.0.1" } }));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

const getPost = (id: number) => call(routes.detail, `/api/posts/${id}`, { params: { id: String(id) } });
const getPage = (query: string) => call(routes.list, `/api/posts?${query}`);

/** How each series of `names` moved between two scrapes, per family. */
function moved(before: Sample[], after: Sample[], name: string, family: string): number {
  return value(after, name, { family }) - value(before, name, { family });
}

describe("GET /api/metrics", () => {
  it("is Prometheus text with the documented metrics", async () => {
    const samples = await scrape();
    const names = new Set(samples.map((s) => s.name));
    for (const name of ["cache_circuit_open", "cache_info", "process_cpu_user_seconds_total"]) expect(names).toContain(name);
    expect(value(samples, "cache_info", { mode: "full", backend: "redis" })).toBe(1);
    expect(value(samples, "cache_circuit_open")).toBe(0);
    // The database as the app's statements found it (a scrape asks it when nothing else has lately).
    expect(value(samples, "db_up")).toBe(1);
  });

  it("counts a miss, then a hit, per key family (a post in full mode)", async () => {
    const families = ["post-dto", "post-content", "likes-count", "comments-count", "comments"];
    const rt = (s: Sample[], op: string) => value(s, "cache_round_trips_total", { op });
    const s0 = await scrape();
    expect((await getPost(postId)).status).toBe(200);
    const s1 = await scrape();
    for (const family of families) {
      expect([family, moved(s0, s1, "cache_misses_total", family), moved(s0, s1, "cache_hits_total", family)]).toEqual([family, 1, 0]);
    }
    expect(moved(s0, s1, "cache_misses_total", "response")).toBe(1);
    expect(moved(s0, s1, "cache_misses_total", "user")).toBeGreaterThanOrEqual(1);
    // Cold: the read (a script) and the authors' (another), one fill for both.
    expect(rt(s1, "eval:readTagged") - rt(s0, "eval:readTagged")).toBe(2);
    expect(rt(s1, "eval:fillTagged") - rt(s0, "eval:fillTagged")).toBe(1);

    // Read again: every piece is a hit, and now the whole response is stored.
    expect((await getPost(postId)).status).toBe(200);
    const s2 = await scrape();
    for (const family of families) {
      expect([family, moved(s1, s2, "cache_misses_total", family), moved(s1, s2, "cache_hits_total", family)]).toEqual([family, 0, 1]);
    }
    expect(rt(s2, "eval:fillTagged") - rt(s1, "eval:fillTagged")).toBe(1);

    // Warm: the whole response alone, nothing written.
    expect((await getPost(postId)).status).toBe(200);
    const s3 = await scrape();
    expect([moved(s2, s3, "cache_hits_total", "response"), moved(s2, s3, "cache_misses_total", "response")]).toEqual([1, 0]);
    for (const family of families) expect([family, moved(s2, s3, "cache_hits_total", family)]).toEqual([family, 0]);
    expect(rt(s3, "eval:fillTagged") - rt(s2, "eval:fillTagged")).toBe(0);
    expect(moved(s0, s3, "cache_stale_total", "post-dto")).toBe(0);
  });

  it("counts a warm list page as one whole-response hit, and a page rebuilt from its pieces per row and family", async () => {
    const query = "page=2&pageSize=5";
    const s0 = await scrape();
    const cold = await getPage(query);
    expect(cold.status).toBe(200);
    const s1 = await scrape();
    expect(moved(s0, s1, "cache_misses_total", "page")).toBe(1);
    expect(moved(s0, s1, "cache_misses_total", "response")).toBe(1);

    // Asked again: built from its pieces (all missing: the first request kept only the page's membership).
    expect((await getPage(query)).status).toBe(200);
    const s2 = await scrape();
    expect(moved(s1, s2, "cache_hits_total", "page")).toBe(1);
    expect(moved(s1, s2, "cache_misses_total", "post-dto")).toBe(5);

    // Warm: the whole response, and nothing else read.
    expect((await getPage(query)).status).toBe(200);
    const s3 = await scrape();
    expect([moved(s2, s3, "cache_hits_total", "response"), moved(s2, s3, "cache_misses_total", "response")]).toEqual([1, 0]);
    for (const family of ["page", "post-dto", "likes-count", "comments-count", "user"]) {
      expect([family, moved(s2, s3, "cache_hits_total", family), moved(s2, s3, "cache_misses_total", family)]).toEqual([family, 0, 0]);
    }
    expect(value(s3, "cache_round_trips_total", { op: "eval:readIndexed" }) - value(s2, "cache_round_trips_total", { op: "eval:readIndexed" })).toBe(1);

    // One row's likes bumped: the response is stale, so the same call reads the pieces; one count is reloaded.
    const body = (await cold.json()) as { results: { id: number }[] };
    await routes.invalidate([tags.likes(body.results[0]!.id)]);
    expect((await getPage(query)).status).toBe(200);
    const s4 = await scrape();
    expect([moved(s3, s4, "cache_misses_total", "response"), moved(s3, s4, "cache_stale_total", "response")]).toEqual([1, 1]);
    expect(moved(s3, s4, "cache_hits_total", "page")).toBe(1);
    for (const [family, hits, misses] of [["post-dto", 5, 0], ["likes-count", 4, 1], ["comments-count", 5, 0]] as const) {
      expect([family, moved(s3, s4, "cache_hits_total", family), moved(s3, s4, "cache_misses_total", family)]).toEqual([family, hits, misses]);
    }
    expect(moved(s3, s4, "cache_stale_total", "likes-count")).toBe(1);
    expect(value(s4, "cache_round_trips_total", { op: "eval:readIndexed" }) - value(s3, "cache_round_trips_total", { op: "eval:readIndexed" })).toBe(1);
  });

  it("counts an invalidation per tag family, and the stale entry it leaves as a miss", async () => {
    expect((await getPost(postId)).status).toBe(200); // warm
    const s0 = await scrape();
    await routes.invalidate([tags.likes(postId)]);
    const s1 = await scrape();
    const bumps = (s: Sample[], tagFamily: string) => value(s, "cache_invalidations_total", { tag_family: tagFamily });
    expect(bumps(s1, "post:{id}:likes") - bumps(s0, "post:{id}:likes")).toBe(1);
    expect(bumps(s1, "posts") - bumps(s0, "posts")).toBe(0);

    expect((await getPost(postId)).status).toBe(200);
    const s2 = await scrape();
    // The whole response and the likes count were in Redis but stamped with the old token: reloaded, counted stale.
    expect([moved(s1, s2, "cache_misses_total", "response"), moved(s1, s2, "cache_stale_total", "response")]).toEqual([1, 1]);
    expect(moved(s1, s2, "cache_misses_total", "likes-count")).toBe(1);
    expect(moved(s1, s2, "cache_stale_total", "likes-count")).toBe(1);
    expect(moved(s1, s2, "cache_hits_total", "post-dto")).toBe(1);
    // No label of ours carries an id: families, tag families, ops and routes are templates.
    for (const s of s2.filter((x) => /^(cache|http)_/.test(x.name))) {
      for (const [label, v] of Object.entries(s.labels)) if (label !== "le" && label !== "status") expect(v).not.toMatch(/\d/);
    }
  });

  it("counts a read that failed as errors and misses, never as stale", async () => {
    const { createCache } = await import("@/lib/cache/factory");
    const { forId, TagStore } = await import("@/lib/cache/tags");
    const { likesCountSpec } = await import("@/lib/posts/cache-keys");
    const { runInScope } = await import("@/lib/scope");
    // A cache whose server is not there (nothing listens on port 1).
    const down = createCache({ redisUrl: "redis://127.0.0.1:1", prefix: "metrics-down", timeoutMs: 100, logger: () => {} });
    const store = new TagStore(down);
    const s0 = await scrape();
    await runInScope(async () => {
      const spec = forId(likesCountSpec, postId);
      const [read] = await store.read([spec]);
      expect(read?.hit).toBe(false);
      await store.fill([{ spec, value: 3, stamp: read!.stamp, ttl: 60 }]);
    });
    await down.close();
    const s1 = await scrape();
    expect(moved(s0, s1, "cache_errors_total", "likes-count")).toBeGreaterThanOrEqual(1);
    expect(moved(s0, s1, "cache_errors_total", "tag")).toBeGreaterThanOrEqual(1);
    expect(moved(s0, s1, "cache_misses_total", "likes-count")).toBe(1);
    expect(moved(s0, s1, "cache_hits_total", "likes-count")).toBe(0);
    expect(value(s1, "cache_stale_total") - value(s0, "cache_stale_total")).toBe(0);
  });

  it("records a request's SQL, round trips and duration under its normalized route", async () => {
    const { finishRequest } = await import("@/lib/metrics");
    const { createScope, runInScope } = await import("@/lib/scope");
    const s0 = await scrape();
    // What server.ts does around Next's handler.
    const scope = createScope();
    const res = await runInScope(() => getPost(postId), scope);
    finishRequest(scope, { method: normalizeMethod("get"), route: normalizeRoute(`/api/posts/${postId}?x=1`), status: String(res.status), durationMs: 12 });
    const s1 = await scrape();
    const labels = { method: "GET", route: "/api/posts/[id]" };
    const d = (name: string, extra: Record<string, string> = {}) => value(s1, name, { ...labels, ...extra }) - value(s0, name, { ...labels, ...extra });
    expect(d("http_request_duration_seconds_count", { status: "200" })).toBe(1);
    expect(d("http_request_duration_seconds_sum", { status: "200" })).toBeCloseTo(0.012, 6);
    expect(d("http_request_cache_round_trips_sum")).toBe(scope.cache.roundTrips);
    expect(d("http_request_sql_statements_sum")).toBe(scope.db.queries);
    expect(d("http_request_sql_duration_seconds_count")).toBe(1);
    // Warm: the whole response, counted as the read found it.
    expect(moved(s0, s1, "cache_hits_total", "response")).toBe(1);
  });

  it("feeds the dashboard: hit counts per family over the window", async () => {
    const { getCacheStats } = await import("@/lib/metrics/app");
    const before = await getCacheStats();
    await getPost(postId);
    const after = await getCacheStats();
    expect(after.mode).toBe("full");
    expect(after.backend).toBe("redis");
    expect(after.families).toEqual(expect.arrayContaining(["post-dto", "response", "user"]));
    expect((after.window.families["response"]?.hits ?? 0) - (before.window.families["response"]?.hits ?? 0)).toBe(1);
    expect(after.invalidations.topTags.map((t) => t.tag)).toContain(tags.likes(postId));
    expect(after.points.length).toBeGreaterThan(0);
    // A look at the store: Redis's memory, and the keys of this run's prefix (the post's entries and tags at least).
    expect(after.store.usedMemoryBytes).toBeGreaterThan(0);
    expect(after.store.keyCount).toBeGreaterThanOrEqual(5);
    expect(after.store.keyCountComplete).toBe(true);
    expect(after.database.up).toBe(true);
    expect(after.admission).toBeNull(); // admission control is the production server's (server.ts); none here
  });
});

describe("label values are bounded", () => {
  it("normalizes paths to route templates", () => {
    expect(normalizeRoute("/api/posts/123")).toBe("/api/posts/[id]");
    expect(normalizeRoute("/api/posts/123/like")).toBe("/api/posts/[id]/like");
    expect(normalizeRoute("/api/posts/7/comments?page=2")).toBe("/api/posts/[id]/comments");
    expect(normalizeRoute("/api/posts?page=3")).toBe("/api/posts");
    expect(normalizeRoute("/posts/42")).toBe("/posts/[id]");
    expect(normalizeRoute("/posts/42/edit")).toBe("/posts/[id]/edit");
    expect(normalizeRoute("/posts/new")).toBe("/posts/new");
    expect(normalizeRoute("/")).toBe("/");
    expect(normalizeRoute("/api/auth/sign-in/email")).toBe("/api/auth/[...all]");
    expect(normalizeRoute("/_next/static/chunks/abc123.js")).toBe("/_next/static");
    // Anything else, however many distinct paths a client invents, is one label.
    expect(normalizeRoute("/posts/abc")).toBe("other");
    expect(normalizeRoute(`/wp-admin/${crypto.randomUUID()}`)).toBe("other");
    expect(normalizeMethod("BREW")).toBe("other");
  });

  it("derives key and tag families from the shape of a key, never its ids", () => {
    expect(logicalKey("blog:1:post-dto:v2:7")).toBe("post-dto:v2:7");
    expect(classifyKey("blog:1:post-dto:v2:7")).toEqual({ tag: false, family: "post-dto" });
    expect(classifyKey("blog:1:post-content:v1:7")).toEqual({ tag: false, family: "post-content" });
    expect(classifyKey("blog:1:liked:7:user_x")).toEqual({ tag: false, family: "liked" });
    expect(classifyKey("blog:1:user:v1:Xk9")).toEqual({ tag: false, family: "user" });
    expect(classifyKey("blog:1:page:v1:20:1")).toEqual({ tag: false, family: "page" });
    expect(classifyKey("blog:1:posts-count")).toEqual({ tag: false, family: "posts-count" });
    expect(classifyKey("blog:1:response:v2:list:20:1:/api/posts")).toEqual({ tag: false, family: "response" });
    expect(classifyKey("blog:1:tag:post:7:likes")).toEqual({ tag: true, tagName: "post:7:likes" });
    expect(tagFamily("posts")).toBe("posts");
    expect(tagFamily("post:7")).toBe("post:{id}");
    expect(tagFamily("post:7:comments")).toBe("post:{id}:comments");
    expect(tagFamily("epoch")).toBe("epoch");
    expect(tagFamily("user:9")).toBe("user:{id}");
    expect(tagFamily("user:bob")).toBe("user:{id}");
    expect(tagFamily("post:7:Evil1")).toBe("post:{id}:{id}");
    expect(tagFamily("post:{7}:likes")).toBe("post:{id}:likes"); // a hash-tagged id is an id
    expect(tagFamily("user:{u_9}")).toBe("user:{id}");
  });

  it("keeps the most invalidated tags in bounded memory", () => {
    const top = new TopK(20);
    for (let i = 0; i < 30; i++) top.add("post:1:likes");
    for (let i = 0; i < 20; i++) top.add("posts");
    for (let i = 0; i < 500; i++) top.add(`post:${1000 + i}`); // many one-off tags
    // Space-Saving keeps every item seen more than total / capacity times (27.5 here), counted exactly.
    const items = top.top(3);
    expect(items).toHaveLength(3);
    expect(items[0]).toMatchObject({ item: "post:1:likes", count: 30, error: 0 });
    expect(top.top(100)).toHaveLength(20);
  });
});

describe("request ids", () => {
  it("keeps a well-formed X-Request-Id and replaces anything else", async () => {
    const { requestIdFrom } = await import("@/lib/log");
    expect(requestIdFrom("abc-123_DEF.456")).toBe("abc-123_DEF.456");
    expect(requestIdFrom("Root=1-67891233-abcdef012345678912345678")).toBe("Root=1-67891233-abcdef012345678912345678");
    for (const bad of [undefined, "", "has space", "x".repeat(129), "quote\"", "new\nline", ["a", "b"]]) {
      expect(requestIdFrom(bad as string | string[] | undefined)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});
