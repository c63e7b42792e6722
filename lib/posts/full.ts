import "server-only";
import { createHash } from "node:crypto";
import { getTagStore } from "@/lib/cache";
import { leased, singleFlight } from "@/lib/cache/strategies";
import { Dependencies, forId, type Lease, type TaggedFill, type TaggedRead, type TaggedSpec, type WholeFill, type WholeHit } from "@/lib/cache/tags";
import { notFound } from "@/lib/domain/errors";
import { dependenciesWanted, noteDependencies } from "@/lib/scope";
import {
  authorSpec,
  commentsCountSpec,
  latestCommentsSpec,
  likedBySpec,
  likesCountSpec,
  pageResponseKey,
  pageSpec,
  postBaseSpec,
  postContentSpec,
  postResponseKey,
  postsCountSpec,
  ttl,
} from "./cache-keys";
import { type CommentRef, type PostContent, type PostRef, toCommentFrom, toCommentRef, toPage, toPostContent, toPostDetail, toPostRef, toPostSummary } from "./dto";
import {
  countLikesByPost,
  countPosts,
  findCommentRefs,
  findLikedPostIds,
  findPostIdsPage,
  findPostPageWithCounts,
  findPostsWithCounts,
  findPostWhole,
  findUserNames,
} from "./queries";
import type { PageQuery } from "./schemas";
import type { Author, Page, PostDetail, PostSummary } from "./types";

// CACHE_MODE=full: cached membership, pieces, authors and whole responses.
//
// - A warm list page or anonymous post is ONE round trip: one script that
//   answers the whole response when every tag it was built from still holds
//   (lib/cache/tags/whole.ts), and otherwise, in the same call, the pieces.
// - What a miss writes back depends on whether the thing is wanted again: a
//   list page nobody asked for lately (its membership entry ABSENT) is served
//   from ONE statement and leaves only its membership behind; the second
//   request builds it from pieces and stores those and the whole response.
//   A post's first read stores its pieces; the read that finds them all (the
//   second) stores its whole response. So a crawl of the long tail pays its
//   SQL plus little, and what is read again is served whole.
// - Authors' names are pieces of their own (`user:v1:U`, tag `user:U`), read
//   after the entries that name the user ids: a rename bumps one tag.

/** A read's result, with an ETag when the mode can derive one without the body. */
export interface Read<T> {
  readonly data: T;
  /** Derived from the tag tokens the data was built from; null → hash the body. */
  readonly etag: string | null;
  /** `data` already serialized, when the read had it (a whole cached response): send it as is. */
  readonly json?: string;
}

/** A read served whole: `data` is parsed only if someone asks for it (a page does; the API does not). */
function fromWhole<T>(hit: WholeHit): Read<T> {
  let parsed: T | undefined;
  return {
    etag: hit.meta.e ?? null,
    json: hit.body,
    get data(): T {
      parsed ??= JSON.parse(hit.body) as T;
      return parsed;
    },
  };
}

/** What a build produced: the read, and what it was built from. */
interface Built<T> {
  read: Read<T>;
  deps: Dependencies;
}

// --- list pages ---

/** The pieces of one list row, in this order. */
const ROW_SPECS = [postBaseSpec, likesCountSpec, commentsCountSpec] as const;

interface PageIndex {
  ids: number[];
  count: number;
}

/** A page of posts (full mode). Throws not_found for a page past the end. */
export async function fullPostPage(query: PageQuery, basePath: string): Promise<Read<Page<PostSummary>>> {
  const store = getTagStore();
  const indexSpec = pageSpec(query.page, query.pageSize);
  const responseKey = pageResponseKey(basePath, query.page, query.pageSize);
  // One script call: the whole response if it is still valid; else the
  // page's ids and count, and every piece of every row.
  const read = await store.readIndexed<PageIndex>(indexSpec, ROW_SPECS, { whole: responseKey, deps: dependenciesWanted() });
  if (read.whole) {
    noteDependencies(read.whole.deps);
    return fromWhole(read.whole);
  }
  const { index, rows } = read;
  let built: Built<Page<PostSummary>> | null;
  if (!index.hit && !index.present) {
    // Nobody asked for this page lately: serve it from one statement, keep only its membership.
    built = await singleFlight(`page-first:${indexSpec.key}:${basePath}`, index.stamp, () => firstPage(query, basePath, indexSpec, index));
  } else {
    // Anything to load or to write back (at least the response) is ONE flight
    // per page and stamps; across instances, one builder at a time (a lease),
    // the others wait for its whole response.
    const stamps = [...index.stamp, ...rows.flatMap((r) => r.entries.flatMap((e) => e.stamp))];
    const flight = `page:${indexSpec.key}:${basePath}`;
    const reread = async () => {
      const again = await store.readIndexed<PageIndex>(indexSpec, ROW_SPECS, { whole: responseKey, deps: true });
      return again.whole ? { read: fromWhole<Page<PostSummary>>(again.whole), deps: again.whole.deps ?? new Dependencies() } : undefined;
    };
    built = await singleFlight(flight, stamps, () =>
      leased(store, flight, reread, (leases) => buildPage(query, basePath, indexSpec, responseKey, index, rows, leases)),
    );
  }
  if (!built) throw notFound("Page not found");
  noteDependencies(built.deps);
  return built.read;
}

