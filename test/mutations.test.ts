import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Comment, Page, PostDetail, PostSummary } from "@/lib/posts/types";
import { BASE, call, dbQueries, expectErrorShape } from "./http";
import { loadRoutes } from "./routes";
import { createUsers, deleteUsers, type TestUser } from "./session";

// Every docs/api.md rule of each mutation, on the real PostgreSQL and Redis, in
// CACHE_MODE=full: a rejected request writes nothing, and after a write
// returns, the next read (a fresh request) shows it.

type Handler = Parameters<typeof call>[0];
let db: pg.Client;
let users: TestUser[];
let alice: TestUser;
let bob: TestUser;
let like: { PUT: Handler; DELETE: Handler };
let comments: { GET: Handler; POST: Handler };
let post: { GET: Handler; PATCH: Handler; DELETE: Handler };
let posts: { GET: Handler; POST: Handler };

beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  await loadRoutes("full");
  like = await import("@/app/api/posts/[id]/like/route");
  comments = await import("@/app/api/posts/[id]/comments/route");
  post = await import("@/app/api/posts/[id]/route");
  posts = await import("@/app/api/posts/route");
  // 0, 1: alice and bob; 2-51: the 50 likers; 52-54: one for each rate limit.
  users = await createUsers(db, 55, "mut");
  [alice, bob] = users as [TestUser, TestUser];
});

afterAll(async () => {
  await deleteUsers(db, users);
  await db.end();
});

interface SendOptions {
  user?: TestUser;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  id?: number | string;
}

function send(handler: Handler, method: string, path: string, opts: SendOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Origin: BASE, ...opts.headers };
  if (opts.user) headers.Cookie = opts.user.cookie;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] = "application/json";
  }
  return call(handler, path, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(opts.id !== undefined ? { params: { id: String(opts.id) } } : {}),
  });
}

const readPost = async (id: number, user?: TestUser) =>
  (await send(post.GET, "GET", `/api/posts/${id}`, { id, ...(user ? { user } : {}) })).json() as Promise<PostDetail>;
const readList = async (query = "?pageSize=100") =>
  (await send(posts.GET, "GET", `/api/posts${query}`)).json() as Promise<Page<PostSummary>>;

async function count(sql: string, params: unknown[] = []): Promise<number> {
  return Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
}
const likesOf = (id: number) => count(`SELECT count(*) AS n FROM "like" WHERE "postId" = $1`, [id]);
const commentsOf = (id: number) => count(`SELECT count(*) AS n FROM "comment" WHERE "postId" = $1`, [id]);
const rowCounts = async () => ({
  posts: await count(`SELECT count(*) AS n FROM "post"`),
  likes: await count(`SELECT count(*) AS n FROM "like"`),
  comments: await count(`SELECT count(*) AS n FROM "comment"`),
});

async function newestPostId(): Promise<number> {
  return (await readList()).results[0]!.id;
}

