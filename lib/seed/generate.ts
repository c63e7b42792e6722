/**
 * Pure, deterministic generators for the demo data: the same config gives the
 * same rows, byte for byte, whatever the batch size and whatever the clock
 * (except for `resolveAnchor`, which is the one place that reads the clock).
 *
 * Every entity draws from its own PRNG stream, derived from (seed, kind, index),
 * so a post's content does not depend on how many likes the posts before it
 * got, and changing --max-likes leaves titles and contents untouched.
 */
import {
  CLOSING_HEADINGS,
  CLOSING_SENTENCES,
  CODE_INTROS,
  COMMENT_SENTENCES,
  DURATIONS,
  EMPHASIS_SENTENCES,
  FIRST_NAMES,
  INTRO_SENTENCES,
  LAST_NAMES,
  LINK_SENTENCES,
  LIST_INTROS,
  LIST_ITEMS,
  SECTION_HEADINGS,
  BODY_SENTENCES,
  TITLE_SUFFIXES,
  TITLE_TEMPLATES,
  TOPICS,
  type Topic,
} from "./banks";

export const DAY_MS = 86_400_000;

/**
 * Dates are laid out backwards from this fixed instant rather than from "now",
 * so two runs with the same arguments write identical rows on any day. It is
 * in the past, so no row is dated in the future; `resolveAnchor` clamps it to
 * the start of the current UTC day should the clock ever be behind it (rows are
 * then identical only within that day - a deliberate trade for never-future).
 */
export const FIXED_ANCHOR = new Date("2026-11-01T00:00:00.000Z");

/** Posts are spread evenly (with jitter) over this many days before the anchor. */
export const POST_SPAN_DAYS = 365;
/** Users sign up during this many days before the first post. */
export const USER_SIGNUP_SPAN_DAYS = 180;

/** Post content size in bytes (ASCII, so characters): "1-2 KB". */
export const CONTENT_MIN_BYTES = 1024;
export const CONTENT_MAX_BYTES = 2048;
export const TITLE_MAX_CHARS = 200;
/** Share of posts that get no like at all (when --max-likes > 0). */
export const NO_LIKE_SHARE = 0.1;
/** Share of posts that get no comment at all (when --max-comments > 0). */
export const NO_COMMENT_SHARE = 0.25;

/** The instant the generated dates count back from: FIXED_ANCHOR, or today (UTC) if the clock is behind it. */
export function resolveAnchor(now: Date = new Date()): Date {
  if (now.getTime() >= FIXED_ANCHOR.getTime()) return FIXED_ANCHOR;
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}

export interface SeedConfig {
  users: number;
  posts: number;
  maxLikes: number;
  maxComments: number;
  seed: number;
  /** The newest possible date of any row; see `resolveAnchor`. */
  anchor: Date;
}

export interface SeedUser {
  id: string;
  name: string;
  email: string;
  createdAt: Date;
}

export interface SeedPost {
  id: number;
  title: string;
  content: string;
  authorId: string;
  dateAdded: Date;
  updatedAt: Date;
}

export interface SeedLike {
  postId: number;
  userId: string;
  createdAt: Date;
}

export interface SeedComment {
  id: number;
  postId: number;
  authorId: string;
  body: string;
  dateAdded: Date;
}

/** Posts `[first.id, last.id]` with their likes and comments, in insertion (foreign-key) order. */
export interface SeedBatch {
  posts: SeedPost[];
  likes: SeedLike[];
  comments: SeedComment[];
}

// ---------------------------------------------------------------------------
// PRNG

/** murmur3's finalizer: a cheap, well-mixed 32-bit hash step. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast and good enough for demo data (not for secrets). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uint32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new RangeError("pick from an empty list");
    return item;
  }

  /** A copy of `items` in random order (Fisher-Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const a = out[i] as T;
      out[i] = out[j] as T;
      out[j] = a;
    }
    return out;
  }
}

const STREAM_USERS = 1;
const STREAM_POST = 2;
const STREAM_LIKES = 3;
const STREAM_COMMENTS = 4;

/** The PRNG of one entity: independent of every other entity's draws. */
export function streamRng(seed: number, stream: number, index: number): Rng {
  let h = fmix32(seed >>> 0);
  h = fmix32((h ^ Math.imul(stream, 0x9e3779b9)) >>> 0);
  h = fmix32((h + Math.imul(index, 0x27d4eb2f)) >>> 0);
  return new Rng(h);
}

// ---------------------------------------------------------------------------
// Text

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function pickOther(rng: Rng, items: readonly string[], not: string): string {
  if (items.length < 2) return rng.pick(items);
  for (;;) {
    const item = rng.pick(items);
    if (item !== not) return item;
  }
}