/** The number of posts, from its entry (tag `posts`) or COUNT(*); pushes its fill on a miss. */
async function postsCount(fills: TaggedFill[], deps: Dependencies): Promise<number> {
  const [read] = await getTagStore().read<number>([postsCountSpec]);
  if (read) deps.addRead(read);
  if (read?.hit) return read.value;
  const count = await countPosts();
  if (read) fills.push({ spec: postsCountSpec, value: count, stamp: read.stamp, ttl: ttl.postsCount });
  return count;
}

/**
 * A page whose membership entry was absent: ONE statement for its rows and
 * their counts (the count of posts is an entry of its own), and only the
 * membership written back — the rows were loaded before their tags were read,
 * so they cannot be stored (nor can a response built from them).
 */
async function firstPage(query: PageQuery, basePath: string, indexSpec: TaggedSpec, index: TaggedRead<PageIndex>): Promise<Built<Page<PostSummary>> | null> {
  const { page, pageSize } = query;
  const fills: TaggedFill[] = [];
  const deps = new Dependencies();
  const count = await postsCount(fills, deps);
  const offset = (page - 1) * pageSize;
  const rows = count > offset ? await findPostPageWithCounts(offset, pageSize) : [];
  fills.push({ spec: indexSpec, value: { ids: rows.map((r) => r.id), count } satisfies PageIndex, stamp: index.stamp, ttl: ttl.page });
  await getTagStore().fill(fills);
  if (page > 1 && rows.length === 0) return null;
  const results = rows.map((r) => toPostSummary(toPostRef(r), r.authorName, r.likesCount, r.commentsCount));
  deps.markIncomplete();
  return { read: { data: toPage(results, { count, page, pageSize, basePath }), etag: null }, deps };
}

/**
 * Builds a page that was not served whole from its pieces: membership if it
 * was stale, every missing piece from ONE statement, the authors, then ONE
 * write-back of the loaded pieces and of the whole response (releasing the
 * lease). Null for a page past the end.
 */
