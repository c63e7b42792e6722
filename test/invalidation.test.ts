import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as authPOST } from "@/app/api/auth/[...all]/route";
import { defineScript } from "@/lib/cache/backend";
import { getEnv } from "@/lib/env";
import { tags } from "@/lib/posts/cache-keys";
import type { Page, PostDetail, PostSummary } from "@/lib/posts/types";
import { call, dbQueries } from "./http";
import { loadRoutes } from "./routes";
import { createUsers, deleteUsers, type TestUser } from "./session";

// The holes closed in full mode: a renamed author is shown everywhere on the
// next read; probing unknown post ids is cheap and leaves nothing behind that
// never expires. Real PostgreSQL and Redis, the route handlers in process.

type Routes = Awaited<ReturnType<typeof loadRoutes>>;

/** Every key of this run's prefix with no expiry (Redis only: KEYS inside a script, for a test). */
const keysWithoutTtl = defineScript<string[]>({
  name: "testKeysWithoutTtl",
  lua: "local out = {} for _, k in ipairs(redis.call('KEYS', ARGV[1])) do if redis.call('PTTL', k) == -1 then out[#out + 1] = k end end return out",
  run: () => {
    throw new Error("Redis only");
  },
});

let db: pg.Client;
let routes: Routes;
let users: TestUser[] = [];
beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  routes = await loadRoutes("full");
  await routes.cache.has("connect");
  await routes.cache.clear();
});
afterAll(async () => {
  await deleteUsers(db, users);
  await db.end();
});

const list = async (query = "") => (await call(routes.list, `/api/posts${query}`)).json() as Promise<Page<PostSummary>>;
const post = async (id: number) => (await call(routes.detail, `/api/posts/${id}`, { params: { id: String(id) } })).json() as Promise<PostDetail>;

describe("a renamed author", () => {
  it("is shown under the new name on the next read of every list page and post that names them", async () => {
    users = await createUsers(db, 1, "rename");
    const [user] = users;
    const { rows: posted } = await db.query<{ id: number }>(
      `INSERT INTO "post" (title, content, "authorId", "updatedAt") VALUES ('Renamed author', 'Body', $1, now()) RETURNING id`,
      [user!.id],
    );
    const own = posted[0]!.id;
    const { rows: others } = await db.query<{ id: number }>(`SELECT id FROM "post" WHERE "authorId" <> $1 ORDER BY id LIMIT 1`, [user!.id]);
    const other = others[0]!.id;
    await db.query(`INSERT INTO "comment" ("postId", "authorId", body) VALUES ($1, $2, 'A comment')`, [other, user!.id]);
    await routes.invalidate([tags.posts, tags.post(own), tags.comments(other)]);

    // Warm everything that shows the name: read each three times (membership, pieces, whole).
    for (let i = 0; i < 3; i++) {
      await list();
      await post(own);
      await post(other);
    }
    expect((await list()).results.find((p) => p.id === own)?.author.name).toBe(user!.name);
    expect((await post(other)).comments.find((c) => c.author.id === user!.id)?.author.name).toBe(user!.name);

    const renamed = `${user!.name} (renamed)`;
    const res = await call(authPOST, "/api/auth/update-user", {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: user!.cookie, Origin: getEnv().authUrl },
      body: JSON.stringify({ name: renamed }),
    });
    expect(res.status).toBe(200);

    expect((await list()).results.find((p) => p.id === own)?.author.name).toBe(renamed);
    expect((await post(own)).author.name).toBe(renamed);
    const comment = (await post(other)).comments.find((c) => c.author.id === user!.id);
    expect(comment?.author.name).toBe(renamed);
    expect((await post(other)).author.name).not.toBe(renamed); // the other post's own author is untouched
  });
});

describe("unknown post ids", () => {
  it("cost one statement the first time, none when repeated, and leave no key without an expiry", async () => {
    const { rows } = await db.query<{ max: number }>(`SELECT max(id) AS max FROM "post"`);
    const unknown = Array.from({ length: 600 }, (_, i) => rows[0]!.max + 10_000 + i * 7);
    const get = (id: number) => call(routes.detail, `/api/posts/${id}`, { params: { id: String(id) } });
    let statements = 0;
    for (const id of unknown) {
      const res = await get(id);
      expect(res.status).toBe(404);
      statements += dbQueries(res);
    }
    expect(statements).toBe(600);
    let repeated = 0;
    for (const id of unknown.slice(0, 100)) repeated += dbQueries(await get(id));
    expect(repeated).toBe(0);
    const forever = await routes.cache.backend.eval(keysWithoutTtl, [], [`${routes.cache.prefix}:*`]);
    expect(forever).toEqual([]);
    // A post created with one of those ids is not hidden by its "no such post" entry.
    const [first] = unknown;
    const { rows: author } = await db.query<{ id: string }>(`SELECT id FROM "user" LIMIT 1`);
    await db.query(`INSERT INTO "post" (id, title, content, "authorId", "updatedAt") VALUES ($1, 'Late', 'Body', $2, now())`, [first, author[0]!.id]);
    try {
      await routes.invalidate([tags.posts, tags.post(first!)]); // what createPost bumps (lib/posts/invalidation.ts)
      expect((await get(first!)).status).toBe(200);
    } finally {
      await db.query(`DELETE FROM "post" WHERE id = $1`, [first]);
      await routes.invalidate([tags.posts, tags.post(first!)]);
    }
  });
});
