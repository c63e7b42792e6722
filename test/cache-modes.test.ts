import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedMany } from "@/lib/cache/strategies";
import { forId, TagStore } from "@/lib/cache/tags";
import { likesCountSpec, tags } from "@/lib/posts/cache-keys";
import { countLikesByPost } from "@/lib/posts/queries";
import type { Page, PostDetail, PostSummary } from "@/lib/posts/types";
import { call, dbQueries } from "./http";
import { loadRoutes, MODES } from "./routes";

// What each CACHE_MODE costs, counted (SQL statements from Prisma's query
// events, cache round trips from lib/cache's accounting) — never timed.

type Routes = Awaited<ReturnType<typeof loadRoutes>>;

let db: pg.Client;
beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
afterAll(async () => {
  await db.end();
});

function roundTrips(res: Response): number {
  return Number(res.headers.get("x-cache-round-trips"));
}

async function cost(res: Promise<Response>): Promise<{ status: number; sql: number; rt: number; body: string; res: Response }> {
  const r = await res;
  return { status: r.status, sql: dbQueries(r), rt: roundTrips(r), body: await r.clone().text(), res: r };
}

const list = (routes: Routes, query = "") => cost(call(routes.list, `/api/posts${query}`));
const detail = (routes: Routes, id: number, headers: Record<string, string> = {}) =>
  cost(call(routes.detail, `/api/posts/${id}`, { params: { id: String(id) }, headers }));

async function postIdWith(condition: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>(`SELECT p.id FROM "post" p WHERE ${condition} ORDER BY p.id LIMIT 1`);
  if (!rows[0]) throw new Error(`no post where ${condition}`);
  return rows[0].id;
}

const NO_LIKES = `NOT EXISTS (SELECT 1 FROM "like" l WHERE l."postId" = p.id)`;