async function buildPage(
  query: PageQuery,
  basePath: string,
  indexSpec: TaggedSpec,
  responseKey: string,
  index: TaggedRead<PageIndex>,
  rows: { id: number; entries: TaggedRead<unknown>[] }[],
  leases: Lease[],
): Promise<Built<Page<PostSummary>> | null> {
  const { page, pageSize } = query;
  const store = getTagStore();
  const fills: TaggedFill[] = [];
  const deps = new Dependencies();
  deps.addRead(index);
  let membership: PageIndex;
  let reads: TaggedRead<unknown>[][];
  if (index.hit) {
    membership = index.value;
    reads = rows.map((r) => r.entries);
  } else {
    const count = await postsCount(fills, deps);
    const offset = (page - 1) * pageSize;
    const ids = count > offset ? await findPostIdsPage(offset, pageSize) : [];
    membership = { ids, count };
    fills.push({ spec: indexSpec, value: membership, stamp: index.stamp, ttl: ttl.page });
    const flat = await store.read(ids.flatMap((id) => ROW_SPECS.map((spec) => forId(spec, id))));
    reads = ids.map((_, r) => flat.slice(r * ROW_SPECS.length, (r + 1) * ROW_SPECS.length));
  }
  for (const row of reads) for (const read of row) deps.addRead(read);
  const ids = membership.ids;
  // Misses: one statement for every row that lacks any piece.
  const missing = ids.filter((_, r) => reads[r]?.some((read) => !read.hit));
  const loaded = new Map((missing.length ? await findPostsWithCounts(missing) : []).map((row) => [row.id, row]));
  const assembled: { base: PostRef; likes: number; comments: number }[] = [];
  ids.forEach((id, r) => {
    const [baseRead, likesRead, commentsRead] = reads[r] ?? [];
    const row = loaded.get(id);
    const pick = <V>(read: TaggedRead<unknown> | undefined, spec: TaggedSpec, fromRow: V | undefined, life: number): V | undefined => {
      if (read?.hit) return read.value as V;
      if (read && fromRow !== undefined) fills.push({ spec: forId(spec, id), value: fromRow, stamp: read.stamp, ttl: life });
      return fromRow;
    };
    const base = pick<PostRef | null>(baseRead, postBaseSpec, row ? toPostRef(row) : undefined, ttl.postBase);
    const likes = pick(likesRead, likesCountSpec, row?.likesCount, ttl.likesCount);
    const comments = pick(commentsRead, commentsCountSpec, row?.commentsCount, ttl.commentsCount);
    // Deleted since the membership was read: not shown.
    if (base && likes !== undefined && comments !== undefined) assembled.push({ base, likes, comments });
  });
  const names = await readAuthors([...new Set(assembled.map((a) => a.base.authorId))], fills, deps);
  const results = assembled.flatMap(({ base, likes, comments }) => {
    const name = names.get(base.authorId);
    return name === undefined ? [] : [toPostSummary(base, name, likes, comments)];
  });
  if (page > 1 && ids.length === 0) {
    await store.fill(fills, [], { release: leases });
    return null;
  }
  const data = toPage(results, { count: membership.count, page, pageSize, basePath });
  const json = JSON.stringify(data);
  const etag = etagOf(["list", basePath, ...deps.tokens.values()]);
  const whole: WholeFill = { key: responseKey, body: json, meta: { e: etag }, deps, ttl: ttl.response };
  await store.fill(fills, [whole], { release: leases });
  return { read: { data, etag, json }, deps };
}

/**
 * The names of these users from their author entries (one round trip), the
 * missing ones from one statement (pushed to `fills`). A user the database
 * does not know (deleted meanwhile) is absent from the result.
 */
async function readAuthors(ids: readonly string[], fills: TaggedFill[], deps: Dependencies): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (ids.length === 0) return names;
  const specs = ids.map((id) => forId(authorSpec, id));
  const reads = await getTagStore().read<Author>(specs);
  const missing: number[] = [];
  reads.forEach((read, i) => {
    deps.addRead(read);
    if (read.hit) names.set(read.value.id, read.value.name);
    else missing.push(i);
  });
  if (missing.length === 0) return names;
  const loaded = await findUserNames(missing.map((i) => ids[i]!));
  for (const i of missing) {
    const id = ids[i]!;
    const name = loaded.get(id);
    if (name === undefined) continue;
    names.set(id, name);
    fills.push({ spec: specs[i]!, value: { id, name } satisfies Author, stamp: reads[i]!.stamp, ttl: ttl.author });
  }
  return names;
}

// --- posts ---

/** The anonymous pieces of a post, in this order. */
const POST_SPECS = [postBaseSpec, postContentSpec, likesCountSpec, commentsCountSpec, latestCommentsSpec] as const;
const POST_TTLS = [ttl.postBase, ttl.postContent, ttl.likesCount, ttl.commentsCount, ttl.latestComments] as const;

interface PostPieces {
  base: PostRef;
  content: PostContent;
  likesCount: number;
  commentsCount: number;
  comments: CommentRef[];
}

/** What every viewer of a post sees: the pieces, the authors' names, what they were read with. */
interface PostView {
  pieces: PostPieces;
  /** Set when the view was loaded (authors read with it); else read after. */
  names?: Map<string, string>;
  deps: Dependencies;
  /** The anonymous response, when the load built it (and stored it whole). */
  anonymous?: { data: PostDetail; etag: string; json: string };
}

