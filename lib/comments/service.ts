import "server-only";
import type { Viewer } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { notFound } from "@/lib/domain/errors";
import { limitPerUser } from "@/lib/domain/rate-limits";
import { toComment, toPage } from "@/lib/posts/dto";
import { invalidateAfter } from "@/lib/posts/invalidation";
import type { CommentRow } from "@/lib/posts/queries";
import type { PageQuery } from "@/lib/posts/schemas";
import type { Comment, Page } from "@/lib/posts/types";
import { COMMENTS_PER_MINUTE, type CreateCommentInput } from "./schemas";

/**
 * Adds a comment by `viewer` on a post. Rate limited per user (counted in
 * Redis when it is configured, so across instances). Bumps `post:P:comments`
 * after the commit: the count and the newest comments are fresh everywhere.
 */
export async function addComment(viewer: Viewer, postId: number, input: CreateCommentInput): Promise<Comment> {
  await limitPerUser("comments", viewer.id, COMMENTS_PER_MINUTE);
  // One statement: inserts only if the post exists, and returns the row.
  const rows = await getDb().$queryRaw<Omit<CommentRow, "authorName">[]>`
    INSERT INTO "comment" ("postId", "authorId", "body")
    SELECT p.id, ${viewer.id}, ${input.body} FROM "post" p WHERE p.id = ${postId}
    RETURNING id, "postId", body, "authorId", "dateAdded"`;
  const row = rows[0];
  if (!row) throw notFound("Post not found");
  await invalidateAfter.comment(postId);
  return toComment({ ...row, authorName: viewer.name });
}

/** A page of a post's comments, newest first (404 for an unknown post or a page past the end). */
export async function listComments(postId: number, query: PageQuery): Promise<Page<Comment>> {
  const db = getDb();
  const { page, pageSize } = query;
  const [post, count] = await Promise.all([
    db.post.findUnique({ where: { id: postId }, select: { id: true } }),
    db.comment.count({ where: { postId } }),
  ]);
  if (!post) throw notFound("Post not found");
  if (page > 1 && (page - 1) * pageSize >= count) throw notFound("Page not found");
  const rows = await db.$queryRaw<CommentRow[]>`
    SELECT c.id, c."postId", c.body, c."authorId", u.name AS "authorName", c."dateAdded"
    FROM "comment" c JOIN "user" u ON u.id = c."authorId"
    WHERE c."postId" = ${postId}
    ORDER BY c."dateAdded" DESC, c.id DESC
    LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`;
  return toPage(rows.map(toComment), { count, page, pageSize, basePath: `/api/posts/${postId}/comments` });
}
