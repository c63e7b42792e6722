// The benchmark's databases: one per data set, on the local PostgreSQL, named
// after its parameters (blog_bench_test_p2000_s42), created and seeded with
// the test helpers (test/databases.ts: local servers only, names containing
// "test"), and KEPT after the run so the next run starts at once.
//
// A database is reused only when it carries the marker this file writes
// after a complete seed (a COMMENT ON DATABASE naming the seed arguments) and
// its row counts agree. The mixed workload writes (likes, comments, sessions);
// the marker says "writes in progress" until they are undone, so a run killed
// in between leaves a database the next run recreates instead of trusting.
import pg from "pg";
import { applyMigrations } from "@/lib/db/migrate";
import { createTestDatabase, databaseUrl, seedDatabase, testServerUrl, withClient } from "@/test/databases";
import { BENCH_COMMENT_PREFIX } from "./workload";

export interface DataSpec {
  posts: number;
  users: number;
  maxLikes: number;
  maxComments: number;
  seed: number;
}

export const DEFAULT_DATA: DataSpec = { posts: 2000, users: 200, maxLikes: 50, maxComments: 5, seed: 42 };

export interface BenchDatabase {
  name: string;
  url: string;
  spec: DataSpec;
  reused: boolean;
  /** Seconds spent creating and seeding (0 when reused). */
  seedSeconds: number;
}

const MARKER_VERSION = "cached-blog bench v1";

export function databaseName(spec: DataSpec): string {
  const base = `blog_bench_test_p${spec.posts}_s${spec.seed}`;
  const defaults = DEFAULT_DATA;
  // Only --posts is a flag today; any other difference still gets its own database.
  const extra =
    spec.users === defaults.users && spec.maxLikes === defaults.maxLikes && spec.maxComments === defaults.maxComments
      ? ""
      : `_u${spec.users}_l${spec.maxLikes}_c${spec.maxComments}`;
  return base + extra;
}

export function seedArgs(spec: DataSpec): string[] {
  return [
    "--users", String(spec.users),
    "--posts", String(spec.posts),
    "--max-likes", String(spec.maxLikes),
    "--max-comments", String(spec.maxComments),
    "--seed", String(spec.seed),
  ];
}

function marker(spec: DataSpec): string {
  return `${MARKER_VERSION}: ${seedArgs(spec).join(" ")}`;
}

/** Why an existing database cannot be reused, or null when it can. */
async function reuseProblem(name: string, spec: DataSpec): Promise<string | null> {
  const comment = await withClient(testServerUrl(), async (c) => {
    const r = await c.query<{ comment: string | null }>(
      "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
      [name],
    );
    return r.rows.length === 0 ? undefined : r.rows[0]?.comment ?? null;
  });
  if (comment === undefined) return "it does not exist yet";
  if (comment !== marker(spec)) return comment?.endsWith("(writes in progress)") ? "a previous run stopped before undoing its writes" : "it was not completed by this benchmark";
  const counts = await withClient(databaseUrl(name), async (c) => {
    const r = await c.query<{ posts: string; users: string }>(`SELECT (SELECT count(*) FROM "post") AS posts, (SELECT count(*) FROM "user") AS users`);
    return r.rows[0];
  });
  if (Number(counts?.posts) !== spec.posts || Number(counts?.users) !== spec.users) {
    return `it has ${counts?.posts} posts and ${counts?.users} users, not ${spec.posts} and ${spec.users}`;
  }
  return null;
}

async function setMarker(name: string, text: string): Promise<void> {
  // COMMENT takes a literal only; the text is ours (digits and fixed words).
  await withClient(testServerUrl(), (c) => c.query(`COMMENT ON DATABASE "${name}" IS ${pg.escapeLiteral(text)}`));
}