describe("PUT/DELETE /api/posts/{id}/like", () => {
  it("likes idempotently, returns the exact count, and the next reads show it", async () => {
    const id = await newestPostId();
    await readPost(id); // warm the cache
    await readList();
    const before = await likesOf(id);

    const first = await send(like.PUT, "PUT", `/api/posts/${id}/like`, { id, user: alice });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ liked: true, likesCount: before + 1 });
    const second = await send(like.PUT, "PUT", `/api/posts/${id}/like`, { id, user: alice });
    expect(await second.json()).toEqual({ liked: true, likesCount: before + 1 });
    expect(await likesOf(id)).toBe(before + 1);

    const detail = await readPost(id, alice);
    expect(detail.likesCount).toBe(before + 1);
    expect(detail.likedByMe).toBe(true);
    expect((await readPost(id)).likedByMe).toBe(false);
    expect((await readPost(id, bob)).likedByMe).toBe(false);
    expect((await readList()).results.find((p) => p.id === id)?.likesCount).toBe(before + 1);

    const unlike = await send(like.DELETE, "DELETE", `/api/posts/${id}/like`, { id, user: alice });
    expect(await unlike.json()).toEqual({ liked: false, likesCount: before });
    const again = await send(like.DELETE, "DELETE", `/api/posts/${id}/like`, { id, user: alice });
    expect(await again.json()).toEqual({ liked: false, likesCount: before });
    expect((await readPost(id, alice)).likedByMe).toBe(false);
    expect((await readList()).results.find((p) => p.id === id)?.likesCount).toBe(before);
  });

  it("a signed-in warm read costs no SQL and one round trip (likedByMe in the same read)", async () => {
    const id = await newestPostId();
    await readPost(id, bob);
    const res = await send(post.GET, "GET", `/api/posts/${id}`, { id, user: bob });
    expect([dbQueries(res), Number(res.headers.get("x-cache-round-trips"))]).toEqual([0, 1]);
  });

  it("50 users liking one post at once add exactly 50, in the database and in the next cached read", async () => {
    const id = await newestPostId();
    await readPost(id);
    const before = await likesOf(id);
    const likers = users.slice(2, 52);
    const results = await Promise.all(
      likers.map((u) => send(like.PUT, "PUT", `/api/posts/${id}/like`, { id, user: u })),
    );
    expect(results.map((r) => r.status)).toEqual(likers.map(() => 200));
    const counts = await Promise.all(results.map(async (r) => ((await r.json()) as { likesCount: number }).likesCount));
    // Each answer counts its own like and whatever had committed when it counted
    // (concurrent transactions commit in any order, so no answer need see all 50).
    for (const c of counts) expect(c).toBeGreaterThanOrEqual(before + 1);
    for (const c of counts) expect(c).toBeLessThanOrEqual(before + 50);
    expect(await likesOf(id)).toBe(before + 50);
    expect((await readPost(id)).likesCount).toBe(before + 50);
    expect((await readList()).results.find((p) => p.id === id)?.likesCount).toBe(before + 50);
    await Promise.all(likers.map((u) => send(like.DELETE, "DELETE", `/api/posts/${id}/like`, { id, user: u })));
    expect((await readPost(id)).likesCount).toBe(before);
  });

  it("refuses anonymous (401), cross-site (403) and unknown posts (404), writing nothing", async () => {
    const id = await newestPostId();
    const before = await rowCounts();
    const anonymous = await send(like.PUT, "PUT", `/api/posts/${id}/like`, { id });
    expect(anonymous.status).toBe(401);
    expectErrorShape(await anonymous.json(), "unauthenticated");
    const crossOrigin = await send(like.PUT, "PUT", `/api/posts/${id}/like`, { id, user: alice, headers: { Origin: "https://evil.example" } });
    expect(crossOrigin.status).toBe(403);
    expectErrorShape(await crossOrigin.json(), "forbidden");
    const crossSite = await send(like.PUT, "PUT", `/api/posts/${id}/like`, { id, user: alice, headers: { "Sec-Fetch-Site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    const nullOrigin = await send(like.PUT, "PUT", `/api/posts/${id}/like`, { id, user: alice, headers: { Origin: "null" } });
    expect(nullOrigin.status).toBe(403);
    for (const bad of ["2147483647", "abc", "0"]) {
      const res = await send(like.PUT, "PUT", `/api/posts/${bad}/like`, { id: bad, user: alice });
      expect(res.status).toBe(404);
      expectErrorShape(await res.json(), "not_found");
    }
    expect(await rowCounts()).toEqual(before);
  });

  it("rate limits a user to 60 likes and unlikes a minute (429 with Retry-After), writing nothing, others unaffected", async () => {
    const id = await newestPostId();
    const fan = users[53]!;
    const before = await likesOf(id);
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 62; i++) {
      last = await send(i % 2 ? like.DELETE : like.PUT, i % 2 ? "DELETE" : "PUT", `/api/posts/${id}/like`, { id, user: fan });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(60).fill(200), 429, 429]);
    const retryAfter = Number(last!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expectErrorShape(await last!.json(), "rate_limited");
    // The 61st (a like) was refused: the 60th, an unlike, is the last word.
    expect(await likesOf(id)).toBe(before);
    const other = await send(like.PUT, "PUT", `/api/posts/${id}/like`, { id, user: bob });
    expect(other.status).toBe(200);
    await send(like.DELETE, "DELETE", `/api/posts/${id}/like`, { id, user: bob });
  });

  it("accepts a client that sends no Origin (judged by its session alone)", async () => {
    const id = await newestPostId();
    const res = await call(like.PUT, `/api/posts/${id}/like`, { method: "PUT", headers: { Cookie: alice.cookie }, params: { id: String(id) } });
    expect(res.status).toBe(200);
    await send(like.DELETE, "DELETE", `/api/posts/${id}/like`, { id, user: alice });
  });
});