/** Fills a template's `{placeholders}` (see banks.ts) from the topic, and capitalizes the result. */
export function fillTemplate(rng: Rng, topic: Topic, template: string): string {
  let noun: string | undefined;
  let tool: string | undefined;
  const text = template.replace(/\{(\w+)\}/g, (_match, key: string) => {
    let value: string;
    switch (key.toLowerCase()) {
      case "noun":
        value = noun ??= rng.pick(topic.nouns);
        break;
      case "noun2":
        noun ??= rng.pick(topic.nouns);
        value = pickOther(rng, topic.nouns, noun);
        break;
      case "tool":
        value = tool ??= rng.pick(topic.tools);
        break;
      case "tool2":
        tool ??= rng.pick(topic.tools);
        value = pickOther(rng, topic.tools, tool);
        break;
      case "activity":
        value = topic.activity;
        break;
      case "duration":
        value = rng.pick(DURATIONS);
        break;
      case "number":
        value = String(rng.between(3, 12));
        break;
      case "link": {
        const link = rng.pick(topic.links);
        value = `[${link.text}](${link.url})`;
        break;
      }
      default:
        throw new Error(`unknown placeholder {${key}} in ${JSON.stringify(template)}`);
    }
    return key.charAt(0) === key.charAt(0).toUpperCase() ? capitalize(value) : value;
  });
  return capitalize(text);
}

/** Draws templates without repeats within one post (reshuffles only if exhausted). */
class Deck {
  private cards: string[] = [];

  constructor(
    private readonly rng: Rng,
    private readonly source: readonly string[],
  ) {}

  draw(): string {
    if (this.cards.length === 0) this.cards = this.rng.shuffled(this.source);
    return this.cards.pop() as string;
  }
}

export function generateTitle(rng: Rng, topic: Topic): string {
  let title = fillTemplate(rng, topic, rng.pick(TITLE_TEMPLATES));
  if (rng.chance(0.08)) title += rng.pick(TITLE_SUFFIXES);
  return title.slice(0, TITLE_MAX_CHARS);
}

type Block =
  | { kind: "text"; text: string }
  /** A paragraph that can grow: sentences, then a fixed last sentence (e.g. one ending with ":"). */
  | { kind: "paragraph"; sentences: string[]; tail?: string };

const MAX_SENTENCES_PER_PARAGRAPH = 5;

function renderBlock(block: Block): string {
  if (block.kind === "text") return block.text;
  const parts = block.tail === undefined ? block.sentences : [...block.sentences, block.tail];
  return parts.join(" ");
}

/**
 * A Markdown post of CONTENT_MIN_BYTES..CONTENT_MAX_BYTES: an intro with a
 * link and emphasis, sections with `##` headings, a list, a fenced code block,
 * sometimes a quote, and a closing section. A skeleton is built first, then
 * paragraphs grow sentence by sentence up to a random target size.
 */
