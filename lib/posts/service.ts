import "server-only";
import { getTagStore } from "@/lib/cache";
import { cachedMany, cachedOne } from "@/lib/cache/strategies";
import { forId } from "@/lib/cache/tags";
import { getEnv } from "@/lib/env";
import { notFound } from "@/lib/domain/errors";
import { memo } from "@/lib/scope";
import { likesCountSpec, ttl } from "./cache-keys";
import { toComment, toPage, toPostContent, toPostDetail, toPostRef, toPostSummary } from "./dto";
import { fullPost, fullPostPage, type Read } from "./full";
import { countLikesByPost, countPosts, findLatestComments, findLikedPostIds, findPost, findPostPage } from "./queries";
import type { PageQuery } from "./schemas";
import type { Comment, Page, PostDetail, PostSummary } from "./types";

// The posts read path, in the four CACHE_MODEs (docs/api.md). Bodies are
// identical in every mode; what differs is what each request costs:
//
// | mode       | list page (warm)                  | post (warm)                 |
// | off        | 3 statements, 0 round trips       | 3 statements, 0 round trips |
// | per-object | 2 statements, 1 round trip PER ROW| 2 statements, 1 round trip  |
// | batched    | 2 statements, 1 round trip        | 2 statements, 1 round trip  |
// | full       | 0 statements, 1 round trip        | 0 statements, 1 round trip  |
//
// `full` lives in full.ts.

export type CacheMode = "off" | "per-object" | "batched" | "full";
export type { Read } from "./full";

export interface ReadOptions {
  /** Where `next`/`previous` point (`/api/posts` for the API, `/` for the home page). */
  basePath?: string;
  /** The signed-in viewer, for `likedByMe`; anonymous when absent. */
  viewerId?: string | undefined;
  /** Default: CACHE_MODE, read once at start. */
  mode?: CacheMode;
}

/**
 * A page of posts, newest first. Throws not_found for a page past the end
 * (page 1 of an empty list is an empty page).
 */
export async function getPostPage(query: PageQuery, options: ReadOptions = {}): Promise<Read<Page<PostSummary>>> {
  const mode = options.mode ?? getEnv().CACHE_MODE;
  const basePath = options.basePath ?? "/api/posts";
  if (mode === "full") return fullPostPage(query, basePath);

  const { page, pageSize } = query;
  const count = await countPosts();
  assertPageExists(page, pageSize, count);
  const rows = await findPostPage((page - 1) * pageSize, pageSize);
  const ids = rows.map((r) => r.id);
  const likes =
    mode === "off"
      ? await countLikesByPost(ids).then((m) => ids.map((id) => m.get(id) ?? 0))
      : mode === "per-object"
        ? await likesOneByOne(ids)
        : await likesBatched(ids);
  const results = rows.map((r, i) => toPostSummary(toPostRef(r), r.authorName, likes[i] ?? 0, r.commentsCount));
  return { data: toPage(results, { count, page, pageSize, basePath }), etag: null };
}

/** One post with its comments; `viewerId` decides `likedByMe`. Throws not_found. */
export async function getPost(id: number, options: ReadOptions = {}): Promise<Read<PostDetail>> {
  const mode = options.mode ?? getEnv().CACHE_MODE;
  if (mode === "full") return fullPost(id, options.viewerId);

  const row = await findPost(id);
  if (!row) throw notFound("Post not found");
  const [likesCount, comments, liked] = await Promise.all([
    mode === "off" ? countLikesByPost([id]).then((m) => m.get(id) ?? 0) : likesOne(id),
    getLatestComments(id),
    options.viewerId ? findLikedPostIds(options.viewerId, [id]) : Promise.resolve(new Set<number>()),
  ]);
  const data = toPostDetail(
    toPostRef(row),
    row.authorName,
    toPostContent(row.content),
    { likesCount, commentsCount: row.commentsCount },
    comments,
    liked.has(id),
  );
  return { data, etag: null };
}

/**
 * A post's newest comments, loaded once per request however many fields use
 * them (`comments` and `latestComment`: the article's "double caching").
 */
export function getLatestComments(postId: number): Promise<Comment[]> {
  return memo(`post:${postId}:comments`, async () => (await findLatestComments(postId)).map(toComment));
}

function assertPageExists(page: number, pageSize: number, count: number): void {
  if (page > 1 && (page - 1) * pageSize >= count) throw notFound("Page not found");
}

// --- per-object and batched: the article's two steps for the likes count ---

/** The article's first step: one read-through cache call per row, in turn. */
async function likesOneByOne(ids: readonly number[]): Promise<number[]> {
  const counts: number[] = [];
  for (const id of ids) counts.push(await likesOne(id));
  return counts;
}

function likesOne(id: number): Promise<number> {
  return cachedOne(
    getTagStore(),
    forId(likesCountSpec, id),
    async () => (await countLikesByPost([id])).get(id) ?? 0,
    ttl.likesCount,
  );
}

/** The article's final list: ONE multi-get; all misses from ONE grouped statement, written back in ONE call. */
function likesBatched(ids: readonly number[]): Promise<number[]> {
  return cachedMany(getTagStore(), ids, (id) => forId(likesCountSpec, id), countLikesByPost, ttl.likesCount);
}