describe("statement and round-trip counts per mode", () => {
  // "Cold" below means an empty cache, not a new connection: connect first
  // (the backend loads its Lua scripts when it connects, once).
  beforeAll(async () => {
    const routes = await loadRoutes("full");
    await routes.cache.has("connect");
    await routes.cache.clear();
  });

  it("off: a list page is 3 statements and no cache call, warm or cold", async () => {
    const routes = await loadRoutes("off");
    for (let i = 0; i < 2; i++) {
      const r = await list(routes);
      expect([r.status, r.sql, r.rt]).toEqual([200, 3, 0]);
    }
    const d = await detail(routes, await postIdWith("true"));
    expect([d.status, d.sql, d.rt]).toEqual([200, 3, 0]);
  });

  it("per-object: one round trip per row (20 for 20 rows), 2 statements when warm", async () => {
    const routes = await loadRoutes("per-object");
    await routes.cache.clear();
    const cold = await list(routes);
    // cold: COUNT + page, then per row: read (1 rt), count (1 statement), fill (1 rt)
    expect([cold.status, cold.sql, cold.rt]).toEqual([200, 2 + 20, 40]);
    const warm = await list(routes);
    expect([warm.status, warm.sql, warm.rt]).toEqual([200, 2, 20]);
    const page = await list(routes, "?pageSize=7");
    expect([page.sql, page.rt]).toEqual([2, 7]);
  });

  it("batched: warm list = 2 statements + 1 round trip; cold adds one grouped statement and one write-back", async () => {
    const routes = await loadRoutes("batched");
    await routes.cache.clear();
    const cold = await list(routes);
    expect([cold.status, cold.sql, cold.rt]).toEqual([200, 3, 2]);
    const warm = await list(routes);
    expect([warm.status, warm.sql, warm.rt]).toEqual([200, 2, 1]);
    // the same holds for 100 rows: one MGET, one grouped statement
    const cold100 = await list(routes, "?pageSize=100");
    expect([cold100.sql, cold100.rt]).toEqual([3, 2]);
    const warm100 = await list(routes, "?pageSize=100");
    expect([warm100.sql, warm100.rt]).toEqual([2, 1]);
  });

  it("full: a warm list page and a warm post are 0 statements and 1 round trip", async () => {
    const routes = await loadRoutes("full");
    await routes.cache.clear();
    const cold = await list(routes);
    expect(cold.status).toBe(200);
    // A page nobody asked for lately: the script (1) → the posts count entry (1) → COUNT + the page with
    // its counts (2) → only its membership written back (1).
    expect([cold.sql, cold.rt]).toEqual([2, 3]);
    const second = await list(routes);
    // Asked again: the script (1: membership, no pieces) → lease (1) → the rows' pieces (1 statement) →
    // their authors (1) → the names (1 statement) → one write-back of all of it and of the whole response,
    // releasing the lease (1).
    expect([second.status, second.sql, second.rt]).toEqual([200, 2, 4]);
    const warm = await list(routes);
    expect([warm.status, warm.sql, warm.rt]).toEqual([200, 0, 1]);
    expect(second.body).toBe(cold.body);
    expect(warm.body).toBe(cold.body);
    // another cold page: the count is cached, so no COUNT(*)
    const cold2 = await list(routes, "?page=2");
    expect([cold2.status, cold2.sql, cold2.rt]).toEqual([200, 1, 3]);

    await routes.cache.clear();
    const id = await postIdWith("true");
    const coldPost = await detail(routes, id);
    // read (1) → lease (1) → the post, its counts and comments (1 statement) → their authors (1) →
    // the names (1 statement) → one write-back, releasing the lease (1)
    expect([coldPost.status, coldPost.sql, coldPost.rt]).toEqual([200, 2, 4]);
    const secondPost = await detail(routes, id);
    // every piece from the cache: read (1) → authors (1) → the whole response written (1)
    expect([secondPost.status, secondPost.sql, secondPost.rt]).toEqual([200, 0, 3]);
    const warmPost = await detail(routes, id);
    expect([warmPost.status, warmPost.sql, warmPost.rt]).toEqual([200, 0, 1]);
    expect(secondPost.body).toBe(coldPost.body);
    expect(warmPost.body).toBe(coldPost.body);
  });

  it("full: an unknown post id costs one statement once, then none (a short-lived negative entry)", async () => {
    const routes = await loadRoutes("full");
    const { rows } = await db.query<{ max: number }>(`SELECT max(id) AS max FROM "post"`);
    const unknown = rows[0]!.max + 1_000;
    const first = await detail(routes, unknown);
    expect([first.status, first.sql]).toEqual([404, 1]);
    const again = await detail(routes, unknown);
    expect([again.status, again.sql, again.rt]).toEqual([404, 0, 1]);
  });

  it("full: a warm If-None-Match gets a 304 with no SQL, list and post", async () => {
    const routes = await loadRoutes("full");
    for (let i = 0; i < 2; i++) await list(routes, "?page=2"); // membership, then pieces and whole
    const first = await list(routes, "?page=2");
    const etag = first.res.headers.get("etag")!;
    expect(etag).toBeTruthy();
    const again = await cost(call(routes.list, "/api/posts?page=2", { headers: { "If-None-Match": etag } }));
    expect([again.status, again.sql, again.rt, again.body]).toEqual([304, 0, 1, ""]);

    const id = await postIdWith("true");
    const post = await detail(routes, id);
    const revalidated = await detail(routes, id, { "If-None-Match": post.res.headers.get("etag")! });
    expect([revalidated.status, revalidated.sql, revalidated.rt]).toEqual([304, 0, 1]);
  });

  it("a post with 0 likes is a cache hit when warm (the article's `if not data:` bug)", async () => {
    const id = await postIdWith(NO_LIKES);
    const full = await loadRoutes("full");
    await detail(full, id);
    await detail(full, id);
    const warm = await detail(full, id);
    expect((JSON.parse(warm.body) as PostDetail).likesCount).toBe(0);
    expect([warm.sql, warm.rt]).toEqual([0, 1]);

    const perObject = await loadRoutes("per-object");
    await detail(perObject, id);
    const warmPerObject = await detail(perObject, id);
    // post + comments; the 0 is served from the cache: no likes statement
    expect([warmPerObject.sql, warmPerObject.rt]).toEqual([2, 1]);
  });
});

describe("the same request gives byte-identical bodies in every mode", () => {
  it("list pages and posts", async () => {
    const ids = (await db.query<{ id: number }>('SELECT id FROM "post" ORDER BY id LIMIT 6')).rows.map((r) => r.id);
    const bodies = new Map<string, string[]>();
    for (const mode of MODES) {
      const routes = await loadRoutes(mode);
      for (const round of ["cold", "warm"]) {
        if (round === "cold") await routes.cache.clear();
        for (const query of ["", "?page=2", "?pageSize=7&page=3", "?pageSize=100"]) {
          const r = await list(routes, query);
          bodies.set(`list${query}`, [...(bodies.get(`list${query}`) ?? []), r.body]);
        }
        for (const id of ids) {
          const r = await detail(routes, id);
          bodies.set(`post ${id}`, [...(bodies.get(`post ${id}`) ?? []), r.body]);
        }
      }
    }
    for (const [what, seen] of bodies) {
      expect(seen, what).toHaveLength(MODES.length * 2);
      expect(new Set(seen).size, `${what} differs between modes`).toBe(1);
    }
  });
});

