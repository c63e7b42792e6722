// The writer against a real (embedded) PostgreSQL: PGlite in a temporary
// folder, migrated like the app's. The PostgreSQL path is exercised by every
// test run, whose global setup seeds its database with scripts/seed.ts.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { verifyPassword } from "better-auth/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type Db } from "@/lib/db/client";
import { applyMigrations } from "@/lib/db/migrate";
import { FIXED_ANCHOR, generateAll, type SeedConfig } from "./generate";
import { DEMO_PASSWORD, hashDemoPassword } from "./password";
import { DatabaseNotEmptyError, seedDatabase, type SeedProgress } from "./write";

const config: SeedConfig = { users: 12, posts: 45, maxLikes: 10, maxComments: 4, seed: 7, anchor: FIXED_ANCHOR };
const expected = generateAll(config);

let dataDir: string;
let db: Db;
let passwordHash: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "seed-test-"));
  await applyMigrations({ kind: "pglite", dataDir });
  db = createClient({ dataDir });
  passwordHash = await hashDemoPassword();
}, 120_000);

afterAll(async () => {
  await db?.$disconnect();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

/** A digest of every seeded row (not the salted password hash). */
async function digest(): Promise<string> {
  const rows = await db.$queryRawUnsafe<{ digest: string }[]>(`
    SELECT md5(string_agg(t, '|' ORDER BY t)) AS digest FROM (
      SELECT md5(u::text) AS t FROM (SELECT id, name, email, "emailVerified", "createdAt", "updatedAt" FROM "user") u
      UNION ALL SELECT md5(a::text) FROM (SELECT id, "accountId", "providerId", "userId", "createdAt", "updatedAt" FROM account) a
      UNION ALL SELECT md5(p::text) FROM post p
      UNION ALL SELECT md5(l::text) FROM "like" l
      UNION ALL SELECT md5(c::text) FROM comment c) s`);
  return rows[0]?.digest ?? "";
}

describe("seedDatabase (PGlite)", () => {
  let firstDigest = "";

  it("writes exactly the generated rows and reports progress", async () => {
    const progress: SeedProgress[] = [];
    const outcome = await seedDatabase(db, config, { passwordHash, postBatchSize: 10, onProgress: (p) => progress.push({ ...p }) });
    expect(outcome).toMatchObject({
      seeded: true,
      counts: { users: 12, accounts: 12, posts: 45, likes: expected.likes.length, comments: expected.comments.length },
    });
    expect(progress.at(-1)).toMatchObject({ phase: "posts", done: 45, total: 45 });

    const posts = await db.$queryRawUnsafe<unknown[]>(
      `SELECT id, title, content, "authorId", "dateAdded", "updatedAt" FROM post ORDER BY id`,
    );
    expect(posts).toEqual(expected.posts);
    const likes = await db.$queryRawUnsafe<unknown[]>(`SELECT "postId", "userId", "createdAt" FROM "like"`);
    expect(likes).toHaveLength(expected.likes.length);
    expect(likes).toEqual(expect.arrayContaining(expected.likes));
    const comments = await db.$queryRawUnsafe<unknown[]>(
      `SELECT id, "postId", "authorId", body, "dateAdded" FROM comment ORDER BY id`,
    );
    expect(comments).toEqual(expected.comments);
    const users = await db.$queryRawUnsafe<unknown[]>(
      `SELECT id, name, email, "createdAt" FROM "user" ORDER BY "createdAt", id`,
    );
    expect(users).toEqual(expect.arrayContaining(expected.users));
    firstDigest = await digest();
  });

  it("gives every user a better-auth credential account with the demo password", async () => {
    const accounts = await db.$queryRawUnsafe<{ userId: string; accountId: string; providerId: string; password: string }[]>(
      `SELECT "userId", "accountId", "providerId", password FROM account`,
    );
    expect(accounts).toHaveLength(config.users);
    for (const account of accounts) {
      expect(account).toMatchObject({ providerId: "credential", accountId: account.userId });
    }
    const hash = accounts[0]?.password ?? "";
    expect(await verifyPassword({ hash, password: DEMO_PASSWORD })).toBe(true);
    expect(await verifyPassword({ hash, password: "wrong-password" })).toBe(false);
  });

  it("moves the id sequences past the seeded ids", async () => {
    const author = expected.users[0]?.id;
    const [post] = await db.$queryRawUnsafe<{ id: number }[]>(
      `INSERT INTO post (title, content, "authorId", "updatedAt") VALUES ('new', 'new', $1, now()) RETURNING id`,
      author,
    );
    expect(post?.id).toBe(config.posts + 1);
    const [comment] = await db.$queryRawUnsafe<{ id: number }[]>(
      `INSERT INTO comment ("postId", "authorId", body) VALUES (1, $1, 'new') RETURNING id`,
      author,
    );
    expect(comment?.id).toBe(expected.comments.length + 1);
  });

  it("refuses a database that has data, or skips it with ifEmpty", async () => {
    await expect(seedDatabase(db, config, { passwordHash })).rejects.toThrow(DatabaseNotEmptyError);
    await expect(seedDatabase(db, config, { passwordHash, ifEmpty: true })).resolves.toEqual({ seeded: false });
  });

  it("writes the same rows again after a reset", async () => {
    await seedDatabase(db, config, { passwordHash, reset: true });
    expect(await digest()).toBe(firstDigest);
    const [count] = await db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM post`);
    expect(count?.n).toBe(config.posts);
  });
});
