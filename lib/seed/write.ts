import type { Db } from "@/lib/db/client";
import {
  generatePostBatches,
  generateUsers,
  type SeedComment,
  type SeedConfig,
  type SeedLike,
  type SeedPost,
  type SeedUser,
} from "./generate";
import { hashDemoPassword } from "./password";

/** What the writer needs of a Prisma client or of its transaction client. */
interface Sql {
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
}

export interface SeedCounts {
  users: number;
  accounts: number;
  posts: number;
  likes: number;
  comments: number;
}

export interface SeedProgress {
  /** Users (and their accounts) first, then posts with their likes and comments. */
  phase: "users" | "posts";
  done: number;
  total: number;
  counts: Readonly<SeedCounts>;
}

export interface WriteSeedOptions {
  /** Empty every auth and blog table first (TRUNCATE ... RESTART IDENTITY CASCADE). */
  reset?: boolean;
  /** On a database that has users or posts: skip (resolve `{ seeded: false }`) instead of throwing. */
  ifEmpty?: boolean;
  /** better-auth hash of the demo password; hashed here (once) when omitted. */
  passwordHash?: string;
  onProgress?: (progress: SeedProgress) => void;
  /** Posts generated per step, and rows per INSERT into post; default 250. */
  postBatchSize?: number;
}

export type SeedOutcome = { seeded: true; counts: SeedCounts; durationMs: number } | { seeded: false };

/** Thrown when the database already has users or posts and neither `reset` nor `ifEmpty` was asked for. */
export class DatabaseNotEmptyError extends Error {
  override name = "DatabaseNotEmptyError";
  constructor() {
    super("the database already has users or posts");
  }
}

/**
 * Rows per INSERT. Each column travels as ONE array parameter and is expanded
 * by `unnest`, so a statement has a handful of parameters whatever its row
 * count (no 65,535-parameter limit, no per-row round trip), and chunks keep
 * each statement's payload to a few MB.
 */
const USER_CHUNK = 5_000;
const POST_BATCH = 250;
const PREFETCH_BATCHES = 8;
const LIKE_CHUNK = 20_000;
const COMMENT_CHUNK = 10_000;

/** Serializes seeders (e.g. two app replicas starting with --if-empty): 0x5EED. */
const SEED_LOCK_KEY = 0x5eed;

/** A transaction may take long on big seeds; Prisma's default would abort it after 5 s. */
const TRANSACTION_TIMEOUT_MS = 60 * 60_000;

const iso = (d: Date) => d.toISOString();

const INSERT_USERS = `
  INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt")
  SELECT u.id, u.name, u.email, true, u.at, u.at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS u(id, name, email, at)`;

// better-auth's email/password sign-in reads the "credential" account whose
// accountId is the user id (as its sign-up writes it).
const INSERT_ACCOUNTS = `
  INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
  SELECT a.id, a.uid, 'credential', a.uid, $3, a.at, a.at
  FROM unnest($1::text[], $2::text[], $4::timestamptz[]) AS a(id, uid, at)`;

const INSERT_POSTS = `
  INSERT INTO "post" ("id", "title", "content", "authorId", "dateAdded", "updatedAt")
  SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])`;

const INSERT_LIKES = `
  INSERT INTO "like" ("postId", "userId", "createdAt")
  SELECT * FROM unnest($1::int[], $2::text[], $3::timestamptz[])`;

const INSERT_COMMENTS = `
  INSERT INTO "comment" ("id", "postId", "authorId", "body", "dateAdded")
  SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::timestamptz[])`;

async function insertUsers(sql: Sql, users: SeedUser[], passwordHash: string): Promise<void> {
  const ids = users.map((u) => u.id);
  const at = users.map((u) => iso(u.createdAt));
  await sql.$executeRawUnsafe(INSERT_USERS, ids, users.map((u) => u.name), users.map((u) => u.email), at);
  // Account ids mirror user ids ("u_x" -> "a_x"): deterministic, and unique because user ids are.
  await sql.$executeRawUnsafe(INSERT_ACCOUNTS, ids.map((id) => "a_" + id.slice(2)), ids, passwordHash, at);
}

function insertPosts(sql: Sql, posts: SeedPost[]): PromiseLike<number> {
  return sql.$executeRawUnsafe(
    INSERT_POSTS,
    posts.map((p) => p.id),
    posts.map((p) => p.title),
    posts.map((p) => p.content),
    posts.map((p) => p.authorId),
    posts.map((p) => iso(p.dateAdded)),
    posts.map((p) => iso(p.updatedAt)),
  );
}

function insertLikes(sql: Sql, likes: SeedLike[]): PromiseLike<number> {
  return sql.$executeRawUnsafe(
    INSERT_LIKES,
    likes.map((l) => l.postId),
    likes.map((l) => l.userId),
    likes.map((l) => iso(l.createdAt)),
  );
}

function insertComments(sql: Sql, comments: SeedComment[]): PromiseLike<number> {
  return sql.$executeRawUnsafe(
    INSERT_COMMENTS,
    comments.map((c) => c.id),
    comments.map((c) => c.postId),
    comments.map((c) => c.authorId),
    comments.map((c) => c.body),
    comments.map((c) => iso(c.dateAdded)),
  );
}

