// The migration tooling against the real engine, a real local PostgreSQL and
// PGlite. Every database here is created by the test (uniquely named) and
// dropped afterwards; every PGlite folder and migrations copy is a temp dir.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, checkDrift, createMigration, lockfileContent, pgliteDir } from "@/lib/db/migrate";
import { databaseUrl, dropDatabase, testServerUrl, withClient } from "@/test/databases";

const root = path.resolve(import.meta.dirname, "../..");
const schemaPath = path.join(root, "prisma", "schema.prisma");
const migrationsDir = path.join(root, "prisma", "migrations");
const TABLES = ["_prisma_migrations", "account", "comment", "like", "post", "session", "user", "verification"];
const SLOW = 120_000;

let tmp: string;
let committed: string[];
const createdDatabases: string[] = [];

/** A database name nobody else uses; dropped in afterAll. */
function uniqueDatabase(label: string): string {
  const name = `migrate_test_${label}_${process.pid}_${randomBytes(3).toString("hex")}`;
  createdDatabases.push(name);
  return name;
}

async function databaseExists(name: string): Promise<boolean> {
  return withClient(testServerUrl(), async (c) => (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1);
}

/** A copy of prisma/migrations plus extra migrations `{ folder: sql }`. */
async function migrationsCopy(label: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = path.join(tmp, `migrations-${label}`);
  await fs.cp(migrationsDir, dir, { recursive: true });
  for (const [folder, sql] of Object.entries(extra)) {
    await fs.mkdir(path.join(dir, folder));
    await fs.writeFile(path.join(dir, folder, "migration.sql"), sql);
  }
  return dir;
}

/** A copy of schema.prisma with a `bio` column added to User. */
async function schemaWithBio(): Promise<string> {
  const file = path.join(tmp, "schema-with-bio.prisma");
  const schema = await fs.readFile(schemaPath, "utf8");
  const changed = schema.replace(/(model User \{\n)/, "$1  bio           String?\n");
  expect(changed).not.toBe(schema);
  await fs.writeFile(file, changed);
  return file;
}

beforeAll(async () => {
  testServerUrl(); // throws unless the server is local
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "migrate-test-"));
  committed = (await fs.readdir(migrationsDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
});

afterAll(async () => {
  for (const name of createdDatabases) await dropDatabase(name);
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("the committed migrations", () => {
  it("exist, with Prisma's lockfile", async () => {
    expect(committed.length).toBeGreaterThan(0);
    expect(committed[0]).toMatch(/^\d{14}_init$/);
    expect(await fs.readFile(path.join(migrationsDir, "migration_lock.toml"), "utf8")).toBe(lockfileContent("postgresql"));
  });

  it("agree with schema.prisma (PGlite in memory as shadow)", { timeout: SLOW }, async () => {
    expect(await checkDrift()).toBe("");
  });

  it("agree with schema.prisma (a temporary PostgreSQL database as shadow, dropped afterwards)", { timeout: SLOW }, async () => {
    const lines: string[] = [];
    expect(await checkDrift({ shadow: { kind: "postgres", url: testServerUrl() }, log: (l) => lines.push(l) })).toBe("");
    const scratch = lines.map((l) => /^scratch database (\S+)/.exec(l)?.[1]).filter(Boolean);
    expect(scratch).toHaveLength(1); // one database serves as main and shadow
    expect(await databaseExists(scratch[0]!)).toBe(false);
  });
});

describe.each(["postgres", "pglite"] as const)("applyMigrations on %s", (kind) => {
  let target: Parameters<typeof applyMigrations>[0];
  let query: <R extends object>(sql: string) => Promise<R[]>;
  let close: () => Promise<void> = async () => {};

  beforeAll(async () => {
    if (kind === "postgres") {
      const name = uniqueDatabase("apply");
      expect(await databaseExists(name)).toBe(false);
      target = { kind, url: databaseUrl(name) };
      query = (sql) => withClient(databaseUrl(name), async (c) => (await c.query(sql)).rows);
    } else {
      const dataDir = await fs.mkdtemp(path.join(tmp, "data-"));
      target = { kind, dataDir };
      let db: PGlite | undefined;
      // Opened only after the migrations ran: PGlite allows one instance per folder.
      query = async (sql) => {
        db ??= await PGlite.create(pgliteDir(dataDir));
        return (await db.query(sql)).rows as never;
      };
      close = async () => {
        await db?.close();
        db = undefined;
      };
    }
  });

  afterEach(() => close());

  it("creates what is missing and applies every migration, then nothing the second time", { timeout: SLOW }, async () => {
    expect(await applyMigrations(target)).toEqual(committed);
    expect(await applyMigrations(target)).toEqual([]);
  });

  it("leaves the tables and the post list index", async () => {
    const tables = await query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual(TABLES);
    const [index] = await query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'post' AND indexname = 'post_dateAdded_id_idx'",
    );
    expect(index?.indexdef).toContain(`("dateAdded" DESC, id DESC)`);
  });

  it("records them as `prisma migrate deploy` does (checksum = sha256 of migration.sql)", async () => {
    const rows = await query<{ migration_name: string; checksum: string; finished: boolean; rolled_back: boolean }>(
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
         FROM _prisma_migrations ORDER BY migration_name`,
    );
    const expected = await Promise.all(
      committed.map(async (name) => ({
        migration_name: name,
        checksum: createHash("sha256")
          .update(await fs.readFile(path.join(migrationsDir, name, "migration.sql")))
          .digest("hex"),
        finished: true,
        rolled_back: false,
      })),
    );
    expect(rows).toEqual(expected);
  });

  it("applies a new migration only (with ';' inside a string literal)", { timeout: SLOW }, async () => {
    const dir = await migrationsCopy(`${kind}-more`, {
      "29990101000000_comment": `COMMENT ON TABLE "post" IS 'posts; newest first';\n`,
    });
    expect(await applyMigrations(target, { migrationsDir: dir })).toEqual(["29990101000000_comment"]);
    expect(await applyMigrations(target, { migrationsDir: dir })).toEqual([]);
    const [row] = await query<{ comment: string }>(`SELECT obj_description('"post"'::regclass, 'pg_class') AS comment`);
    expect(row?.comment).toBe("posts; newest first");
  });

  it("rolls back a failing migration, names it, and refuses to continue (P3009)", { timeout: SLOW }, async () => {
    const dir = await migrationsCopy(`${kind}-bad`, {
      "29990101000000_comment": `COMMENT ON TABLE "post" IS 'posts; newest first';\n`,
      "29990102000000_bad": `CREATE TABLE "half" ("id" INTEGER);\nSELECT 1/0;\n`,
    });
    await expect(applyMigrations(target, { migrationsDir: dir })).rejects.toThrow(
      /Migration 29990102000000_bad failed: .*division by zero/s,
    );
    const [half] = await query<{ t: string | null }>(`SELECT to_regclass('"half"')::text AS t`);
    expect(half?.t).toBeNull(); // the whole script ran in one transaction
    await close();
    await expect(applyMigrations(target, { migrationsDir: dir })).rejects.toThrow(/P3009/);
  });
});

describe("applyMigrations on postgres, concurrently", () => {
  it("creates the database once and applies each migration once (Prisma's advisory lock)", { timeout: SLOW }, async () => {
    const url = databaseUrl(uniqueDatabase("concurrent"));
    const results = await Promise.all([1, 2, 3, 4].map(() => applyMigrations({ kind: "postgres", url })));
    expect(results.flat().sort()).toEqual(committed);
    const rows = await withClient(url, async (c) => (await c.query("SELECT migration_name FROM _prisma_migrations")).rows);
    expect(rows).toHaveLength(committed.length);
  });
});

describe("drift", () => {
  it("is detected: an extra column in a copy of the schema", { timeout: SLOW }, async () => {
    const sql = await checkDrift({ schemaPath: await schemaWithBio() });
    expect(sql).toContain(`ALTER TABLE "user" ADD COLUMN     "bio" TEXT;`);
  });

  it("is resolved by createMigration, which then has nothing more to write", { timeout: SLOW }, async () => {
    const schema = await schemaWithBio();
    const dir = await migrationsCopy("create");
    const created = await createMigration("add_user_bio", { schemaPath: schema, migrationsDir: dir });
    expect(created?.name).toMatch(/^\d{14}_add_user_bio$/);
    expect(await fs.readFile(created!.file, "utf8")).toBe(created!.sql);
    expect(created!.sql).toContain(`"bio" TEXT`);
    expect(await checkDrift({ schemaPath: schema, migrationsDir: dir })).toBe("");
    expect(await createMigration("again", { schemaPath: schema, migrationsDir: dir, now: new Date(Date.now() + 60_000) })).toBeNull();
  });

  it("createMigration into an empty folder reproduces the committed init migration and lockfile", { timeout: SLOW }, async () => {
    const dir = path.join(tmp, "migrations-empty");
    const created = await createMigration("init", { migrationsDir: dir });
    const [first] = committed;
    expect(created?.sql).toBe(await fs.readFile(path.join(migrationsDir, first!, "migration.sql"), "utf8"));
    expect(await fs.readFile(path.join(dir, "migration_lock.toml"), "utf8")).toBe(lockfileContent("postgresql"));
  });

  it("rejects names that are not a folder-safe word", async () => {
    await expect(createMigration("../evil")).rejects.toThrow(/letters, digits/);
  });
});