export function generateMarkdown(rng: Rng, topic: Topic): string {
  const body = new Deck(rng, BODY_SENTENCES);
  const headings = new Deck(rng, SECTION_HEADINGS);
  const fill = (template: string) => fillTemplate(rng, topic, template);
  const paragraph = (sentences: string[], tail?: string): Block =>
    tail === undefined ? { kind: "paragraph", sentences } : { kind: "paragraph", sentences, tail };
  const text = (t: string): Extract<Block, { kind: "text" }> => ({ kind: "text", text: t });

  const intro = [fill(rng.pick(INTRO_SENTENCES)), fill(rng.pick(EMPHASIS_SENTENCES))];
  const linkSentence = fill(rng.pick(LINK_SENTENCES));
  const firstSection = [fill(body.draw())];
  (rng.chance(0.5) ? intro : firstSection).push(linkSentence);

  const listLength = rng.between(3, 5);
  const numbered = rng.chance(0.3);
  const items = rng
    .shuffled(LIST_ITEMS)
    .slice(0, listLength)
    .map((item, i) => `${numbered ? `${i + 1}.` : "-"} ${fill(item)}`);
  const snippet = rng.pick(topic.snippets);

  const blocks: Block[] = [
    paragraph(intro),
    text(`## ${fill(headings.draw())}`),
    paragraph(firstSection, rng.pick(LIST_INTROS)),
    text(items.join("\n")),
    text(`## ${fill(headings.draw())}`),
    paragraph([fill(body.draw())], rng.pick(CODE_INTROS)),
    text("```" + snippet.lang + "\n" + snippet.code + "\n```"),
    paragraph([fill(body.draw())]),
  ];
  if (rng.chance(0.3)) blocks.push(text(`> ${fill(body.draw())}`));
  const closingHeading = text(`## ${rng.pick(CLOSING_HEADINGS)}`);
  blocks.push(closingHeading, paragraph([], fill(rng.pick(CLOSING_SENTENCES))));

  // Sizes are tracked incrementally: joining 2 KB on every step would be
  // quadratic, and this runs for every one of 100k posts.
  let size = blocks.reduce((sum, block) => sum + renderBlock(block).length, 0) + 2 * (blocks.length - 1) + 1;
  const target = rng.between(CONTENT_MIN_BYTES + 100, CONTENT_MAX_BYTES - 100);
  for (let guard = 0; size < target && guard < 200; guard++) {
    const growable = blocks.filter(
      (b): b is Extract<Block, { kind: "paragraph" }> => b.kind === "paragraph" && b.sentences.length < MAX_SENTENCES_PER_PARAGRAPH,
    );
    if (growable.length === 0) {
      // Every paragraph is full: open a new section before the closing one.
      const heading = text(`## ${fill(headings.draw())}`);
      const sentence = fill(body.draw());
      const added = heading.text.length + sentence.length + 4;
      if (size + added > CONTENT_MAX_BYTES) break;
      blocks.splice(blocks.indexOf(closingHeading), 0, heading, paragraph([sentence]));
      size += added;
      continue;
    }
    const grown = rng.pick(growable);
    const sentence = fill(body.draw());
    const added = sentence.length + (grown.sentences.length > 0 || grown.tail !== undefined ? 1 : 0);
    if (size + added > CONTENT_MAX_BYTES) break;
    // Anywhere but first (an intro keeps its opening line), so paragraphs do not all end alike.
    const at = grown.sentences.length === 0 ? 0 : 1 + rng.int(grown.sentences.length);
    grown.sentences.splice(at, 0, sentence);
    size += added;
  }
  return blocks.map(renderBlock).join("\n\n") + "\n";
}

/** 1-3 sentences in the voice of a reader of a post on `topic`. */
export function generateCommentBody(rng: Rng, topic: Topic): string {
  const count = rng.between(1, 3);
  return rng
    .shuffled(COMMENT_SENTENCES)
    .slice(0, count)
    .map((s) => fillTemplate(rng, topic, s))
    .join(" ");
}

// ---------------------------------------------------------------------------
// Rows