/**
 * Iterates a CPU-bound synchronous `source` a few items ahead of the consumer,
 * one item per event-loop turn: generating the next posts then overlaps with
 * the database working on the previous INSERT (the seed is otherwise
 * half idle, half busy generating).
 */
async function* prefetch<T>(source: Iterable<T>, ahead: number): AsyncGenerator<T> {
  const iterator = source[Symbol.iterator]();
  const buffer: T[] = [];
  let finished = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  const produce = async () => {
    try {
      while (!stopped) {
        if (buffer.length >= ahead) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
          continue;
        }
        await nextTurn(); // let I/O callbacks (query results) run between items
        if (stopped) break;
        const next = iterator.next();
        if (next.done) break;
        buffer.push(next.value);
        wakeConsumer?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wakeConsumer?.();
    }
  };
  void produce();

  try {
    for (;;) {
      const item = buffer.shift();
      if (item !== undefined) {
        wakeProducer?.();
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    stopped = true; // the consumer failed or returned early: let the producer end
    wakeProducer?.();
  }
}

/** Whether the blog has users or posts (likes and comments cannot exist without both). */
export async function hasBlogData(sql: Sql): Promise<boolean> {
  const rows = await sql.$queryRawUnsafe<{ hasData: boolean }[]>(
    `SELECT (EXISTS (SELECT 1 FROM "user") OR EXISTS (SELECT 1 FROM "post")) AS "hasData"`,
  );
  return rows[0]?.hasData === true;
}

/**
 * Writes the demo data of `config` into a migrated database, in ONE
 * transaction: a failed or interrupted seed leaves nothing behind (so a later
 * `--if-empty` start does not mistake half a seed for data).
 *
 * Post and comment ids are explicit (1..N, 1..M) so rows are identical
 * between runs; the id sequences are then moved past them so rows the app
 * creates later get fresh ids. Ends with VACUUM (ANALYZE) so the planner
 * knows the new row counts before the first request.
 */
export async function seedDatabase(db: Db, config: SeedConfig, options: WriteSeedOptions = {}): Promise<SeedOutcome> {
  const started = performance.now();
  const counts: SeedCounts = { users: 0, accounts: 0, posts: 0, likes: 0, comments: 0 };
  const report = (phase: SeedProgress["phase"], done: number, total: number) =>
    options.onProgress?.({ phase, done, total, counts });

  const seeded = await db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${SEED_LOCK_KEY})`);
      if (options.reset) {
        await tx.$executeRawUnsafe(
          `TRUNCATE TABLE "user", "post", "like", "comment", "account", "session", "verification" RESTART IDENTITY CASCADE`,
        );
      } else if (await hasBlogData(tx)) {
        if (options.ifEmpty) return false;
        throw new DatabaseNotEmptyError();
      }
      // Hashed only now: an app start with --if-empty on a seeded database
      // should not pay for scrypt.
      const passwordHash = options.passwordHash ?? (await hashDemoPassword());

      const users = generateUsers(config);
      report("users", 0, users.length);
      for (let i = 0; i < users.length; i += USER_CHUNK) {
        const chunk = users.slice(i, i + USER_CHUNK);
        await insertUsers(tx, chunk, passwordHash);
        counts.users += chunk.length;
        counts.accounts += chunk.length;
        report("users", counts.users, users.length);
      }

      // Likes and comments are buffered across post batches and written in
      // chunks of their own size; their posts are always written before them.
      const likes: SeedLike[] = [];
      const comments: SeedComment[] = [];
      const flushLikes = async (all: boolean) => {
        while (likes.length >= LIKE_CHUNK || (all && likes.length > 0)) {
          const chunk = likes.splice(0, LIKE_CHUNK);
          await insertLikes(tx, chunk);
          counts.likes += chunk.length;
        }
      };
      const flushComments = async (all: boolean) => {
        while (comments.length >= COMMENT_CHUNK || (all && comments.length > 0)) {
          const chunk = comments.splice(0, COMMENT_CHUNK);
          await insertComments(tx, chunk);
          counts.comments += chunk.length;
        }
      };

      report("posts", 0, config.posts);
      for await (const batch of prefetch(generatePostBatches(config, users, options.postBatchSize ?? POST_BATCH), PREFETCH_BATCHES)) {
        await insertPosts(tx, batch.posts);
        counts.posts += batch.posts.length;
        for (const like of batch.likes) likes.push(like);
        for (const comment of batch.comments) comments.push(comment);
        await flushLikes(false);
        await flushComments(false);
        report("posts", counts.posts, config.posts);
      }
      await flushLikes(true);
      await flushComments(true);
      report("posts", counts.posts, config.posts);

      for (const table of ["post", "comment"]) {
        await tx.$executeRawUnsafe(
          `SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), COALESCE(MAX("id"), 0) + 1, false) FROM "${table}"`,
        );
      }
      return true;
    },
    { timeout: TRANSACTION_TIMEOUT_MS, maxWait: 60_000 },
  );
  if (!seeded) return { seeded: false };

  // VACUUM as well as ANALYZE: it sets the visibility map, without which the
  // index-only scans (like counts) visit the heap for every row until
  // autovacuum happens to get there. Cannot run inside the transaction.
  await db.$executeRawUnsafe(`VACUUM (ANALYZE) "user", "account", "post", "like", "comment"`);
  return { seeded: true, counts, durationMs: performance.now() - started };
}
