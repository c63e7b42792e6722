import "server-only";
import { getTagStore } from "@/lib/cache";
import { tags } from "./cache-keys";

/**
 * The invalidation map, as code: what each write bumps. Every write calls
 * one of these after its transaction commits and before it answers, so the
 * next read on any instance includes it (lib/cache/tags/store.ts
 * `invalidate`: one round trip, retried until the store confirms it).
 *
 * | write                      | tags bumped                         |
 * | like / unlike post P       | post:P:likes                        |
 * | comment on P               | post:P:comments                     |
 * | create post P              | posts, post:P (a "no such post" entry for P) |
 * | edit P                     | post:P                              |
 * | delete P                   | post:P, posts                       |
 * | user U renames themselves  | user:U (every response showing U's name) |
 */
export const invalidateAfter = {
  like: (postId: number) => bump([tags.likes(postId)]),
  comment: (postId: number) => bump([tags.comments(postId)]),
  create: (postId: number) => bump([tags.posts, tags.post(postId)]),
  edit: (postId: number) => bump([tags.post(postId)]),
  delete: (postId: number) => bump([tags.post(postId), tags.posts]),
  rename: (userId: string) => bump([tags.user(userId)]),
} as const;

function bump(list: readonly string[]): Promise<void> {
  return getTagStore().invalidate(list);
}
