import "server-only";
import { createHash } from "node:crypto";
import { getCache } from "@/lib/cache";
import { cachedMany, cachedOne, leased, singleFlight } from "@/lib/cache/strategies";
import { forId, TagStore, type TaggedFill, type TaggedRead, type TaggedSpec, type WholeFill } from "@/lib/cache/tags";
import { getEnv } from "@/lib/env";
import { notFound } from "@/lib/http/errors";
import { memo } from "@/lib/scope";
import {
  commentsCountSpec,
  latestCommentsSpec,
  likedBySpec,
  likesCountSpec,
  pageResponseKey,
  pageSpec,
  postBaseSpec,
  postContentSpec,
  postsCountSpec,
  ttl,
} from "./cache-keys";
import { toComment, toPage, toPostBase, toPostContent, toPostDetail, toPostSummary, type PostBase, type PostContent } from "./dto";
import {
  countCommentsByPost,
  countLikesByPost,
  countPosts,
  findLatestComments,
  findLikedPostIds,
  findPost,
  findPostIdsPage,
  findPostPage,
  findPostsByIds,
} from "./queries";
import type { PageQuery } from "./schemas";
import type { Comment, Page, PostDetail, PostSummary } from "./types";

// The posts read path, in the four CACHE_MODEs (api.md). Bodies are identical
// in every mode; what differs is what each request costs:
//
// | mode       | list page (warm)                  | post (warm)                 |
// | off        | 3 statements, 0 round trips       | 3 statements, 0 round trips |
// | per-object | 2 statements, 1 round trip PER ROW| 2 statements, 1 round trip  |
// | batched    | 2 statements, 1 round trip        | 2 statements, 1 round trip  |
// | full       | 0 statements, 1 round trip        | 0 statements, 1 round trip  |

export type CacheMode = "off" | "per-object" | "batched" | "full";

export interface ReadOptions {
  /** Where `next`/`previous` point (`/api/posts` for the API, `/` for the home page). */
  basePath?: string;
  /** The signed-in viewer, for `likedByMe`; anonymous when absent. */
  viewerId?: string | undefined;
  /** Default: CACHE_MODE, read once at start. */
  mode?: CacheMode;
}

/** A read's result, with an ETag when the mode can derive one without the body (full). */
export interface Read<T> {
  readonly data: T;
  /** Derived from the tag tokens the data was built from; null → hash the body. */
  readonly etag: string | null;
  /** `data` already serialized, when the read had it (a whole cached response): send it as is. */
  readonly json?: string;
}

/** A read served whole from the cache: `data` is parsed only if someone asks for it (a page does; the API does not). */
function fromJson<T>(json: string, etag: string): Read<T> {
  let parsed: T | undefined;
  return {
    etag,
    json,
    get data(): T {
      parsed ??= JSON.parse(json) as T;
      return parsed;
    },
  };
}

let tagStore: TagStore | undefined;
function store(): TagStore {
  tagStore ??= new TagStore(getCache());
  return tagStore;
}

/**
 * Bumps tags after a write has committed (the invalidation map of design.md):
 * every entry built from them is a miss on every instance from now on.
 */
export function invalidate(tagList: readonly string[]): Promise<void> {
  return store().invalidate(tagList);
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
  const results = rows.map((r, i) => toPostSummary(toPostBase(r), likes[i] ?? 0, r.commentsCount));
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
    toPostBase(row),
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
    store(),
    forId(likesCountSpec, id),
    async () => (await countLikesByPost([id])).get(id) ?? 0,
    ttl.likesCount,
  );
}

/** The article's final list: ONE multi-get; all misses from ONE grouped statement, written back in ONE call. */
function likesBatched(ids: readonly number[]): Promise<number[]> {
  return cachedMany(store(), ids, (id) => forId(likesCountSpec, id), countLikesByPost, ttl.likesCount);
}

// --- full: cached membership and pieces, one round trip when warm ---

/** The pieces of one list row, in this order. */
const ROW_SPECS = [postBaseSpec, likesCountSpec, commentsCountSpec] as const;

interface PageIndex {
  ids: number[];
  count: number;
}

async function fullPostPage(query: PageQuery, basePath: string): Promise<Read<Page<PostSummary>>> {
  const { page, pageSize } = query;
  const indexSpec = pageSpec(page, pageSize);
  const responseKey = pageResponseKey(basePath, page, pageSize);
  // One script call: the whole response if it is still valid; else the
  // page's ids and count, and every piece of every row.
  const read = await store().readIndexed<PageIndex>(indexSpec, ROW_SPECS, { whole: responseKey });
  if (read.whole) return fromJson(read.whole.body, read.whole.etag);
  const { index, rows } = read;
  // Anything to load or to write back (at least the response) is ONE flight
  // per page and stamps, so concurrent requests that missed the same way share it.
  const stamps = [...index.stamp, ...rows.flatMap((r) => r.entries.flatMap((e) => e.stamp))];
  // Across instances, one builder at a time (a lease); the others wait for its whole response.
  const flight = `page:${indexSpec.key}:${basePath}`;
  const reread = async () => {
    const again = await store().readIndexed<PageIndex>(indexSpec, ROW_SPECS, { whole: responseKey });
    return again.whole ? fromJson<Page<PostSummary>>(again.whole.body, again.whole.etag) : undefined;
  };
  const built = await singleFlight(flight, stamps, () =>
    leased(store(), flight, reread, (lease) => buildPage(query, basePath, indexSpec, index, rows, lease)),
  );
  if (!built) throw notFound("Page not found");
  return built;
}

