import "server-only";
import { getDb, Prisma } from "@/lib/db/client";
import { POST_COMMENTS_LIMIT } from "./types";

// The read queries of the posts domain. Each function is exactly ONE SQL
// statement, whatever the number of rows: the statement counts in docs/api.md and
// the tests depend on it. Raw SQL where Prisma's relation loading would add a
// second statement (it loads `include`d relations with a separate query).

export interface PostRow {
  id: number;
  title: string;
  authorId: string;
  authorName: string;
  dateAdded: Date;
  commentsCount: number;
}

export interface PostContentRow extends PostRow {
  content: string;
}

export interface CommentRow {
  id: number;
  postId: number;
  body: string;
  authorId: string;
  authorName: string;
  dateAdded: Date;
}

/** Number of posts. */
export async function countPosts(): Promise<number> {
  return getDb().post.count();
}

/**
 * One page of posts, newest first, with author and comments count in the same
 * statement. The page's ids come first from an index-only walk of the
 * (dateAdded DESC, id DESC) index; the join and the count run for those rows
 * only. (Written as one SELECT with LIMIT/OFFSET, PostgreSQL would join and
 * count for every row OFFSET skips: page 5,000 of 200,000 posts then took
 * ~100k comment lookups.)
 */
export async function findPostPage(offset: number, limit: number): Promise<PostRow[]> {
  const rows = await getDb().$queryRaw<(Omit<PostRow, "commentsCount"> & { commentsCount: bigint })[]>`
    WITH page AS (
      SELECT id FROM "post" ORDER BY "dateAdded" DESC, id DESC LIMIT ${limit} OFFSET ${offset}
    )
    SELECT p.id, p.title, p."authorId", u.name AS "authorName", p."dateAdded",
           (SELECT count(*) FROM "comment" c WHERE c."postId" = p.id) AS "commentsCount"
    FROM page JOIN "post" p ON p.id = page.id JOIN "user" u ON u.id = p."authorId"
    ORDER BY p."dateAdded" DESC, p.id DESC`;
  return rows.map((r) => ({ ...r, commentsCount: Number(r.commentsCount) }));
}

/** The ids of one page, newest first: an index-only walk of the list index. */
export async function findPostIdsPage(offset: number, limit: number): Promise<number[]> {
  const rows = await getDb().post.findMany({
    select: { id: true },
    orderBy: [{ dateAdded: "desc" }, { id: "desc" }],
    skip: offset,
    take: limit,
  });
  return rows.map((r) => r.id);
}

/** The posts with these ids (any order), with their authors; unknown ids are absent. */
export async function findPostsByIds(ids: readonly number[]): Promise<Omit<PostRow, "commentsCount">[]> {
  if (ids.length === 0) return [];
  return getDb().$queryRaw<Omit<PostRow, "commentsCount">[]>`
    SELECT p.id, p.title, p."authorId", u.name AS "authorName", p."dateAdded"
    FROM "post" p JOIN "user" u ON u.id = p."authorId"
    WHERE p.id = ANY(${[...ids]}::int[])`;
}

/** One post with its content, author and comments count; null when unknown. */
export async function findPost(id: number): Promise<PostContentRow | null> {
  const rows = await getDb().$queryRaw<(Omit<PostContentRow, "commentsCount"> & { commentsCount: bigint })[]>`
    SELECT p.id, p.title, p.content, p."authorId", u.name AS "authorName", p."dateAdded",
           (SELECT count(*) FROM "comment" c WHERE c."postId" = p.id) AS "commentsCount"
    FROM "post" p JOIN "user" u ON u.id = p."authorId"
    WHERE p.id = ${id}`;
  const row = rows[0];
  return row ? { ...row, commentsCount: Number(row.commentsCount) } : null;
}

/**
 * Likes count of each post in `postIds`, in one grouped statement. Posts with
 * no likes are absent from the result's rows and come back as 0.
 */