/** One post (full mode); `viewerId` decides `likedByMe`. Throws not_found (also from a cached "no such post"). */
export async function fullPost(id: number, viewerId: string | undefined): Promise<Read<PostDetail>> {
  const store = getTagStore();
  const concrete = POST_SPECS.map((spec) => forId(spec, id));
  const likedSpec = viewerId ? forId(likedBySpec(viewerId), id) : undefined;
  // One round trip: the whole response if it holds, else every piece; and a
  // signed-in reader's like beside it (a pipeline of two script calls).
  const result = await store.readWith<unknown>(concrete, {
    whole: postResponseKey(id),
    deps: likedSpec !== undefined || dependenciesWanted(),
    ...(likedSpec ? { alongside: [likedSpec] } : {}),
  });
  const likedRead = result.alongside[0];
  if (result.whole) {
    if (!viewerId || !likedSpec || !likedRead) {
      noteDependencies(result.whole.deps);
      return fromWhole(result.whole);
    }
    // Signed in: the anonymous response with this viewer's `likedByMe` (the last field: same bytes as a build).
    noteDependencies(undefined);
    const liked = await likedByViewer(id, viewerId, likedSpec, likedRead);
    const data = JSON.parse(result.whole.body) as PostDetail;
    data.likedByMe = liked;
    return { data, etag: etagOf(["post", viewerId, ...(result.whole.deps?.tokens.values() ?? []), ...likedRead.stamp]) };
  }
  const reads = result.reads;
  const first = reads[0];
  if (first?.hit && first.value === null) throw notFound("Post not found");
  let view: PostView | null;
  if (reads.every((r) => r.hit)) view = viewOf(reads);
  else {
    // Cold: one flight per post and stamps (a stampede on a cold post is one
    // load); across instances, one loader at a time, the others wait for its
    // fill. A hot post (its whole response was there, now stale) is stored
    // whole again by the same write-back.
    const rebuildWhole = result.wholeState === "stale";
    view = await singleFlight(`post:{${id}}`, reads.flatMap((r) => r.stamp), () =>
      leased(
        store,
        `post:{${id}}`,
        async () => {
          const again = await store.read<unknown>(concrete);
          return again.every((r) => r.hit) ? viewOf(again) : undefined;
        },
        (leases) => loadPost(id, concrete, reads, leases, rebuildWhole),
      ),
    );
  }
  if (!view) throw notFound("Post not found");

  const fills: TaggedFill[] = [];
  const deps = new Dependencies();
  deps.merge(view.deps);
  const names = view.names ?? (await readAuthors(authorsOf(view.pieces), fills, deps));
  const liked = viewerId && likedSpec && likedRead ? await likedByViewer(id, viewerId, likedSpec, likedRead, fills) : false;
  let read: Read<PostDetail>;
  const wholes: WholeFill[] = [];
  if (!viewerId && view.anonymous) read = view.anonymous;
  else {
    const data = detailOf(view.pieces, names, liked);
    const etag = etagOf(["post", viewerId ?? "", ...deps.tokens.values(), ...(likedRead?.stamp ?? [])]);
    read = { data, etag };
    // Read again with every piece from the cache: now store the anonymous response whole.
    if (!viewerId && !deps.loaded) {
      const json = JSON.stringify(data);
      read = { data, etag, json };
      wholes.push({ key: postResponseKey(id), body: json, meta: { e: etag }, deps, ttl: ttl.response });
    }
  }
  if (fills.length > 0 || wholes.length > 0) await store.fill(fills, wholes);
  noteDependencies(viewerId ? undefined : deps);
  return read;
}

/** Whether the viewer likes the post: from its entry, or one statement (its fill pushed to `fills`, or written now). */
async function likedByViewer(id: number, viewerId: string, spec: TaggedSpec, read: TaggedRead<unknown>, fills?: TaggedFill[]): Promise<boolean> {
  if (read.hit) return read.value === true;
  const liked = (await findLikedPostIds(viewerId, [id])).has(id);
  const fill: TaggedFill = { spec, value: liked, stamp: read.stamp, ttl: ttl.liked };
  if (fills) fills.push(fill);
  else await getTagStore().fill([fill]);
  return liked;
}

/** The PostDetail of a view for a viewer who does (or does not) like the post; null without its author. */
function detailOf(pieces: PostPieces, names: Map<string, string>, liked: boolean): PostDetail {
  const authorName = names.get(pieces.base.authorId);
  if (authorName === undefined) throw notFound("Post not found"); // deleted with its author meanwhile
  const comments = pieces.comments.flatMap((c) => {
    const name = names.get(c.authorId);
    return name === undefined ? [] : [toCommentFrom(c, name)];
  });
  const counts = { likesCount: pieces.likesCount, commentsCount: pieces.commentsCount };
  return toPostDetail(pieces.base, authorName, pieces.content, counts, comments, liked);
}

