import "server-only";
import type { Viewer } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { forbidden, notFound } from "@/lib/domain/errors";
import { limitPerUser } from "@/lib/domain/rate-limits";
import { invalidateAfter } from "./invalidation";
import type { CreatePostInput, UpdatePostInput } from "./schemas";
import { getPost } from "./service";
import type { PostDetail } from "./types";

// Post writes. Each one commits, THEN bumps the tags of the invalidation map
// (lib/posts/invalidation.ts), and only then answers: every reader on every instance sees the
// write from the moment the response is sent.

/**
 * Creates a post by `viewer`; bumps `posts` (list membership and count) and
 * `post:P` (a cached "no such post"). Rate limited per user
 * (POSTS_PER_MINUTE): each create invalidates every list page.
 */
export async function createPost(viewer: Viewer, input: CreatePostInput): Promise<PostDetail> {
  await limitPerUser("posts", viewer.id, getEnv().POSTS_PER_MINUTE);
  const post = await getDb().post.create({
    data: { title: input.title, content: input.content, authorId: viewer.id },
    select: { id: true },
  });
  await invalidateAfter.create(post.id);
  return (await getPost(post.id, { viewerId: viewer.id })).data;
}

/** Edits a post; author only. Bumps `post:P` (its fields, wherever they are shown). */
export async function updatePost(viewer: Viewer, id: number, input: UpdatePostInput): Promise<PostDetail> {
  await assertAuthor(viewer, id);
  await getDb().post.update({
    where: { id },
    data: { ...(input.title !== undefined ? { title: input.title } : {}), ...(input.content !== undefined ? { content: input.content } : {}) },
  });
  await invalidateAfter.edit(id);
  return (await getPost(id, { viewerId: viewer.id })).data;
}

/** Deletes a post with its likes and comments (cascade); author only. Bumps `post:P` and `posts`. */
export async function deletePost(viewer: Viewer, id: number): Promise<void> {
  await assertAuthor(viewer, id);
  const { count } = await getDb().post.deleteMany({ where: { id, authorId: viewer.id } });
  if (count === 0) throw notFound("Post not found");
  await invalidateAfter.delete(id);
}

async function assertAuthor(viewer: Viewer, id: number): Promise<void> {
  const post = await getDb().post.findUnique({ where: { id }, select: { authorId: true } });
  if (!post) throw notFound("Post not found");
  if (post.authorId !== viewer.id) throw forbidden("Only the author can change this post.");
}
