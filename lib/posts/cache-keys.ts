import type { TaggedSpec } from "@/lib/cache/tags";

// Every cache key and tag of the posts domain, in one place. `{id}` stands for
// a post id (lib/cache/tags.ts `forId` fills it in; the list page's script
// does the same in Redis). A DTO's shape version is part of its key (`v1`):
// a deploy that changes a shape never reads the old one.

/** Tags — what a write bumps (the invalidation map of design.md). */
export const tags = {
  /** List membership and the total count: create and delete. */
  posts: "posts",
  /** A post's own fields (title, content, author): edit and delete. */
  post: (id: number | "{id}") => `post:${id}`,
  /** A post's likes: like and unlike. */
  likes: (id: number | "{id}") => `post:${id}:likes`,
  /** A post's comments: a new comment. */
  comments: (id: number | "{id}") => `post:${id}:comments`,
} as const;

/** A post's own fields (PostBase): id, title, author, dateAdded. */
export const postBaseSpec: TaggedSpec = { key: "post:v1:{id}", tags: [tags.post("{id}")] };
/** A post's Markdown and its rendered, sanitized HTML. */
export const postContentSpec: TaggedSpec = { key: "post-content:v1:{id}", tags: [tags.post("{id}")] };
/** A post's likes count (the article's cached value). */
export const likesCountSpec: TaggedSpec = { key: "likes-count:{id}", tags: [tags.likes("{id}")] };
/** A post's comments count. */
export const commentsCountSpec: TaggedSpec = { key: "comments-count:{id}", tags: [tags.comments("{id}")] };
/** A post's newest comments (Comment[]). */
export const latestCommentsSpec: TaggedSpec = { key: "comments:v1:{id}", tags: [tags.comments("{id}")] };

/** Whether `userId` likes the post: one more key in the same read, for signed-in viewers only. */
export function likedBySpec(userId: string): TaggedSpec {
  return { key: `liked:{id}:${userId}`, tags: [tags.likes("{id}")] };
}

/** A list page's membership: the ids on it and the total count. */
export function pageSpec(page: number, pageSize: number): TaggedSpec {
  return { key: `page:v1:${pageSize}:${page}`, tags: [tags.posts] };
}

/** The number of posts: every list page's `count`, one entry for all pages (a cold page needs no COUNT(*)). */
export const postsCountSpec: TaggedSpec = { key: "posts-count", tags: [tags.posts] };

/**
 * A list page's whole response (its JSON, with `next`/`previous` under
 * `basePath`), stored with the tags of everything it was built from
 * (lib/cache/tags.ts `WholeFill`): the page's membership and its rows' pieces.
 */
export function pageResponseKey(basePath: string, page: number, pageSize: number): string {
  return `response:v1:list:${pageSize}:${page}:${basePath}`;
}

/**
 * TTLs in seconds: a safety net, not the mechanism (tags are). 600 s for the
 * likes count, as in the article.
 */
export const ttl = {
  likesCount: 600,
  commentsCount: 600,
  latestComments: 600,
  liked: 600,
  postBase: 3_600,
  postContent: 3_600,
  page: 300,
  postsCount: 300,
} as const;