/** The view of reads that all hit. */
function viewOf(reads: readonly TaggedRead<unknown>[]): PostView {
  const deps = new Dependencies();
  for (const read of reads) deps.addRead(read);
  return { pieces: piecesOf(reads.map((r) => (r as { value: unknown }).value)), deps };
}

/** The users a post page names: its author and its commenters. */
function authorsOf(pieces: PostPieces): string[] {
  return [...new Set([pieces.base.authorId, ...pieces.comments.map((c) => c.authorId)])];
}

function piecesOf(values: unknown[]): PostPieces {
  const [base, content, likesCount, commentsCount, comments] = values as [PostRef, PostContent, number, number, CommentRef[]];
  return { base, content, likesCount, commentsCount, comments };
}

/**
 * The cold path of a post: the missing pieces — ONE statement when its own
 * fields are missing (everything at once: an unknown id costs exactly one),
 * else one per kind (likes; comments and their count) — and the authors they
 * name; then ONE write-back of all of it (and of the anonymous response when
 * `whole`), which releases the lease. Null when there is no such post,
 * remembered for `ttl.missingPost` seconds as a "no such post" entry.
 */
async function loadPost(id: number, specs: TaggedSpec[], reads: TaggedRead<unknown>[], leases: Lease[], whole: boolean): Promise<PostView | null> {
  const store = getTagStore();
  const hit = (i: number) => reads[i]?.hit === true;
  const valueOf = <V>(i: number) => (reads[i] as { value: V }).value;
  let values: [PostRef, PostContent, number, number, CommentRef[]];
  if (!hit(0) || !hit(1)) {
    const row = await findPostWhole(id);
    if (!row) {
      const miss = reads[0];
      const negative: TaggedFill[] = miss && !miss.hit ? [{ spec: specs[0]!, value: null, stamp: miss.stamp, ttl: ttl.missingPost }] : [];
      await store.fill(negative, [], { release: leases });
      return null;
    }
    values = [
      hit(0) ? valueOf(0) : toPostRef(row),
      hit(1) ? valueOf(1) : toPostContent(row.content),
      hit(2) ? valueOf(2) : row.likesCount,
      hit(3) ? valueOf(3) : row.commentsCount,
      hit(4) ? valueOf(4) : row.comments.map(toCommentRef),
    ];
  } else {
    const [likes, comments] = await Promise.all([
      hit(2) ? valueOf<number>(2) : countLikesByPost([id]).then((m) => m.get(id) ?? 0),
      hit(3) && hit(4) ? { count: valueOf<number>(3), comments: valueOf<CommentRef[]>(4) } : findCommentRefs(id),
    ]);
    values = [valueOf(0), valueOf(1), likes, hit(3) ? valueOf(3) : comments.count, hit(4) ? valueOf(4) : comments.comments.map(toCommentRef)];
  }
  const fills: TaggedFill[] = [];
  const deps = new Dependencies();
  specs.forEach((spec, i) => {
    const read = reads[i];
    if (!read) return;
    deps.addRead(read);
    if (!read.hit) fills.push({ spec, value: values[i], stamp: read.stamp, ttl: POST_TTLS[i] ?? ttl.postBase });
  });
  const pieces = piecesOf(values);
  const names = await readAuthors(authorsOf(pieces), fills, deps);
  const wholes: WholeFill[] = [];
  let anonymous: PostView["anonymous"];
  if (whole) {
    const data = detailOf(pieces, names, false);
    const etag = etagOf(["post", "", ...deps.tokens.values()]);
    anonymous = { data, etag, json: JSON.stringify(data) };
    wholes.push({ key: postResponseKey(id), body: anonymous.json, meta: { e: etag }, deps, ttl: ttl.response });
  }
  await store.fill(fills, wholes, { release: leases });
  return { pieces, names, deps, ...(anonymous ? { anonymous } : {}) };
}

/**
 * An ETag from the tag tokens a response was built from: the same tokens mean
 * the same entries, so a matching If-None-Match can be answered with a 304
 * before any body is assembled or serialized.
 */
function etagOf(parts: Iterable<string>): string {
  return `"t-${createHash("sha1").update([...parts].join("|")).digest("base64url")}"`;
}
