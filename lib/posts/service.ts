import "server-only";
import { memo } from "@/lib/scope";
import { notFound } from "@/lib/http/errors";
import { toComment, toPage, toPostDetail, toPostSummary } from "./dto";
import {
  countLikesByPost,
  countPosts,
  findLatestComments,
  findLikedPostIds,
  findPost,
  findPostPage,
} from "./queries";
import type { PageQuery } from "./schemas";
import type { Comment, Page, PostDetail, PostSummary } from "./types";

// The posts read path. This is what CACHE_MODE=off means: every read goes to
// the database, with a fixed number of statements per request (never one per
// row): a list page is COUNT + page + one grouped likes count = 3; a post is
// post + likes count + comments (+ likedByMe when signed in) = 3 or 4.

/**
 * A page of posts, newest first. Throws not_found for a page past the end
 * (page 1 of an empty list is an empty page).
 */
export async function getPostPage(query: PageQuery, basePath = "/api/posts"): Promise<Page<PostSummary>> {
  const { page, pageSize } = query;
  const count = await countPosts();
  if (page > 1 && (page - 1) * pageSize >= count) throw notFound("Page not found");
  const rows = await findPostPage((page - 1) * pageSize, pageSize);
  const likes = await countLikesByPost(rows.map((r) => r.id));
  const results = rows.map((r) => toPostSummary(r, likes.get(r.id) ?? 0));
  return toPage(results, { count, page, pageSize, basePath });
}

/**
 * A post's newest comments, loaded once per request however many fields use
 * them (`comments` and `latestComment`: the article's "double caching").
 */
export function getLatestComments(postId: number): Promise<Comment[]> {
  return memo(`post:${postId}:comments`, async () => (await findLatestComments(postId)).map(toComment));
}

/** One post with its comments; `viewerId` decides `likedByMe`. Throws not_found. */
export async function getPost(id: number, viewerId?: string): Promise<PostDetail> {
  const row = await findPost(id);
  if (!row) throw notFound("Post not found");
  const [likes, comments, liked] = await Promise.all([
    countLikesByPost([id]),
    getLatestComments(id),
    viewerId ? findLikedPostIds(viewerId, [id]) : Promise.resolve(new Set<number>()),
  ]);
  return toPostDetail(row, likes.get(id) ?? 0, comments, liked.has(id));
}
