import { computeCacheBustingSearchParam } from "next/dist/shared/lib/router/utils/cache-busting-search-param";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownRedis } from "@/lib/cache/test-support";
import type { PostDetail, PostSummary } from "@/lib/posts/types";
import { card, nonces, postPage } from "./html";
import { ensureBuild, type Instance, reliabilityDatabase, signInOver, startInstance } from "./instances";
import { metric } from "./mixed-load";

// The fast path in front of Next (lib/http/fast-path.ts), on real instances
// sharing one PostgreSQL and one Redis: A and A2 with it, B without
// (FAST_PATH=0), so B's answers are the framework's. A response from the
// fast path and one from Next for the same state must be the same; every
// write must show on the next read of either instance, pages included; and
// nothing per viewer may be shared.

let database: Awaited<ReturnType<typeof reliabilityDatabase>>;
let redis: Awaited<ReturnType<typeof ownRedis>>;
let a: Instance;
let a2: Instance;
let b: Instance;
let db: pg.Client;

beforeAll(async () => {
  await ensureBuild();
  database = await reliabilityDatabase(`blog_fastpath_test_${process.pid}`);
  redis = await ownRedis();
  const prefix = `fast-${process.pid}`;
  a = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix });
  a2 = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix, authUrl: a.url });
  b = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix, authUrl: a.url, extraEnv: { FAST_PATH: "0" } });
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
}, 600_000);

afterAll(async () => {
  await db?.end();
  for (const instance of [a, a2, b]) await instance?.stop();
  await redis?.stop();
  await database?.drop();
});

interface Ask {
  path: string;
  method?: string;
  headers?: Record<string, string>;
}

const RSC_NAV = { RSC: "1", "Next-Router-State-Tree": encodeURIComponent(JSON.stringify(["", { children: ["__PAGE__", {}, null, "refetch", 0] }, null, null, 16])), "Next-Url": "/" };
const METADATA_ONLY = encodeURIComponent(JSON.stringify(["", {}, null, "metadata-only"]));

/** The `_rsc` a browser sends with these router headers (Next checks it). */
const rscHash = (prefetch: string | undefined, segment: string | undefined, tree: string | undefined, nextUrl: string | undefined) =>
  computeCacheBustingSearchParam(prefetch as "1" | undefined, segment, tree, nextUrl);

const ask = (instance: Instance, req: Ask) => fetch(`${instance.url}${req.path}`, { method: req.method ?? "GET", headers: req.headers ?? {}, redirect: "manual" });

/** Sends `req` to a fast-path instance until the fast path answers it (the page is stored on its second build). */
async function fromFastPath(instance: Instance, req: Ask): Promise<Response> {
  for (let i = 0; i < 6; i++) {
    const before = await metric(instance, "http_fast_path_total", { outcome: "hit" });
    const res = await ask(instance, req);
    const after = await metric(instance, "http_fast_path_total", { outcome: "hit" });
    if (after > before) return res;
    await res.arrayBuffer();
  }
  throw new Error(`the fast path never answered ${req.method ?? "GET"} ${req.path}`);
}

/** Headers that say nothing about the response itself (per connection, per request, timings). */
const PER_RESPONSE = new Set(["date", "connection", "keep-alive", "transfer-encoding", "content-length", "x-request-id", "server-timing"]);

/** A response with its nonce replaced, and its headers by lowercase name. */
async function normalized(res: Response): Promise<{ status: number; body: string; headers: Record<string, string>; timing: boolean }> {
  const text = res.status === 304 ? "" : await res.text();
  const nonce = /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
  const strip = (s: string) => (nonce ? s.replaceAll(nonce, "NONCE") : s);
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!PER_RESPONSE.has(name)) headers[name] = strip(value);
  });
  return { status: res.status, body: strip(text), headers, timing: res.headers.has("server-timing") };
}