function assertConfig(config: SeedConfig): void {
  for (const key of ["users", "posts", "maxLikes", "maxComments", "seed"] as const) {
    const value = config[key];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${key} must be a non-negative integer, got ${value}`);
  }
  if (config.users < 1) throw new RangeError("users must be at least 1");
  if (Number.isNaN(config.anchor.getTime())) throw new RangeError("anchor must be a valid date");
}

function postsStartMs(config: SeedConfig): number {
  return config.anchor.getTime() - POST_SPAN_DAYS * DAY_MS;
}

/** Demo users `demo1@example.com`...: ids and names are unique; names read like people's. */
export function generateUsers(config: SeedConfig): SeedUser[] {
  assertConfig(config);
  const rng = streamRng(config.seed, STREAM_USERS, 0);
  const start = postsStartMs(config);
  const ids = new Set<string>();
  const names = new Set<string>();
  const users: SeedUser[] = [];
  for (let n = 1; n <= config.users; n++) {
    let id: string;
    do {
      id = "u_" + rng.uint32().toString(36).padStart(7, "0") + rng.uint32().toString(36).padStart(7, "0");
    } while (ids.has(id));
    ids.add(id);

    let name = "";
    for (let attempt = 0; attempt < 12; attempt++) {
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      // After a few collisions (many users), a middle initial widens the space 26-fold.
      name = attempt < 6 ? `${first} ${last}` : `${first} ${String.fromCharCode(65 + rng.int(26))}. ${last}`;
      if (!names.has(name)) break;
    }
    names.add(name); // beyond ~260k users a duplicate can remain; harmless for a display name

    users.push({
      id,
      name,
      email: `demo${n}@example.com`,
      createdAt: new Date(start - Math.floor(rng.next() * USER_SIGNUP_SPAN_DAYS * DAY_MS)),
    });
  }
  return users;
}

function generatePost(config: SeedConfig, users: readonly SeedUser[], id: number): { post: SeedPost; topic: Topic } {
  const rng = streamRng(config.seed, STREAM_POST, id);
  const topic = rng.pick(TOPICS);
  const start = postsStartMs(config);
  const span = POST_SPAN_DAYS * DAY_MS;
  // Stratified: post i falls in the i-th of N equal slices of the span, so ids
  // grow with dates (as autoincrement ids would) and every month gets posts.
  const dateAdded = start + Math.floor(((id - 1 + rng.next()) / config.posts) * span);
  const untilAnchor = config.anchor.getTime() - dateAdded;
  const updatedAt = rng.chance(0.15) ? dateAdded + Math.floor(rng.next() * Math.min(untilAnchor, 14 * DAY_MS)) : dateAdded;
  // Skewed authorship: low-numbered users write more (demo1 is the most prolific).
  const author = users[Math.floor(Math.pow(rng.next(), 1.5) * users.length)] as SeedUser;
  const title = generateTitle(rng, topic);
  const content = generateMarkdown(rng, topic);
  return {
    post: { id, title, content, authorId: author.id, dateAdded: new Date(dateAdded), updatedAt: new Date(updatedAt) },
    topic,
  };
}

/** Distinct users (Floyd's sampling): the (post, user) pair is the primary key. */
function generateLikes(config: SeedConfig, users: readonly SeedUser[], post: SeedPost): SeedLike[] {
  const max = Math.min(config.maxLikes, users.length);
  if (max === 0) return [];
  const rng = streamRng(config.seed, STREAM_LIKES, post.id);
  if (rng.chance(NO_LIKE_SHARE)) return [];
  // Most posts get a few likes, a few get many.
  const count = Math.min(max, 1 + Math.floor(max * rng.next() ** 2));
  const chosen = new Set<number>();
  for (let j = users.length - count; j < users.length; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  const from = post.dateAdded.getTime();
  const window = config.anchor.getTime() - from;
  return [...chosen]
    .sort((a, b) => a - b)
    .map((index) => ({
      postId: post.id,
      userId: (users[index] as SeedUser).id,
      // Most likes come soon after publication.
      createdAt: new Date(from + Math.floor(window * rng.next() ** 3)),
    }));
}

function generateComments(config: SeedConfig, users: readonly SeedUser[], post: SeedPost, topic: Topic, firstId: number): SeedComment[] {
  if (config.maxComments === 0) return [];
  const rng = streamRng(config.seed, STREAM_COMMENTS, post.id);
  if (rng.chance(NO_COMMENT_SHARE)) return [];
  const count = Math.min(config.maxComments, 1 + Math.floor(config.maxComments * rng.next() ** 2));
  const from = post.dateAdded.getTime();
  const window = config.anchor.getTime() - from;
  const drafts = Array.from({ length: count }, () => ({
    authorId: rng.pick(users).id,
    body: generateCommentBody(rng, topic),
    dateAdded: from + Math.floor(window * rng.next() ** 2),
  }));
  // Within a post, ids follow dates, as they would in a live app.
  drafts.sort((a, b) => a.dateAdded - b.dateAdded);
  return drafts.map((d, i) => ({ id: firstId + i, postId: post.id, authorId: d.authorId, body: d.body, dateAdded: new Date(d.dateAdded) }));
}

/**
 * Posts 1..config.posts with their likes and comments, `batchSize` posts at a
 * time, so 100k posts (~150 MB of Markdown) never sit in memory at once.
 * Comment ids run 1..M across batches. The rows do not depend on `batchSize`.
 */
export function* generatePostBatches(config: SeedConfig, users: readonly SeedUser[], batchSize = 1000): Generator<SeedBatch> {
  assertConfig(config);
  if (users.length === 0) throw new RangeError("posts need at least one user");
  let nextCommentId = 1;
  for (let first = 1; first <= config.posts; first += batchSize) {
    const batch: SeedBatch = { posts: [], likes: [], comments: [] };
    const last = Math.min(config.posts, first + batchSize - 1);
    for (let id = first; id <= last; id++) {
      const { post, topic } = generatePost(config, users, id);
      batch.posts.push(post);
      for (const like of generateLikes(config, users, post)) batch.likes.push(like);
      const comments = generateComments(config, users, post, topic, nextCommentId);
      nextCommentId += comments.length;
      for (const comment of comments) batch.comments.push(comment);
    }
    yield batch;
  }
}

/** Everything at once: for tests and small seeds. */
export function generateAll(config: SeedConfig): { users: SeedUser[] } & SeedBatch {
  const users = generateUsers(config);
  const all: SeedBatch = { posts: [], likes: [], comments: [] };
  for (const batch of generatePostBatches(config, users)) {
    all.posts.push(...batch.posts);
    all.likes.push(...batch.likes);
    all.comments.push(...batch.comments);
  }
  return { users, ...all };
}
