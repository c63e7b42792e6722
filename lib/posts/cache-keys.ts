import type { TaggedSpec } from "@/lib/cache/tags";

// Every cache key and tag of the posts domain, in one place. `{id}` stands for
// a post id, or a user id in the user's entry (lib/cache/tags `forId` fills it
// in, keeping the braces: `likes-count:{7}`; the list page's script does the
// same in Redis). The braces are a Redis Cluster hash tag: every key and tag
// of post 7 — its pieces, its whole response and page, its lease — lives in
// one slot, and the posts spread over the shards (docs/scaling.md). A DTO's
// shape version is part of its key (`v2`): a deploy that changes a shape
// never reads the old one. The first part of a key is its family in the
// metrics.

/** `{7}` for an id; the template `{id}` as it is. */
const hashed = (id: number | string) => (id === "{id}" ? "{id}" : `{${id}}`);

/** Tags — what a write bumps (the invalidation map: lib/posts/invalidation.ts). */
export const tags = {
  /** List membership and the total count: create and delete. */
  posts: "posts",
  /** A post's own fields (title, content), and whether it exists: create, edit and delete. */
  post: (id: number | "{id}") => `post:${hashed(id)}`,
  /** A post's likes: like and unlike. */
  likes: (id: number | "{id}") => `post:${hashed(id)}:likes`,
  /** A post's comments: a new comment. */
  comments: (id: number | "{id}") => `post:${hashed(id)}:comments`,
  /** A user's name, wherever it is shown (posts, comments, pages): a rename. */
  user: (id: string) => `user:${hashed(id)}`,
} as const;

/**
 * A post's own fields (PostRef: id, title, author id, date), or `null` when
 * there is no such post — a negative entry, so that a probe of an unknown id
 * costs one statement once, not one every time. A post created later with
 * that id bumps `post:{id}` (ids are sequential), which drops it.
 */
export const postBaseSpec: TaggedSpec = { key: "post-dto:v2:{id}", tags: [tags.post("{id}")] };
/** A post's Markdown and its rendered, sanitized HTML. */
export const postContentSpec: TaggedSpec = { key: "post-content:v1:{id}", tags: [tags.post("{id}")] };
/** A post's likes count (the article's cached value). */
export const likesCountSpec: TaggedSpec = { key: "likes-count:{id}", tags: [tags.likes("{id}")] };
/** A post's comments count. */
export const commentsCountSpec: TaggedSpec = { key: "comments-count:{id}", tags: [tags.comments("{id}")] };
/** A post's newest comments (CommentRef[]: author ids, not names). */
export const latestCommentsSpec: TaggedSpec = { key: "comments:v2:{id}", tags: [tags.comments("{id}")] };
/**
 * A user as an author (`{ id, name }`), `{id}` being the user's id. Names live
 * here only, never inside a post's or a comment's entry, so a rename bumps
 * one tag and every response that shows the name depends on it.
 */
export const authorSpec: TaggedSpec = { key: "user:v1:{id}", tags: ["user:{id}"] };

/** Whether `userId` likes the post: one more key in the same read, for signed-in viewers only. */
export function likedBySpec(userId: string): TaggedSpec {
  return { key: `liked:{id}:${userId}`, tags: [tags.likes("{id}")] };
}

/** A list page's membership: the ids on it and the total count. */
export function pageSpec(page: number, pageSize: number): TaggedSpec {
  return { key: `page:v1:${pageGroup(page, pageSize)}`, tags: [tags.posts] };
}

/** The hash tag of a list page's keys (its membership, its whole responses, its HTML): one slot per page. */
export function pageGroup(page: number, pageSize: number): string {
  return `{${pageSize}:${page}}`;
}

/** The number of posts: every list page's `count`, one entry for all pages (a cold page needs no COUNT(*)). */
export const postsCountSpec: TaggedSpec = { key: "posts-count", tags: [tags.posts] };

/**
 * A list page's whole response (its JSON, with `next`/`previous` under
 * `basePath`), stored with the tags of everything it was built from
 * (lib/cache/tags/whole.ts): the page's membership, its rows' pieces, their
 * authors.
 */
export function pageResponseKey(basePath: string, page: number, pageSize: number): string {
  return `response:v2:list:${pageGroup(page, pageSize)}:${basePath}`;
}

/** A post's whole response for anonymous readers (its JSON), stored with the tags it was built from. */
export function postResponseKey(id: number): string {
  return `response:v2:post:${hashed(id)}`;
}

/**
 * TTLs in seconds: a safety net, not the mechanism (tags are). 600 s for the
 * likes count, as in the article; 60 s for "no such post".
 */
export const ttl = {
  likesCount: 600,
  commentsCount: 600,
  latestComments: 600,
  liked: 600,
  postBase: 3_600,
  missingPost: 60,
  postContent: 3_600,
  author: 3_600,
  page: 300,
  postsCount: 300,
  response: 300,
} as const;