describe("the same response either way", () => {
  const routes: { name: string; fast: Ask; next?: Ask }[] = [
    { name: "list page 1 (JSON)", fast: { path: "/api/posts" } },
    { name: "another list page (JSON)", fast: { path: "/api/posts?page=2&pageSize=7" } },
    { name: "a post (JSON)", fast: { path: "/api/posts/5" } },
    { name: "HEAD of a list page", fast: { path: "/api/posts", method: "HEAD" } },
    { name: "/", fast: { path: "/" } },
    { name: "/?page=2", fast: { path: "/?page=2" } },
    { name: "/posts/{id}", fast: { path: "/posts/5" } },
    // Client-side navigation: any router state gets the full payload, which Next renders for no router state.
    { name: "navigation payload of /posts/{id}", fast: { path: "/posts/5?_rsc=anything", headers: RSC_NAV }, next: { path: "/posts/5?_rsc=", headers: { RSC: "1" } } },
    { name: "navigation payload of /", fast: { path: "/?_rsc=x", headers: RSC_NAV }, next: { path: "/?_rsc=", headers: { RSC: "1" } } },
    // Prefetches, as a browser on `/` sends them for a link to /posts/6.
    { name: "route-tree prefetch of /posts/{id}", fast: { path: "/posts/6?_rsc=TREE", headers: { RSC: "1", "Next-Router-Prefetch": "1", "Next-Router-Segment-Prefetch": "/_tree", "Next-Url": "/" } } },
    { name: "metadata prefetch of /posts/{id}", fast: { path: "/posts/6?_rsc=META", headers: { RSC: "1", "Next-Router-Prefetch": "1", "Next-Router-State-Tree": METADATA_ONLY, "Next-Url": "/" } } },
  ];
  beforeAll(async () => {
    for (const route of routes) {
      const h = route.fast.headers ?? {};
      const hash = await rscHash(h["Next-Router-Prefetch"], h["Next-Router-Segment-Prefetch"], h["Next-Router-State-Tree"], h["Next-Url"]);
      route.fast.path = route.fast.path.replace(/_rsc=(TREE|META)$/, `_rsc=${hash}`);
    }
  });

  for (const route of routes) {
    it(`${route.name}: fast path and framework agree on body and headers`, async () => {
      const fast = await normalized(await fromFastPath(a, route.fast));
      let viaNext = await normalized(await ask(b, route.next ?? route.fast));
      if (viaNext.status === 307) throw new Error(`Next redirected ${route.name}: ${JSON.stringify(viaNext.headers)}`);
      // RSC payloads carry ids Next makes anew for every render (keys of its metadata boundaries): two
      // renders never agree on them, so they are compared as "an id" (HTML carries none).
      if (route.fast.headers?.RSC) {
        const ids = /"[A-Za-z0-9_-]{22}"/g;
        expect(fast.body.replace(ids, '"ID"')).toBe(viaNext.body.replace(ids, '"ID"'));
        viaNext = { ...viaNext, body: fast.body };
      }
      expect(fast.status).toBe(viaNext.status);
      expect(fast.body).toBe(viaNext.body);
      expect(fast.headers).toEqual(viaNext.headers);
      expect(fast.timing).toBe(viaNext.timing);
    });
  }

  it("a JSON 304 is the same either way", async () => {
    const etag = (await fromFastPath(a, { path: "/api/posts/7" })).headers.get("etag")!;
    const conditional = { path: "/api/posts/7", headers: { "If-None-Match": etag } };
    const fast = await normalized(await fromFastPath(a, conditional));
    const viaNext = await normalized(await ask(b, conditional));
    expect([fast.status, viaNext.status]).toEqual([304, 304]);
    expect(fast.headers).toEqual(viaNext.headers);
  });

  it("every response of a cached page has a nonce of its own, and its markup carries the header's", async () => {
    const first = await fromFastPath(a, { path: "/posts/8" });
    const second = await fromFastPath(a, { path: "/posts/8" });
    const seen = [];
    for (const res of [first, second]) {
      const { body, header } = nonces(await res.text(), res.headers.get("content-security-policy"));
      expect(header).toBeTruthy();
      expect(body.length).toBeGreaterThan(0);
      expect(new Set(body)).toEqual(new Set([header]));
      const link = res.headers.get("link");
      if (link?.includes("nonce")) expect(link).toContain(`nonce="${header}"`);
      seen.push(header);
    }
    expect(seen[0]).not.toBe(seen[1]);
  });
});