/**
 * Builds a list page that was not served whole: membership if missing, then
 * every missing piece in one statement per kind, then ONE write-back of the
 * loaded pieces and of the whole response. Null for a page past the end.
 */
async function buildPage(
  query: PageQuery,
  basePath: string,
  indexSpec: TaggedSpec,
  index: TaggedRead<PageIndex>,
  rows: { id: number; entries: TaggedRead<unknown>[] }[],
  lease: string[],
): Promise<Read<Page<PostSummary>> | null> {
  const { page, pageSize } = query;
  const tags = store();
  const fills: TaggedFill[] = [];
  let membership: PageIndex;
  let reads: TaggedRead<unknown>[][];
  if (index.hit) {
    membership = index.value;
    reads = rows.map((r) => r.entries);
  } else {
    // The total is every page's: its own entry, so a cold page does not
    // COUNT(*) the table (15 ms at 200,000 posts), and a page past the end
    // is known without walking the index.
    const [countRead] = await tags.read<number>([postsCountSpec]);
    let count: number;
    if (countRead?.hit) count = countRead.value;
    else {
      count = await countPosts();
      fills.push({ spec: postsCountSpec, value: count, stamp: countRead?.stamp ?? [], ttl: ttl.postsCount });
    }
    const ids = count > (page - 1) * pageSize ? await findPostIdsPage((page - 1) * pageSize, pageSize) : [];
    membership = { ids, count };
    fills.push({ spec: indexSpec, value: membership, stamp: index.stamp, ttl: ttl.page });
    const flat = await tags.read(ids.flatMap((id) => ROW_SPECS.map((spec) => forId(spec, id))));
    reads = ids.map((_, r) => flat.slice(r * ROW_SPECS.length, (r + 1) * ROW_SPECS.length));
  }
  const ids = membership.ids;
  const missing = (piece: number) => ids.filter((_, r) => !reads[r]?.[piece]?.hit);
  const load = async <V>(m: number[], loader: (ids: number[]) => Promise<Map<number, V>>) => (m.length ? loader(m) : new Map<number, V>());
  // Misses: one statement per kind of data, whatever the number of rows.
  const loaded: Map<number, unknown>[] = await Promise.all([
    load(missing(0), async (m) => new Map((await findPostsByIds(m)).map((row) => [row.id, toPostBase(row)]))),
    load(missing(1), countLikesByPost),
    load(missing(2), countCommentsByPost),
  ]);
  const { results, stamps, from } = assembleRows(membership, reads, indexSpec, index.stamp, loaded, fills);
  if (page > 1 && ids.length === 0) {
    await tags.fill(fills, [], { release: lease });
    return null;
  }
  const data = toPage(results, { count: membership.count, page, pageSize, basePath });
  const json = JSON.stringify(data);
  const etag = etagOf(["list", basePath, ...stamps]);
  // The whole response, valid while every tag it was built from holds the token read for it.
  await tags.fill(fills, [{ key: pageResponseKey(basePath, page, pageSize), body: json, etag, from, ttl: ttl.page }], { release: lease });
  return { data, etag, json };
}

/**
 * Builds the rows of a page from its reads and what was loaded, collecting the
 * fills of loaded pieces, the stamps (the ETag) and what the page was built
 * from (the whole response's dependencies).
 */
function assembleRows(
  membership: PageIndex,
  reads: TaggedRead<unknown>[][],
  indexSpec: TaggedSpec,
  indexStamp: readonly string[],
  loaded: Map<number, unknown>[],
  fills: TaggedFill[],
): { results: PostSummary[]; stamps: string[]; from: WholeFill["from"][number][] } {
  const results: PostSummary[] = [];
  const stamps = [...indexStamp];
  const from: WholeFill["from"][number][] = [{ spec: indexSpec, stamp: indexStamp }];
  membership.ids.forEach((id, r) => {
    const values = ROW_SPECS.map((template, piece) => {
      const spec = forId(template, id);
      const read = reads[r]?.[piece];
      const stamp = read?.stamp ?? [];
      stamps.push(...stamp);
      from.push({ spec, stamp });
      if (read?.hit) return read.value;
      const value = loaded[piece]?.get(id);
      if (value === undefined) return undefined; // deleted since the index was built
      fills.push({ spec, value, stamp, ttl: PIECE_TTL[piece] ?? null });
      return value;
    });
    const [base, likesCount, commentsCount] = values as [PostBase | undefined, number, number];
    if (base) results.push(toPostSummary(base, likesCount, commentsCount));
  });
  return { results, stamps, from };
}

