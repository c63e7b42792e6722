import "server-only";
import type { Viewer } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { notFound } from "@/lib/domain/errors";
import { limitPerUser } from "@/lib/domain/rate-limits";
import { invalidateAfter } from "@/lib/posts/invalidation";

export interface LikeState {
  liked: boolean;
  likesCount: number;
}

/**
 * Likes (`liked: true`) or unlikes a post, idempotently: the (post, user)
 * primary key makes a second like impossible, and unliking twice deletes
 * nothing. Rate limited per user (LIKES_PER_MINUTE, liking and unliking
 * alike). The count is taken in the same transaction, after the change, so
 * it includes it. Then `post:P:likes` is bumped (after the commit, before the
 * answer): the next read anywhere shows the new count.
 */
export async function setLike(viewer: Viewer, postId: number, liked: boolean): Promise<LikeState> {
  await limitPerUser("likes", viewer.id, getEnv().LIKES_PER_MINUTE);
  const likesCount = await getDb().$transaction(async (tx) => {
    // FOR KEY SHARE: the post cannot be deleted under us, and likers do not block each other.
    const post = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "post" WHERE id = ${postId} FOR KEY SHARE`;
    if (post.length === 0) return null;
    if (liked) {
      await tx.$executeRaw`INSERT INTO "like" ("postId", "userId") VALUES (${postId}, ${viewer.id}) ON CONFLICT DO NOTHING`;
    } else {
      await tx.$executeRaw`DELETE FROM "like" WHERE "postId" = ${postId} AND "userId" = ${viewer.id}`;
    }
    const [row] = await tx.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "like" WHERE "postId" = ${postId}`;
    return Number(row?.n ?? 0);
  });
  if (likesCount === null) throw notFound("Post not found");
  await invalidateAfter.like(postId);
  return { liked, likesCount };
}