describe("every write shows on the next read of either instance, pages included", () => {
  let cookie: string;
  let user: { id: string; name: string };
  beforeAll(async () => {
    cookie = await signInOver(a, "demo11@example.com");
    const { rows } = await db.query<{ id: string; name: string }>(`SELECT id, name FROM "user" WHERE email = 'demo11@example.com'`);
    user = rows[0]!;
  });

  const write = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${a.url}${path}`, {
      method,
      headers: { Cookie: cookie, Origin: a.url, ...(body ? { "Content-Type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return res.status === 204 ? undefined : res.json();
  };

  /** Warms the pages and JSON of `id` on both fast-path instances, up to the fast path. */
  const warm = async (id: number) => {
    for (const instance of [a, a2]) {
      for (const path of ["/", `/posts/${id}`, "/api/posts", `/api/posts/${id}`]) await (await fromFastPath(instance, { path })).arrayBuffer();
    }
  };
  const html = async (instance: Instance, path: string) => (await fetch(`${instance.url}${path}`)).text();
  const json = async <T>(instance: Instance, path: string) => (await (await fetch(`${instance.url}${path}`)).json()) as T;

  it("like and unlike", async () => {
    const { rows } = await db.query<{ id: number }>(`SELECT id FROM "post" ORDER BY "dateAdded" DESC, id DESC LIMIT 1 OFFSET 2`);
    const id = rows[0]!.id;
    for (const method of ["PUT", "DELETE"]) {
      await warm(id);
      const { likesCount } = (await write(method, `/api/posts/${id}/like`)) as { likesCount: number };
      for (const instance of [a, a2]) {
        expect(postPage(await html(instance, `/posts/${id}`)).likes).toBe(likesCount);
        expect(card(await html(instance, "/"), id)?.likes).toBe(likesCount);
        expect((await json<PostDetail>(instance, `/api/posts/${id}`)).likesCount).toBe(likesCount);
        expect((await json<{ results: PostSummary[] }>(instance, "/api/posts")).results.find((p) => p.id === id)?.likesCount).toBe(likesCount);
      }
    }
  });

  it("a comment", async () => {
    const { rows } = await db.query<{ id: number }>(`SELECT id FROM "post" ORDER BY "dateAdded" DESC, id DESC LIMIT 1 OFFSET 3`);
    const id = rows[0]!.id;
    await warm(id);
    const body = `A comment seen everywhere ${Date.now()}`;
    await write("POST", `/api/posts/${id}/comments`, { body });
    const count = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "comment" WHERE "postId" = $1`, [id])).rows[0]!.n);
    for (const instance of [a, a2]) {
      expect(postPage(await html(instance, `/posts/${id}`)).text).toContain(body);
      expect(card(await html(instance, "/"), id)?.comments).toBe(count);
      expect((await json<PostDetail>(instance, `/api/posts/${id}`)).comments[0]?.body).toBe(body);
    }
  });

  it("create, edit and delete a post", async () => {
    const { rows } = await db.query<{ id: number }>(`SELECT id FROM "post" ORDER BY "dateAdded" DESC, id DESC LIMIT 1`);
    await warm(rows[0]!.id);
    const created = (await write("POST", "/api/posts", { title: `Fresh ${Date.now()}`, content: "Body" })) as PostDetail;
    for (const instance of [a, a2]) {
      expect(card(await html(instance, "/"), created.id)?.title).toBe(created.title);
      expect((await json<{ results: PostSummary[] }>(instance, "/api/posts")).results[0]?.id).toBe(created.id);
    }
    await warm(created.id);
    const title = `Edited ${Date.now()}`;
    await write("PATCH", `/api/posts/${created.id}`, { title });
    for (const instance of [a, a2]) {
      expect(postPage(await html(instance, `/posts/${created.id}`)).title).toBe(title);
      expect(card(await html(instance, "/"), created.id)?.title).toBe(title);
      expect((await json<PostDetail>(instance, `/api/posts/${created.id}`)).title).toBe(title);
    }
    await warm(created.id);
    await write("DELETE", `/api/posts/${created.id}`);
    for (const instance of [a, a2]) {
      expect((await fetch(`${instance.url}/posts/${created.id}`)).status).toBe(404);
      expect((await fetch(`${instance.url}/api/posts/${created.id}`)).status).toBe(404);
      expect(card(await html(instance, "/"), created.id)).toBeUndefined();
    }
  });

  it("an author's rename", async () => {
    const created = (await write("POST", "/api/posts", { title: `By a renamed author ${Date.now()}`, content: "Body" })) as PostDetail;
    await warm(created.id);
    const renamed = `${user.name} renamed ${Date.now()}`;
    const res = await fetch(`${a.url}/api/auth/update-user`, {
      method: "POST",
      headers: { Cookie: cookie, Origin: a.url, "Content-Type": "application/json" },
      body: JSON.stringify({ name: renamed }),
    });
    expect(res.status).toBe(200);
    for (const instance of [a, a2]) {
      expect(card(await html(instance, "/"), created.id)?.author).toBe(renamed);
      expect(postPage(await html(instance, `/posts/${created.id}`)).text).toContain(renamed);
      expect((await json<PostDetail>(instance, `/api/posts/${created.id}`)).author.name).toBe(renamed);
    }
  });
});

describe("nothing per viewer is shared", () => {
  it("a signed-in reader's page is never served to anonymous readers, nor the other way round", async () => {
    const cookie = await signInOver(a, "demo12@example.com");
    const { rows } = await db.query<{ name: string }>(`SELECT name FROM "user" WHERE email = 'demo12@example.com'`);
    const name = rows[0]!.name;
    const id = 9;
    // Anonymous first: the page is cached (and served by the fast path).
    const anonymous = await (await fromFastPath(a, { path: `/posts/${id}` })).text();
    expect(anonymous).not.toContain("nav-user");
    // Signed in: their own page (their name in the nav; their like), never the cached anonymous one.
    await fetch(`${a.url}/api/posts/${id}/like`, { method: "PUT", headers: { Cookie: cookie } });
    for (let i = 0; i < 3; i++) {
      const mine = await (await fetch(`${a.url}/posts/${id}`, { headers: { Cookie: cookie } })).text();
      expect(mine).toContain(`class="nav-user" title="${name}"`);
      expect(mine).toContain('aria-pressed="true"');
      const json = (await (await fetch(`${a.url}/api/posts/${id}`, { headers: { Cookie: cookie } })).json()) as PostDetail;
      expect(json.likedByMe).toBe(true);
    }
    // Anonymous again, on either instance: no trace of the signed-in reader.
    for (const instance of [a, a2]) {
      for (let i = 0; i < 3; i++) {
        const page = await (await fetch(`${instance.url}/posts/${id}`)).text();
        expect(page).not.toContain("nav-user");
        expect(page).not.toContain('aria-pressed="true"');
        expect(((await (await fetch(`${instance.url}/api/posts/${id}`)).json()) as PostDetail).likedByMe).toBe(false);
      }
    }
  });
});
