import "server-only";
import { getDb } from "@/lib/db/client";
import { POST_COMMENTS_LIMIT } from "./types";

// The read queries of the posts domain. Each function is exactly ONE SQL
// statement, whatever the number of rows: the statement counts in api.md and
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

/** Which of `postIds` the user likes, in one statement. */
export async function findLikedPostIds(userId: string, postIds: readonly number[]): Promise<Set<number>> {
  if (postIds.length === 0) return new Set();
  const rows = await getDb().like.findMany({
    where: { userId, postId: { in: [...postIds] } },
    select: { postId: true },
  });
  return new Set(rows.map((r) => r.postId));
}