const PIECE_TTL = [ttl.postBase, ttl.likesCount, ttl.commentsCount];

/** The anonymous pieces of a post page, in this order. */
const POST_SPECS = [postBaseSpec, postContentSpec, likesCountSpec, commentsCountSpec, latestCommentsSpec] as const;

interface PostPieces {
  base: PostBase;
  content: PostContent;
  likesCount: number;
  commentsCount: number;
  comments: Comment[];
}

async function fullPost(id: number, viewerId: string | undefined): Promise<Read<PostDetail>> {
  const tags = store();
  const concrete = POST_SPECS.map((spec) => forId(spec, id));
  const likedSpec = viewerId ? forId(likedBySpec(viewerId), id) : undefined;
  // One MGET: every piece of the post (and the viewer's like) with the tokens of their tags.
  const reads = await tags.read<unknown>(likedSpec ? [...concrete, likedSpec] : concrete);
  const anonymous = reads.slice(0, POST_SPECS.length);
  const pieces = anonymous.every((r) => r.hit)
    ? piecesOf(anonymous.map((r) => (r as { value: unknown }).value))
    : // Cold: one flight per post and stamps (a stampede on a cold post is one load).
      await singleFlight(`post:${id}`, anonymous.flatMap((r) => r.stamp), () =>
        // Across instances, one loader at a time (a lease); the others wait for its fill.
        leased(
          tags,
          `post:${id}`,
          async () => {
            const again = await tags.read<unknown>(concrete);
            return again.every((r) => r.hit) ? piecesOf(again.map((r) => (r as { value: unknown }).value)) : undefined;
          },
          (lease) => loadPost(id, concrete, anonymous, lease),
        ),
      );
  if (!pieces) throw notFound("Post not found");

  let liked = false;
  const likedRead = reads[POST_SPECS.length];
  if (viewerId && likedSpec && likedRead) {
    if (likedRead.hit) liked = likedRead.value === true;
    else {
      liked = (await findLikedPostIds(viewerId, [id])).has(id);
      await tags.fill([{ spec: likedSpec, value: liked, stamp: likedRead.stamp, ttl: ttl.liked }]);
    }
  }
  const data = toPostDetail(
    pieces.base,
    pieces.content,
    { likesCount: pieces.likesCount, commentsCount: pieces.commentsCount },
    pieces.comments,
    liked,
  );
  return { data, etag: etagOf(["post", viewerId ?? "", ...reads.flatMap((r) => r.stamp)]) };
}

function piecesOf(values: unknown[]): PostPieces {
  const [base, content, likesCount, commentsCount, comments] = values as [PostBase, PostContent, number, number, Comment[]];
  return { base, content, likesCount, commentsCount, comments };
}

/** The cold path of a post: the missing pieces (one statement per kind), then one write-back; null when there is no such post. */
async function loadPost(id: number, specs: TaggedSpec[], reads: TaggedRead<unknown>[], lease: string[]): Promise<PostPieces | null> {
  const hit = (i: number) => reads[i]?.hit === true;
  const valueOf = <V>(i: number) => (reads[i] as { value: V }).value;
  const needRow = !hit(0) || !hit(1) || !hit(3);
  const [row, likesCount, comments] = await Promise.all([
    needRow ? findPost(id) : Promise.resolve(null),
    hit(2) ? valueOf<number>(2) : countLikesByPost([id]).then((m) => m.get(id) ?? 0),
    hit(4) ? valueOf<Comment[]>(4) : getLatestComments(id),
  ]);
  if (needRow && !row) {
    await store().fill([], [], { release: lease });
    return null;
  }
  const values: unknown[] = [
    hit(0) ? valueOf<PostBase>(0) : toPostBase(row!),
    hit(1) ? valueOf<PostContent>(1) : toPostContent(row!.content),
    likesCount,
    hit(3) ? valueOf<number>(3) : row!.commentsCount,
    comments,
  ];
  const ttls = [ttl.postBase, ttl.postContent, ttl.likesCount, ttl.commentsCount, ttl.latestComments];
  const fills: TaggedFill[] = [];
  specs.forEach((spec, i) => {
    const read = reads[i];
    if (read && !read.hit) fills.push({ spec, value: values[i], stamp: read.stamp, ttl: ttls[i] ?? null });
  });
  await store().fill(fills, [], { release: lease });
  return piecesOf(values);
}

/**
 * An ETag from the tag tokens a response was built from: the same tokens mean
 * the same entries, so a matching If-None-Match can be answered with a 304
 * before any body is assembled or serialized.
 */
function etagOf(parts: readonly string[]): string {
  return `"t-${createHash("sha1").update(parts.join("|")).digest("base64url")}"`;
}