/** Reuses the database for `spec`, or (re)creates and seeds it. Migrations are applied either way (a no-op when current). */
export async function ensureDatabase(spec: DataSpec, log: (line: string) => void): Promise<BenchDatabase> {
  const name = databaseName(spec);
  const problem = await reuseProblem(name, spec);
  if (problem === null) {
    const url = databaseUrl(name);
    await applyMigrations({ kind: "postgres", url });
    log(`data: reusing ${name} (kept from an earlier run)`);
    return { name, url, spec, reused: true, seedSeconds: 0 };
  }
  log(`data: creating ${name} (${problem}): seeding ${seedArgs(spec).join(" ")}…`);
  const started = performance.now();
  const url = await createTestDatabase(name);
  await seedDatabase(url, seedArgs(spec));
  await withClient(url, (c) => c.query("VACUUM ANALYZE"));
  await setMarker(name, marker(spec));
  const seedSeconds = (performance.now() - started) / 1000;
  log(`data: ${name} seeded in ${seedSeconds.toFixed(1)} s`);
  return { name, url, spec, reused: false, seedSeconds };
}

/** What the load needs to know about the data: the newest post ids and the number of list pages. */
export async function describeData(db: BenchDatabase, pageSize = 20): Promise<{ newestIds: number[]; totalPages: number; idRange: [number, number] }> {
  return withClient(db.url, async (c) => {
    const ids = await c.query<{ id: number }>(`SELECT id FROM "post" ORDER BY "dateAdded" DESC, id DESC LIMIT 100`);
    const stats = await c.query<{ n: string; min: number; max: number }>(`SELECT count(*) AS n, min(id) AS min, max(id) AS max FROM "post"`);
    const row = stats.rows[0];
    const n = Number(row?.n ?? 0);
    // The seed writes ids without gaps: a random id in the range is a post (a random post is a read of the long tail).
    if (n > 0 && row!.max - row!.min + 1 !== n) throw new Error(`post ids of ${db.name} have gaps: a random id would be a 404`);
    return { newestIds: ids.rows.map((r) => r.id), totalPages: Math.max(1, Math.ceil(n / pageSize)), idRange: [row?.min ?? 1, row?.max ?? 1] };
  });
}

/** Undo for the mixed workload: the likes of these users on these posts as seeded. */
export interface WriteSnapshot {
  userIds: string[];
  postIds: number[];
  likes: { postId: number; userId: string; createdAt: Date }[];
}

/** Takes the snapshot and marks the database "writes in progress" until `undoWrites`. */
export async function beginWrites(db: BenchDatabase, emails: string[], postIds: number[]): Promise<WriteSnapshot> {
  await setMarker(db.name, `${marker(db.spec)} (writes in progress)`);
  return withClient(db.url, async (c) => {
    const users = await c.query<{ id: string }>(`SELECT id FROM "user" WHERE email = ANY($1)`, [emails]);
    const userIds = users.rows.map((r) => r.id);
    const likes = await c.query<{ postId: number; userId: string; createdAt: Date }>(
      `SELECT "postId", "userId", "createdAt" FROM "like" WHERE "userId" = ANY($1) AND "postId" = ANY($2)`,
      [userIds, postIds],
    );
    return { userIds, postIds, likes: likes.rows };
  });
}

/**
 * Puts back what the mixed workload changed: those users' likes on those
 * posts as snapshotted, no benchmark comments, no sessions (the seed creates
 * none); then the database is marked complete again.
 */
export async function undoWrites(db: BenchDatabase, snapshot: WriteSnapshot): Promise<void> {
  await withClient(db.url, async (c) => {
    await c.query("BEGIN");
    await c.query(`DELETE FROM "like" WHERE "userId" = ANY($1) AND "postId" = ANY($2)`, [snapshot.userIds, snapshot.postIds]);
    for (const like of snapshot.likes) {
      await c.query(`INSERT INTO "like" ("postId", "userId", "createdAt") VALUES ($1, $2, $3)`, [like.postId, like.userId, like.createdAt]);
    }
    await c.query(`DELETE FROM "comment" WHERE "authorId" = ANY($1) AND starts_with(body, $2)`, [snapshot.userIds, BENCH_COMMENT_PREFIX]);
    await c.query(`DELETE FROM "session" WHERE "userId" = ANY($1)`, [snapshot.userIds]);
    await c.query("COMMIT");
  });
  await setMarker(db.name, marker(db.spec));
}