describe("tag invalidation", () => {
  it("after invalidate(post:P:likes) the next list read reloads only that count, with its new value", async () => {
    const routes = await loadRoutes("full");
    const page = JSON.parse((await list(routes)).body) as Page<PostSummary>;
    const target = page.results[3]!;
    await list(routes);
    await list(routes); // warm: served whole

    const user = await db.query<{ id: string }>(
      `SELECT u.id FROM "user" u WHERE NOT EXISTS (SELECT 1 FROM "like" l WHERE l."userId" = u.id AND l."postId" = $1) LIMIT 1`,
      [target.id],
    );
    await db.query(`INSERT INTO "like" ("postId", "userId") VALUES ($1, $2)`, [target.id, user.rows[0]!.id]);
    try {
      await routes.invalidate([tags.likes(target.id)]);
      const after = await list(routes);
      // one round trip to read (the whole response is stale), one for the lease, one statement for the row
      // whose count is stale, one to read the authors, one to write the count and the whole response back
      expect([after.sql, after.rt]).toEqual([1, 4]);
      const results = (JSON.parse(after.body) as Page<PostSummary>).results;
      expect(results[3]).toEqual({ ...target, likesCount: target.likesCount + 1 });
      expect(results.filter((p) => p.id !== target.id)).toEqual(page.results.filter((p) => p.id !== target.id));
      const warm = await list(routes);
      expect([warm.sql, warm.rt]).toEqual([0, 1]);
    } finally {
      await db.query(`DELETE FROM "like" WHERE "postId" = $1 AND "userId" = $2`, [target.id, user.rows[0]!.id]);
      await routes.invalidate([tags.likes(target.id)]);
    }
  });

  it("a like bumps only that post: the post page reloads only its likes count", async () => {
    const routes = await loadRoutes("full");
    const id = await postIdWith("true");
    for (let i = 0; i < 3; i++) await detail(routes, id); // warm: served whole
    await routes.invalidate([tags.likes(id)]);
    const after = await detail(routes, id);
    // read (1) → lease (1) → the likes count (1 statement) → authors (1) → one write-back of the count
    // and of the whole response again (1)
    expect([after.sql, after.rt]).toEqual([1, 4]);
    const warm = await detail(routes, id);
    expect([warm.sql, warm.rt]).toEqual([0, 1]);
  });
});

describe("race safety: a fill that raced a write is never served after it", () => {
  it("200 rounds of: fill reads tag → loads → (write commits and bumps) → fill lands → read is fresh", async () => {
    const routes = await loadRoutes("full");
    const store = new TagStore(routes.cache);
    const id = await postIdWith("true");
    const { rows: users } = await db.query<{ id: string }>(
      `SELECT u.id FROM "user" u WHERE NOT EXISTS (SELECT 1 FROM "like" l WHERE l."userId" = u.id AND l."postId" = $1) LIMIT 1`,
      [id],
    );
    const userId = users[0]!.id;
    let stale = 0;
    try {
      for (let round = 0; round < 200; round++) {
        await routes.invalidate([tags.likes(id)]); // so that the fill below is a miss
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let loaded!: () => void;
        const hasLoaded = new Promise<void>((resolve) => (loaded = resolve));
        // The held fill: the same spec and loader the batched/full paths use.
        const fill = cachedMany(
          store,
          [id],
          (postId) => forId(likesCountSpec, postId),
          async (ids) => {
            const counts = await countLikesByPost(ids);
            loaded();
            await gate;
            return counts;
          },
          600,
        );
        // The fill must have missed and be held inside its load now.
        await Promise.race([
          hasLoaded,
          fill.then(() => Promise.reject(new Error("the fill was served from the cache: it should have missed"))),
        ]);
        // The write: toggle the like, commit, bump — while the fill is held with the old count.
        if (round % 2 === 0) await db.query(`INSERT INTO "like" ("postId", "userId") VALUES ($1, $2)`, [id, userId]);
        else await db.query(`DELETE FROM "like" WHERE "postId" = $1 AND "userId" = $2`, [id, userId]);
        await routes.invalidate([tags.likes(id)]);
        release();
        await fill;

        const truth = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "like" WHERE "postId" = $1`, [id])).rows[0]!.n);
        const served = JSON.parse((await detail(routes, id)).body) as PostDetail;
        if (served.likesCount !== truth) stale += 1;
      }
    } finally {
      await db.query(`DELETE FROM "like" WHERE "postId" = $1 AND "userId" = $2`, [id, userId]);
      await routes.invalidate([tags.likes(id)]);
    }
    expect(stale).toBe(0);
  });
});