describe("POST /api/posts/{id}/comments", () => {
  it("adds a trimmed comment that is on top of the next read, with the count updated everywhere", async () => {
    const id = await newestPostId();
    await readPost(id);
    const listBefore = (await readList()).results.find((p) => p.id === id)!;
    const res = await send(comments.POST, "POST", `/api/posts/${id}/comments`, { id, user: alice, body: { body: "  Nice post!  " } });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Comment;
    expect(created).toMatchObject({ postId: id, body: "Nice post!", author: { id: alice.id, name: alice.name } });
    expect(Object.keys(created).sort()).toEqual(["author", "body", "dateAdded", "id", "postId"]);

    const detail = await readPost(id);
    expect(detail.comments[0]).toEqual(created);
    expect(detail.latestComment).toEqual(created);
    expect(detail.commentsCount).toBe(listBefore.commentsCount + 1);
    expect((await readList()).results.find((p) => p.id === id)?.commentsCount).toBe(listBefore.commentsCount + 1);

    const page = await send(comments.GET, "GET", `/api/posts/${id}/comments?pageSize=5`, { id });
    expect(page.status).toBe(200);
    expect(((await page.json()) as Page<Comment>).results[0]).toEqual(created);
  });

  it.each([
    ["an empty body", { body: "" }],
    ["a whitespace body", { body: "   \n  " }],
    ["a body over 5,000 characters", { body: "x".repeat(5_001) }],
    ["a missing body", {}],
    ["a number", { body: 5 }],
    ["an unknown field", { body: "hi", extra: true }],
    ["an array", ["hi"]],
  ])("rejects %s with 400 and writes nothing", async (_what, body) => {
    const id = await newestPostId();
    const before = await commentsOf(id);
    const res = await send(comments.POST, "POST", `/api/posts/${id}/comments`, { id, user: alice, body });
    expect(res.status).toBe(400);
    expectErrorShape(await res.json(), "validation_error");
    expect(await commentsOf(id)).toBe(before);
  });

  it("rejects malformed JSON (400), a body over 64 KiB (413), anonymous (401), cross-site (403), unknown post (404)", async () => {
    const id = await newestPostId();
    const before = await rowCounts();
    const malformed = await send(comments.POST, "POST", `/api/posts/${id}/comments`, { id, user: alice, rawBody: '{"body": "x"' });
    expect(malformed.status).toBe(400);
    expectErrorShape(await malformed.json(), "validation_error");
    const invalidUtf8 = await call(comments.POST, `/api/posts/${id}/comments`, {
      method: "POST",
      headers: { Origin: BASE, Cookie: alice.cookie },
      body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      params: { id: String(id) },
    });
    expect(invalidUtf8.status).toBe(400);
    const huge = await send(comments.POST, "POST", `/api/posts/${id}/comments`, { id, user: alice, body: { body: "x".repeat(70_000) } });
    expect(huge.status).toBe(413);
    expectErrorShape(await huge.json(), "payload_too_large");
    const anonymous = await send(comments.POST, "POST", `/api/posts/${id}/comments`, { id, body: { body: "hi" } });
    expect(anonymous.status).toBe(401);
    const cross = await send(comments.POST, "POST", `/api/posts/${id}/comments`, { id, user: alice, body: { body: "hi" }, headers: { Origin: "https://evil.example" } });
    expect(cross.status).toBe(403);
    const unknown = await send(comments.POST, "POST", `/api/posts/2147483647/comments`, { id: 2147483647, user: alice, body: { body: "hi" } });
    expect(unknown.status).toBe(404);
    expect(await rowCounts()).toEqual(before);
  });

  it("rate limits a user to 10 comments a minute (429 with Retry-After), others unaffected", async () => {
    const id = await newestPostId();
    const spammer = users[52]!;
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 12; i++) {
      last = await send(comments.POST, "POST", `/api/posts/${id}/comments`, { id, user: spammer, body: { body: `comment ${i}` } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(10).fill(201), 429, 429]);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expectErrorShape(await last!.json(), "rate_limited");
    expect(await count(`SELECT count(*) AS n FROM "comment" WHERE "authorId" = $1`, [spammer.id])).toBe(10);
    const other = await send(comments.POST, "POST", `/api/posts/${id}/comments`, { id, user: bob, body: { body: "still fine" } });
    expect(other.status).toBe(201);
  });
});

