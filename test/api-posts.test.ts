import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUT as putPosts } from "@/app/api/posts/route";
import type { Page, PostDetail, PostSummary } from "@/lib/posts/types";
import { call, dbQueries, expectErrorShape, json } from "./http";
import { loadRoutes, MODES } from "./routes";

// Every rule of docs/api.md for the two GET routes, in every CACHE_MODE (the
// bodies must not depend on the mode), and the uncached statement budget.

let db: pg.Client;
beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
afterAll(async () => {
  await db.end();
});

const SUMMARY_KEYS = ["author", "commentsCount", "dateAdded", "id", "likesCount", "title"];
const DETAIL_KEYS = [...SUMMARY_KEYS, "comments", "content", "contentHtml", "latestComment", "likedByMe"].sort();
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe.each(MODES)("CACHE_MODE=%s", (mode) => {
  let listPosts: Awaited<ReturnType<typeof loadRoutes>>["list"];
  let getPost: Awaited<ReturnType<typeof loadRoutes>>["detail"];
  beforeAll(async () => {
    const routes = await loadRoutes(mode);
    listPosts = routes.list;
    getPost = routes.detail;
    await routes.cache.clear();
  });

  async function list(query = ""): Promise<Response> {
    return call(listPosts, `/api/posts${query}`);
  }

  describe("GET /api/posts", () => {
    it("returns the first page, newest first, in the DRF page shape", async () => {
      const res = await list();
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = await json<Page<PostSummary>>(res);
      const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM "post"');
      const count = Number(rows[0]!.n);
      expect(body).toMatchObject({ count, page: 1, pageSize: 20, totalPages: Math.ceil(count / 20), previous: null });
      expect(body.next).toBe("/api/posts?page=2&pageSize=20");
      expect(body.results).toHaveLength(20);
      for (const post of body.results) {
        expect(Object.keys(post).sort()).toEqual(SUMMARY_KEYS);
        expect(Object.keys(post.author).sort()).toEqual(["id", "name"]);
        expect(post.dateAdded).toMatch(ISO);
        expect(Number.isInteger(post.id) && post.id > 0).toBe(true);
      }
      const expected = await db.query<{ id: number }>(
        'SELECT id FROM "post" ORDER BY "dateAdded" DESC, id DESC LIMIT 20',
      );
      expect(body.results.map((p) => p.id)).toEqual(expected.rows.map((r) => r.id));
    });

    it("reports exact likes and comments counts", async () => {
      const body = await json<Page<PostSummary>>(await list("?pageSize=100"));
      const likes = await db.query<{ postId: number; n: string }>('SELECT "postId", count(*) AS n FROM "like" GROUP BY 1');
      const comments = await db.query<{ postId: number; n: string }>('SELECT "postId", count(*) AS n FROM "comment" GROUP BY 1');
      const likesOf = new Map(likes.rows.map((r) => [r.postId, Number(r.n)]));
      const commentsOf = new Map(comments.rows.map((r) => [r.postId, Number(r.n)]));
      for (const post of body.results) {
        expect(post.likesCount).toBe(likesOf.get(post.id) ?? 0);
        expect(post.commentsCount).toBe(commentsOf.get(post.id) ?? 0);
      }
      expect(body.results.some((p) => p.likesCount === 0)).toBe(true);
    });

    it("walks every page without gaps or repeats and 404s past the end", async () => {
      const first = await json<Page<PostSummary>>(await list("?pageSize=20"));
      const ids: number[] = [];
      for (let page = 1; page <= first.totalPages; page++) {
        const body = await json<Page<PostSummary>>(await list(`?page=${page}&pageSize=20`));
        expect(body.page).toBe(page);
        expect(body.previous).toBe(page === 1 ? null : `/api/posts?page=${page - 1}&pageSize=20`);
        expect(body.next).toBe(page === first.totalPages ? null : `/api/posts?page=${page + 1}&pageSize=20`);
        ids.push(...body.results.map((p) => p.id));
      }
      expect(ids).toHaveLength(first.count);
      expect(new Set(ids).size).toBe(first.count);
      const past = await list(`?page=${first.totalPages + 1}&pageSize=20`);
      expect(past.status).toBe(404);
      expectErrorShape(await past.json(), "not_found");
    });

    it("accepts pageSize 1..100", async () => {
      expect((await json<Page<PostSummary>>(await list("?pageSize=1"))).results).toHaveLength(1);
      const all = await json<Page<PostSummary>>(await list("?pageSize=100"));
      expect(all.results).toHaveLength(Math.min(100, all.count));
      expect(all.totalPages).toBe(Math.ceil(all.count / 100));
    });

    it.each(["?pageSize=0", "?pageSize=101", "?pageSize=abc", "?pageSize=-5", "?pageSize=2.5", "?page=0", "?page=-1", "?page=x", "?page=1e3", "?page=99999999999"])(
      "rejects %s with 400 validation_error",
      async (query) => {
        const res = await list(query);
        expect(res.status).toBe(400);
        const body = await res.json();
        expectErrorShape(body, "validation_error");
        expect((body as { error: { details: unknown[] } }).error.details.length).toBeGreaterThan(0);
      },
    );

    it.runIf(mode === "off").each([1, 20, 100])("costs at most 3 SQL statements for pageSize %i", async (size) => {
      const res = await list(`?pageSize=${size}`);
      expect(res.status).toBe(200);
      expect(dbQueries(res)).toBeGreaterThan(0);
      expect(dbQueries(res)).toBeLessThanOrEqual(3);
      expect(res.headers.get("x-cache-round-trips")).not.toBeNull();
      expect(res.headers.get("server-timing")).toMatch(/^db;dur=[\d.]+;desc="\d+ queries", cache;dur=/);
    });

    it("sends no-cache, Vary: Cookie and an ETag that a repeat turns into a 304", async () => {
      const res = await list();
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("vary")).toBe("Cookie");
      const etag = res.headers.get("etag");
      expect(etag).toMatch(/^"[\w-]+"$/);
      const again = await call(listPosts, "/api/posts", { headers: { "If-None-Match": etag! } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
    });

    it("answers other methods with 405 in the error shape", async () => {
      const res = await call(putPosts, "/api/posts", { method: "PUT" });
      expect(res.status).toBe(405);
      expectErrorShape(await res.json(), "method_not_allowed");
    });
  });

  describe("GET /api/posts/{id}", () => {
    async function detail(id: string): Promise<Response> {
      return call(getPost, `/api/posts/${id}`, { params: { id } });
    }

    it("returns a post with its comments, newest first", async () => {
      const { rows } = await db.query<{ postId: number }>(
        'SELECT "postId" FROM "comment" GROUP BY 1 ORDER BY count(*) DESC LIMIT 1',
      );
      const id = rows[0]!.postId;
      const res = await detail(String(id));
      expect(res.status).toBe(200);
      const post = await json<PostDetail>(res);
      expect(Object.keys(post).sort()).toEqual(DETAIL_KEYS);
      expect(post.id).toBe(id);
      expect(post.likedByMe).toBe(false);
      expect(post.comments.length).toBeGreaterThan(1);
      expect(post.commentsCount).toBe(post.comments.length);
      expect(post.latestComment).toEqual(post.comments[0]);
      for (const c of post.comments) {
        expect(Object.keys(c).sort()).toEqual(["author", "body", "dateAdded", "id", "postId"]);
        expect(c.postId).toBe(id);
      }
      const sorted = [...post.comments].sort((a, b) => b.dateAdded.localeCompare(a.dateAdded) || b.id - a.id);
      expect(post.comments).toEqual(sorted);
      const stored = await db.query<{ content: string; n: string }>(
        'SELECT content, (SELECT count(*) FROM "like" WHERE "postId" = $1) AS n FROM "post" WHERE id = $1',
        [id],
      );
      expect(post.content).toBe(stored.rows[0]!.content);
      expect(post.likesCount).toBe(Number(stored.rows[0]!.n));
      expect(post.contentHtml).toMatch(/<(h\d|p|ul|ol|pre)>/);
      if (mode === "off") expect(dbQueries(res)).toBeLessThanOrEqual(4);
    });

    it("gives latestComment null for a post without comments", async () => {
      const { rows } = await db.query<{ id: number }>(
        'SELECT id FROM "post" p WHERE NOT EXISTS (SELECT 1 FROM "comment" c WHERE c."postId" = p.id) LIMIT 1',
      );
      const post = await json<PostDetail>(await detail(String(rows[0]!.id)));
      expect(post.comments).toEqual([]);
      expect(post.latestComment).toBeNull();
      expect(post.commentsCount).toBe(0);
    });

    it.each(["abc", "1.5", "-1", "0", "01", "1e2", "99999999999", "%20"])("404s for the non-integer id %s", async (id) => {
      const res = await detail(id);
      expect(res.status).toBe(404);
      expectErrorShape(await res.json(), "not_found");
    });

    it("404s for an unknown id", async () => {
      const res = await detail("2147483647");
      expect(res.status).toBe(404);
      expectErrorShape(await res.json(), "not_found");
    });
  });
});