export async function countLikesByPost(postIds: readonly number[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>(postIds.map((id) => [id, 0]));
  if (postIds.length === 0) return counts;
  const groups = await getDb().like.groupBy({
    by: ["postId"],
    where: { postId: { in: [...postIds] } },
    _count: { _all: true },
  });
  for (const g of groups) counts.set(g.postId, g._count._all);
  return counts;
}

/** Comments count of each post in `postIds`, in one grouped statement (0 when none). */
export async function countCommentsByPost(postIds: readonly number[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>(postIds.map((id) => [id, 0]));
  if (postIds.length === 0) return counts;
  const groups = await getDb().comment.groupBy({
    by: ["postId"],
    where: { postId: { in: [...postIds] } },
    _count: { _all: true },
  });
  for (const g of groups) counts.set(g.postId, g._count._all);
  return counts;
}

/** The newest comments of a post, newest first, with their authors. */
export async function findLatestComments(postId: number, limit = POST_COMMENTS_LIMIT): Promise<CommentRow[]> {
  return getDb().$queryRaw<CommentRow[]>`
    SELECT c.id, c."postId", c.body, c."authorId", u.name AS "authorName", c."dateAdded"
    FROM "comment" c JOIN "user" u ON u.id = c."authorId"
    WHERE c."postId" = ${postId}
    ORDER BY c."dateAdded" DESC, c.id DESC
    LIMIT ${limit}`;
}

// --- full mode: everything a cold read needs in as few statements as possible ---

/** A post's own fields without its author's name (names are cached per user: lib/posts/cache-keys.ts). */
export interface PostRefRow {
  id: number;
  title: string;
  authorId: string;
  dateAdded: Date;
}

/** A comment without its author's name; `dateAdded` already ISO 8601 (it comes out of JSON). */
export interface CommentRefRow {
  id: number;
  postId: number;
  body: string;
  authorId: string;
  dateAdded: string;
}

/** A comment as JSON, newest first, its date formatted as Date#toISOString formats it. */
const COMMENT_JSON = `json_build_object('id', c.id, 'postId', c."postId", 'body', c.body, 'authorId', c."authorId",
  'dateAdded', to_char(c."dateAdded" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;

/**
 * One page with everything a list row shows — ids from the list index, then
 * authors, likes and comments counts for those rows only — in ONE statement:
 * what a list page nobody asked for lately costs (lib/posts/full.ts).
 */
export async function findPostPageWithCounts(offset: number, limit: number): Promise<(PostRow & { likesCount: number })[]> {
  const rows = await getDb().$queryRaw<(Omit<PostRow, "commentsCount"> & { commentsCount: bigint; likesCount: bigint })[]>`
    WITH page AS (
      SELECT id FROM "post" ORDER BY "dateAdded" DESC, id DESC LIMIT ${limit} OFFSET ${offset}
    )
    SELECT p.id, p.title, p."authorId", u.name AS "authorName", p."dateAdded",
           (SELECT count(*) FROM "comment" c WHERE c."postId" = p.id) AS "commentsCount",
           (SELECT count(*) FROM "like" l WHERE l."postId" = p.id) AS "likesCount"
    FROM page JOIN "post" p ON p.id = page.id JOIN "user" u ON u.id = p."authorId"
    ORDER BY p."dateAdded" DESC, p.id DESC`;
  return rows.map((r) => ({ ...r, commentsCount: Number(r.commentsCount), likesCount: Number(r.likesCount) }));
}

/** The posts with these ids (any order) with their likes and comments counts, in one statement; unknown ids are absent. */
export async function findPostsWithCounts(ids: readonly number[]): Promise<(PostRefRow & { likesCount: number; commentsCount: number })[]> {
  if (ids.length === 0) return [];
  const rows = await getDb().$queryRaw<(PostRefRow & { likesCount: bigint; commentsCount: bigint })[]>`
    SELECT p.id, p.title, p."authorId", p."dateAdded",
           (SELECT count(*) FROM "like" l WHERE l."postId" = p.id) AS "likesCount",
           (SELECT count(*) FROM "comment" c WHERE c."postId" = p.id) AS "commentsCount"
    FROM "post" p WHERE p.id = ANY(${[...ids]}::int[])`;
  return rows.map((r) => ({ ...r, likesCount: Number(r.likesCount), commentsCount: Number(r.commentsCount) }));
}

/**
 * Everything a post page shows but the authors' names, in ONE statement (so
 * an unknown id costs exactly one): the post, its counts and its newest
 * comments. Null when there is no such post.
 */
export async function findPostWhole(id: number, limit = POST_COMMENTS_LIMIT): Promise<
  (PostRefRow & { content: string; likesCount: number; commentsCount: number; comments: CommentRefRow[] }) | null
> {
  const rows = await getDb().$queryRaw<(PostRefRow & { content: string; likesCount: bigint; commentsCount: bigint; comments: CommentRefRow[] | string })[]>`
    SELECT p.id, p.title, p.content, p."authorId", p."dateAdded",
           (SELECT count(*) FROM "like" l WHERE l."postId" = p.id) AS "likesCount",
           (SELECT count(*) FROM "comment" c WHERE c."postId" = p.id) AS "commentsCount",
           (SELECT coalesce(json_agg(${Prisma.raw(COMMENT_JSON)} ORDER BY c."dateAdded" DESC, c.id DESC), '[]'::json)
              FROM (SELECT * FROM "comment" c WHERE c."postId" = p.id ORDER BY c."dateAdded" DESC, c.id DESC LIMIT ${limit}) c) AS comments
    FROM "post" p WHERE p.id = ${id}`;
  const row = rows[0];
  if (!row) return null;
  return { ...row, likesCount: Number(row.likesCount), commentsCount: Number(row.commentsCount), comments: jsonValue(row.comments) };
}

/** A post's newest comments (without names) and its comments count, in one statement. */
export async function findCommentRefs(postId: number, limit = POST_COMMENTS_LIMIT): Promise<{ count: number; comments: CommentRefRow[] }> {
  const rows = await getDb().$queryRaw<{ count: bigint; comments: CommentRefRow[] | string }[]>`
    SELECT (SELECT count(*) FROM "comment" c WHERE c."postId" = ${postId}) AS count,
           (SELECT coalesce(json_agg(${Prisma.raw(COMMENT_JSON)} ORDER BY c."dateAdded" DESC, c.id DESC), '[]'::json)
              FROM (SELECT * FROM "comment" c WHERE c."postId" = ${postId} ORDER BY c."dateAdded" DESC, c.id DESC LIMIT ${limit}) c) AS comments`;
  const row = rows[0];
  return { count: Number(row?.count ?? 0), comments: jsonValue(row?.comments ?? []) };
}

/** The names of these users, in one statement; unknown ids are absent. */
export async function findUserNames(ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await getDb().user.findMany({ where: { id: { in: [...ids] } }, select: { id: true, name: true } });
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** A json column as the driver gives it: parsed already, or text. */
function jsonValue<T>(value: T | string): T {
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

/** Which of `postIds` the user likes, in one statement. */
export async function findLikedPostIds(userId: string, postIds: readonly number[]): Promise<Set<number>> {
  if (postIds.length === 0) return new Set();
  const rows = await getDb().like.findMany({
    where: { userId, postId: { in: [...postIds] } },
    select: { postId: true },
  });
  return new Set(rows.map((r) => r.postId));
}