describe("POST /api/posts, PATCH and DELETE /api/posts/{id}", () => {
  it("creates, edits and deletes a post; each next read shows the write", async () => {
    const listBefore = await readList("?pageSize=20");
    const created = await send(posts.POST, "POST", "/api/posts", { user: alice, body: { title: "  A fresh post  ", content: "# Hello\n\nSome **bold** text." } });
    expect(created.status).toBe(201);
    const detail = (await created.json()) as PostDetail;
    expect(detail).toMatchObject({ title: "A fresh post", content: "# Hello\n\nSome **bold** text.", likesCount: 0, commentsCount: 0, comments: [], latestComment: null, likedByMe: false, author: { id: alice.id, name: alice.name } });
    expect(detail.contentHtml).toContain("<h1>Hello</h1>");

    const listAfter = await readList("?pageSize=20");
    expect(listAfter.count).toBe(listBefore.count + 1);
    expect(listAfter.results[0]).toMatchObject({ id: detail.id, title: "A fresh post" });

    const forbidden = await send(post.PATCH, "PATCH", `/api/posts/${detail.id}`, { id: detail.id, user: bob, body: { title: "Hijacked" } });
    expect(forbidden.status).toBe(403);
    expectErrorShape(await forbidden.json(), "forbidden");

    const edited = await send(post.PATCH, "PATCH", `/api/posts/${detail.id}`, { id: detail.id, user: alice, body: { title: "An edited title" } });
    expect(edited.status).toBe(200);
    expect(((await edited.json()) as PostDetail).title).toBe("An edited title");
    expect((await readPost(detail.id)).title).toBe("An edited title");
    expect((await readPost(detail.id)).content).toBe("# Hello\n\nSome **bold** text.");
    expect((await readList("?pageSize=20")).results[0]).toMatchObject({ id: detail.id, title: "An edited title" });

    await send(like.PUT, "PUT", `/api/posts/${detail.id}/like`, { id: detail.id, user: bob });
    await send(comments.POST, "POST", `/api/posts/${detail.id}/comments`, { id: detail.id, user: bob, body: { body: "first!" } });

    const notYours = await send(post.DELETE, "DELETE", `/api/posts/${detail.id}`, { id: detail.id, user: bob });
    expect(notYours.status).toBe(403);
    const deleted = await send(post.DELETE, "DELETE", `/api/posts/${detail.id}`, { id: detail.id, user: alice });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    const gone = await send(post.GET, "GET", `/api/posts/${detail.id}`, { id: detail.id });
    expect(gone.status).toBe(404);
    const listGone = await readList("?pageSize=20");
    expect(listGone.count).toBe(listBefore.count);
    expect(listGone.results.map((p) => p.id)).not.toContain(detail.id);
    expect(await likesOf(detail.id)).toBe(0);
    expect(await commentsOf(detail.id)).toBe(0);
    const twice = await send(post.DELETE, "DELETE", `/api/posts/${detail.id}`, { id: detail.id, user: alice });
    expect(twice.status).toBe(404);
  });

  it.each([
    ["an empty title", { title: " ", content: "x" }],
    ["a title over 200 characters", { title: "t".repeat(201), content: "x" }],
    ["empty content", { title: "t", content: "" }],
    ["content over 100,000 characters", { title: "t", content: "c".repeat(100_001) }],
    ["a missing title", { content: "x" }],
  ])("refuses %s with 400 and writes nothing", async (_what, body) => {
    const before = await rowCounts();
    const res = await send(posts.POST, "POST", "/api/posts", { user: alice, body });
    // content over 100,000 characters is also over 64 KiB: refused before parsing
    expect([400, 413]).toContain(res.status);
    expect(res.status === 413 ? "payload_too_large" : "validation_error").toBe(((await res.json()) as { error: { code: string } }).error.code);
    expect(await rowCounts()).toEqual(before);
  });

  it("rate limits a user to 5 new posts a minute (429 with Retry-After), writing nothing more", async () => {
    const author = users[54]!;
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await send(posts.POST, "POST", "/api/posts", { user: author, body: { title: `Post ${i}`, content: "Body." } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(5).fill(201), 429, 429]);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expectErrorShape(await last!.json(), "rate_limited");
    expect(await count(`SELECT count(*) AS n FROM "post" WHERE "authorId" = $1`, [author.id])).toBe(5);
  });

  it("refuses anonymous (401), cross-site (403), an empty PATCH (400) and unknown posts (404)", async () => {
    const before = await rowCounts();
    expect((await send(posts.POST, "POST", "/api/posts", { body: { title: "t", content: "c" } })).status).toBe(401);
    expect((await send(posts.POST, "POST", "/api/posts", { user: alice, body: { title: "t", content: "c" }, headers: { "Sec-Fetch-Site": "cross-site" } })).status).toBe(403);
    const id = await newestPostId();
    expect((await send(post.PATCH, "PATCH", `/api/posts/${id}`, { id, user: alice, body: {} })).status).toBe(400);
    expect((await send(post.PATCH, "PATCH", `/api/posts/2147483647`, { id: 2147483647, user: alice, body: { title: "x" } })).status).toBe(404);
    expect((await send(post.DELETE, "DELETE", `/api/posts/2147483647`, { id: 2147483647, user: alice })).status).toBe(404);
    expect((await send(post.DELETE, "DELETE", `/api/posts/${id}`, { id })).status).toBe(401);
    expect(await rowCounts()).toEqual(before);
  });
});

describe("text PostgreSQL cannot store", () => {
  it("refuses NUL characters in posts and comments with 400, writing nothing", async () => {
    const id = await newestPostId();
    const before = await rowCounts();
    const created = await send(posts.POST, "POST", "/api/posts", { user: alice, body: { title: "x", content: "null byte \u0000 inside" } });
    expect(created.status).toBe(400);
    expectErrorShape(await created.json(), "validation_error");
    const comment = await send(comments.POST, "POST", `/api/posts/${id}/comments`, { id, user: alice, body: { body: "nul \u0000" } });
    expect(comment.status).toBe(400);
    // The body is validated before ownership is checked.
    const patch = await send(post.PATCH, "PATCH", `/api/posts/${id}`, { id, user: alice, body: { title: "a\u0000b" } });
    expect(patch.status).toBe(400);
    expect(await rowCounts()).toEqual(before);
  });
});
