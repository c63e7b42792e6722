/**
 * Migrations without Prisma's native schema engine (see
 * docs/decisions/001-offline-migrations.md).
 *
 * `prisma migrate …` needs a native binary that cannot be downloaded here, so
 * this module drives the WASM build of the same schema engine
 * (@prisma/schema-engine-wasm) through a driver adapter. The engine reads the
 * same `prisma/migrations` folder and writes the same `_prisma_migrations`
 * table as `prisma migrate deploy`, so both tools agree on what is applied.
 *
 * No `import "server-only"`: scripts and tests import this module. Only
 * `applyMigrations` is meant to run in the app (on start); `checkDrift` and
 * `createMigration` are developer tools.
 *
 * The engine's API is internal to Prisma and changes between releases: every
 * Prisma package is pinned exactly in package.json, and the tests in
 * migrate.test.ts are the canary when one of them is upgraded.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type Transaction,
} from "@prisma/driver-adapter-utils";
import type * as SchemaEngineBg from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";

/** Where migrations are applied. */
export type MigrationTarget =
  | { kind: "postgres"; url: string }
  /** `dataDir` is the app's DATA_DIR; the database lives in `pgliteDir(dataDir)`. */
  | { kind: "pglite"; dataDir: string };

/**
 * The scratch database the engine replays the migrations into to learn what
 * they produce. Default: PGlite in memory (no server needed). `postgres`
 * creates a uniquely named database on that server (the URL only says which
 * server and how to log in; its own database is used to CREATE/DROP the
 * scratch one) and drops it afterwards.
 */
export type ShadowDatabase = { kind: "pglite" } | { kind: "postgres"; url: string };

export interface MigrationPaths {
  /** Default: `prisma/schema.prisma` under the current directory. */
  schemaPath?: string;
  /** Default: `prisma/migrations` under the current directory. */
  migrationsDir?: string;
}

export interface ApplyOptions {
  migrationsDir?: string;
  /** Receives the engine's log lines (JSON) and our own notes. */
  log?: (line: string) => void;
}

export interface DiffOptions extends MigrationPaths {
  shadow?: ShadowDatabase;
  log?: (line: string) => void;
}

export interface CreateOptions extends DiffOptions {
  /** The folder's timestamp (default: now). */
  now?: Date;
}

export interface CreatedMigration {
  /** `<YYYYMMDDHHMMSS>_<name>`, the folder name and the `_prisma_migrations` key. */
  name: string;
  /** Absolute path of the new `migration.sql`. */
  file: string;
  sql: string;
}

/** A failure of the migration tooling, with the engine's message when it gave one. */
export class MigrationError extends Error {
  override name = "MigrationError";
}

/**
 * Where the embedded database lives when DATABASE_URL is unset. Same as
 * `pgliteDir` in lib/db/client.ts, duplicated because that module imports
 * "server-only" and this one must load in scripts and tests.
 */
export function pgliteDir(dataDir: string): string {
  return path.resolve(dataDir, "pglite");
}

export function defaultSchemaPath(): string {
  return path.resolve("prisma", "schema.prisma");
}

export function defaultMigrationsDir(): string {
  return path.resolve("prisma", "migrations");
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Applies the migrations in `prisma/migrations` that the target has not
 * recorded in `_prisma_migrations`, in folder-name order, and returns their
 * names (empty when there was nothing to do). Safe to call on every start.
 *
 * For PostgreSQL, the database named in the URL is created when it does not
 * exist (through the server's `postgres` database). Concurrent callers are
 * safe: the engine holds Prisma's advisory lock while it migrates.
 *
 * When every migration is already recorded as finished, this is one
 * connection and one SELECT (~40 ms on PostgreSQL): the 5 MB WASM engine, its
 * lock and its introspection (~150 ms more in a fresh process) are only used
 * when something is pending or failed. On PGlite, opening the folder
 * dominates (~0.6 s warm, ~1.2 s in a fresh process; a new folder runs initdb,
 * ~3-4 s); the folder must not be open in another process meanwhile (PGlite
 * has no cross-process lock), so run this before the app opens it.
 */
export async function applyMigrations(target: MigrationTarget, options: ApplyOptions = {}): Promise<string[]> {
  const migrationsDir = path.resolve(options.migrationsDir ?? defaultMigrationsDir());
  const list = await readMigrationsList(migrationsDir);
  const names = list.migrationDirectories.map((d) => d.path);
  return target.kind === "postgres"
    ? applyToPostgres(target.url, list, names, options.log)
    : applyToPglite(target.dataDir, list, names, options.log);
}

/**
 * Compares the schema with what the migrations produce and returns the SQL
 * that would bring the migrations up to the schema; `""` means they agree.
 * Replays the migrations into a scratch database (PGlite in memory by default);
 * never touches the app's database.
 */
export async function checkDrift(options: DiffOptions = {}): Promise<string> {
  const schema = await readSchema(options.schemaPath);
  const list = await readMigrationsList(path.resolve(options.migrationsDir ?? defaultMigrationsDir()));
  // The engine takes the connector from the lockfile; before the first
  // migration there is none (createMigration writes it).
  list.lockfile.content ??= lockfileContent("postgresql");
  const factory = scratchFactory(options.shadow);
  try {
    return await withEngine(factory, schema, options.log, async (engine) => {
      const result = await engine.diff({
        from: { tag: "migrations", ...list },
        to: { tag: "schemaDatamodel", files: [schema] },
        script: true,
        exitCode: null,
        filters: NO_FILTERS,
      });
      return normalizeScript(result.stdout ?? "");
    });
  } finally {
    await factory.close();
  }
}

/**
 * Writes `<migrationsDir>/<YYYYMMDDHHMMSS>_<name>/migration.sql` with the SQL
 * that takes the migrations to the schema (and `migration_lock.toml` when it
 * is missing). Returns `null`, writing nothing, when they already agree.
 */
export async function createMigration(name: string, options: CreateOptions = {}): Promise<CreatedMigration | null> {
  if (!/^[A-Za-z0-9_]{1,200}$/.test(name)) {
    throw new MigrationError(`Migration name must be letters, digits and '_' (got ${JSON.stringify(name)})`);
  }
  const migrationsDir = path.resolve(options.migrationsDir ?? defaultMigrationsDir());
  // Not the engine's `createMigration`: in the WASM build it replays the history
  // on the main connection and refuses ("PostgreSQL shadow DB must be provided
  // through an external factory"); only `diff` uses the adapter's shadow
  // database. Same SQL, minus the data-loss warning comments `migrate dev` adds.
  const sql = await checkDrift({ ...options, migrationsDir });
  if (sql === "") return null;

  const migrationName = `${migrationTimestamp(options.now ?? new Date())}_${name}`;
  const existing = (await readMigrationsList(migrationsDir)).migrationDirectories.map((d) => d.path);
  const last = existing.at(-1);
  if (last !== undefined && last.localeCompare(migrationName) >= 0) {
    throw new MigrationError(`${migrationName} would not sort after the last migration ${last}; check the clock`);
  }
  const dir = path.join(migrationsDir, migrationName);
  const file = path.join(dir, "migration.sql");
  await fs.mkdir(migrationsDir, { recursive: true });
  await fs.mkdir(dir); // fails if it exists, like the CLI
  await fs.writeFile(file, sql, "utf8");
  // Like the CLI: the lockfile is written with the first migration.
  const lockfile = path.join(migrationsDir, "migration_lock.toml");
  await fs.access(lockfile).catch(() => fs.writeFile(lockfile, lockfileContent("postgresql"), "utf8"));
  return { name: migrationName, file, sql };
}

/** `YYYYMMDDHHMMSS` in UTC, as Prisma names migration folders. */
function migrationTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** `migration_lock.toml` exactly as `prisma migrate dev` writes it. */
export function lockfileContent(provider: string): string {
  return (
    "# Please do not edit this file manually\n" +
    "# It should be added in your version-control system (e.g., Git)\n" +
    `provider = "${provider}"\n`
  );
}

// ---------------------------------------------------------------------------
// Applying
// ---------------------------------------------------------------------------

async function applyToPostgres(
  url: string,
  list: MigrationList,
  names: string[],
  log: ((line: string) => void) | undefined,
): Promise<string[]> {
  const client = await connectCreatingDatabase(url, log);
  try {
    if (isUpToDate(await readAppliedRows((sql) => client.query(sql).then((r) => r.rows)), names)) return [];
  } finally {
    await client.end();
  }
  const factory = new PgFactory(url, url);
  try {
    return await withEngine(factory, undefined, log, async (engine) => {
      const out = await engine.applyMigrations({ migrationsList: list, filters: NO_FILTERS });
      return out.appliedMigrationNames;
    });
  } finally {
    await factory.close();
  }
}

async function applyToPglite(
  dataDir: string,
  list: MigrationList,
  names: string[],
  log: ((line: string) => void) | undefined,
): Promise<string[]> {
  const dir = pgliteDir(dataDir);
  await fs.mkdir(dir, { recursive: true });
  const { PGlite } = await loadPglite();
  const db = await PGlite.create(dir);
  try {
    if (isUpToDate(await readAppliedRows(async (sql) => (await db.query<AppliedRow>(sql)).rows), names)) return [];
    const factory = new PgliteFactory(db);
    try {
      return await withEngine(factory, undefined, log, async (engine) => {
        const out = await engine.applyMigrations({ migrationsList: list, filters: NO_FILTERS });
        return out.appliedMigrationNames;
      });
    } finally {
      await factory.close();
    }
  } finally {
    await db.close();
  }
}

interface AppliedRow {
  migration_name: string;
  finished: boolean;
  rolled_back: boolean;
}

const APPLIED_SQL = `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
  FROM _prisma_migrations`;

/** `null` when the table does not exist yet (a fresh database). */
async function readAppliedRows(query: (sql: string) => Promise<unknown[]>): Promise<AppliedRow[] | null> {
  try {
    return (await query(APPLIED_SQL)) as AppliedRow[];
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return null; // undefined_table
    throw error;
  }
}

/**
 * The fast path: true only when every local migration is recorded as finished
 * and nothing is in a failed state. Anything else (pending, failed, a table
 * that does not exist) goes to the engine, which gives the authoritative
 * answer and the proper error (e.g. P3009 for a failed migration). Like
 * `migrate deploy`, neither checks the checksums of applied migrations.
 */
function isUpToDate(rows: AppliedRow[] | null, names: string[]): boolean {
  if (rows === null) return names.length === 0;
  if (rows.some((r) => !r.finished && !r.rolled_back)) return false;
  const done = new Set(rows.filter((r) => r.finished && !r.rolled_back).map((r) => r.migration_name));
  return names.every((n) => done.has(n));
}

/**
 * Connects to the URL's database, creating it first when the server says it
 * does not exist (3D000), so a fresh machine only needs a running server.
 */
async function connectCreatingDatabase(url: string, log: ((line: string) => void) | undefined): Promise<pg.Client> {
  const first = new pg.Client({ connectionString: url });
  try {
    await first.connect();
    return first;
  } catch (error) {
    await first.end().catch(() => {});
    if ((error as { code?: string }).code !== "3D000") throw error;
  }
  const name = databaseName(url);
  const admin = new pg.Client({ connectionString: withDatabase(url, "postgres") });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    log?.(`created database ${name}`);
  } catch (error) {
    // Another process created it meanwhile: fine. (A concurrent CREATE DATABASE
    // fails with a unique violation on pg_database rather than 42P04.)
    const code = (error as { code?: string }).code;
    if (code !== "42P04" && code !== "23505") throw error;
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

// ---------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------

type EngineModule = typeof SchemaEngineBg;

const NO_FILTERS = { externalTables: [], externalEnums: [] };

let engineModule: Promise<EngineModule> | undefined;

/**
 * The package targets bundlers (`import * as wasm from "./x.wasm"`), which
 * Node cannot do: instantiate the module by hand, once per process.
 */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const bg = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const require = createRequire(import.meta.url);
    const jsFile = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await fs.readFile(path.join(path.dirname(jsFile), "schema_engine_bg.wasm"));
    const compiled = await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(compiled, { "./schema_engine_bg.js": bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bg;
  })();
  engineModule.catch(() => {
    engineModule = undefined;
  });
  return engineModule;
}

async function withEngine<T>(
  factory: ClosableFactory,
  schema: { path: string; content: string } | undefined,
  log: ((line: string) => void) | undefined,
  run: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  factory.log = log;
  const lines: string[] = [];
  const onLog = (line: string) => {
    lines.push(line);
    if (lines.length > 50) lines.shift();
    log?.(line);
  };
  let engine: SchemaEngine;
  try {
    engine = await SchemaEngine.new(
      { datamodels: schema ? [[schema.path, schema.content]] : undefined },
      onLog,
      bindMigrationAwareSqlAdapterFactory(factory),
    );
  } catch (error) {
    throw new MigrationError(`Could not start the schema engine: ${engineMessage(error)}`, { cause: error });
  }
  try {
    return await run(engine);
  } catch (error) {
    // The error from a failing script does not say which migration it was; the log does.
    const applying = lines.map((l) => /"message":"Applying `([^`]+)`"/.exec(l)?.[1]).filter(Boolean).at(-1);
    const prefix = applying ? `Migration ${applying} failed: ` : "";
    throw new MigrationError(prefix + engineMessage(error), { cause: error });
  } finally {
    engine.free();
  }
}

/**
 * The engine rejects with an Error whose `code` is Prisma's (e.g. P3009) when
 * it has one, and whose message ends with a span trace ("   0: schema_…"):
 * keep the code and the message, drop the trace.
 */
function engineMessage(error: unknown): string {
  if (!(error instanceof Error)) return typeof error === "string" ? error : JSON.stringify(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message.split(/\n\s+0: /)[0]!.trim();
  return typeof code === "string" ? `${code}: ${message}` : message;
}

// ---------------------------------------------------------------------------
// Driver adapter factories for the engine
// ---------------------------------------------------------------------------

interface ClosableFactory extends SqlMigrationAwareDriverAdapterFactory {
  log: ((line: string) => void) | undefined;
  /** Disposes every connection and scratch database this factory opened. */
  close(): Promise<void>;
}

/**
 * Tracks what it opens so `close()` can release it: the engine's `free()`
 * does not await the adapters' `dispose()`, and a pool left open keeps the
 * process (and a DROP DATABASE) waiting.
 */
abstract class TrackingFactory implements ClosableFactory {
  readonly provider = "postgres";
  abstract readonly adapterName: string;
  private readonly cleanups: Array<() => Promise<void>> = [];

  abstract connect(): Promise<SqlDriverAdapter>;
  abstract connectToShadowDb(): Promise<SqlDriverAdapter>;

  /** Receives every statement the engine sends, with its duration. */
  log: ((line: string) => void) | undefined = undefined;

  /** `cleanup` (the adapter's own dispose, bound beforehand) runs once, on dispose or on `close()`. */
  protected track(adapter: SqlDriverAdapter, cleanup: () => Promise<void>): SqlDriverAdapter {
    adapter.dispose = this.onClose(cleanup);
    if (this.log) logStatements(adapter, this.log);
    return adapter;
  }

  /** Runs `cleanup` at most once, at the latest on `close()`; later registrations run first. */
  protected onClose(cleanup: () => Promise<void>): () => Promise<void> {
    let done: Promise<void> | undefined;
    const once = () => (done ??= cleanup());
    this.cleanups.push(once);
    return once;
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    // Last opened first: scratch databases before the connection that made them.
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      await cleanup().catch((e: unknown) => errors.push(e));
    }
    if (errors.length > 0) throw new MigrationError(`Cleanup failed: ${errors.map(engineMessage).join("; ")}`);
  }
}

/**
 * @prisma/adapter-pg (7.10.0, pinned with the rest of Prisma) for the engine, with its problems fixed:
 * - introspection reads catalog columns of Postgres' internal `"char"` and
 *   `name` types, which the adapter refuses ("Column type 'char' could not be
 *   deserialized"): `patchPgAdapter` relabels them as text;
 * - its `executeScript` splits on every `;` and runs the pieces one by one:
 *   `patchPgAdapter` sends the whole script as one simple query, as the
 *   native engine does (atomic, and a `;` inside a string or body is safe);
 * - its `connectToShadowDb` reuses the main database when given a connection
 *   string and drops the shadow before closing its pool: ours creates a
 *   uniquely named database and, on close, ends the pools before
 *   `DROP DATABASE … WITH (FORCE)`.
 * One connection per pool: the engine was written for a single connection
 * (its `pg_advisory_lock` must be held by the session that migrates).
 *
 * `main` undefined: one scratch database serves as main and shadow (the
 * engine only reads the main connection for `url` targets and empties the
 * shadow before replaying the migrations), so a drift check costs one
 * CREATE DATABASE.
 */
class PgFactory extends TrackingFactory {
  readonly adapterName = "@prisma/adapter-pg";
  private scratch: Promise<string> | undefined;

  constructor(
    /** Any database on the server; scratch databases are created through its `postgres` database. */
    private readonly serverUrl: string,
    private readonly main?: string,
  ) {
    super();
  }

  async connect(): Promise<SqlDriverAdapter> {
    return this.open(this.main ?? (await this.scratchUrl()));
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    return this.open(await this.scratchUrl());
  }

  private scratchUrl(): Promise<string> {
    this.scratch ??= (async () => {
      const name = `prisma_shadow_${Date.now()}_${randomUUID().slice(0, 8)}`;
      await adminQuery(this.serverUrl, `CREATE DATABASE ${quoteIdent(name)}`);
      this.log?.(`scratch database ${name}`);
      // Registered before the pools opened on it, so it runs after they are closed.
      this.onClose(() => adminQuery(this.serverUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
      return withDatabase(this.serverUrl, name);
    })();
    return this.scratch;
  }

  private async open(url: string): Promise<SqlDriverAdapter> {
    const adapter = patchPgAdapter(await new PrismaPg({ connectionString: url, max: 1 }).connect());
    return this.track(adapter, adapter.dispose.bind(adapter));
  }
}

/**
 * pglite-prisma-adapter (0.7.2) for the engine. Its own `connectToShadowDb`
 * opens a PGlite it never closes; ours closes it. `main` undefined: one
 * in-memory PGlite serves as main and shadow (as above), which matters more
 * here: creating one costs ~3 s (it runs initdb).
 */
class PgliteFactory extends TrackingFactory {
  readonly adapterName = "@prisma/adapter-pglite";
  private scratch: Promise<PGlite> | undefined;

  /** The caller owns `main` and closes it. */
  constructor(private readonly main?: PGlite) {
    super();
  }

  async connect(): Promise<SqlDriverAdapter> {
    return this.open(this.main ?? (await this.scratchDb()));
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    return this.open(await this.scratchDb());
  }

  private scratchDb(): Promise<PGlite> {
    if (!this.scratch) {
      const created = loadPglite().then(({ PGlite }) => PGlite.create());
      this.scratch = created;
      this.onClose(() => created.then((db) => db.close(), () => {}));
    }
    return this.scratch;
  }

  private async open(db: PGlite): Promise<SqlDriverAdapter> {
    const { PrismaPGlite } = await loadPglite();
    const adapter = patchPgliteAdapter(await new PrismaPGlite(db).connect(), db);
    return this.track(adapter, adapter.dispose.bind(adapter));
  }
}

/** PGlite takes ~0.35 s to import: loaded only when used, so a PostgreSQL start does not pay it. */
async function loadPglite() {
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("pglite-prisma-adapter"),
  ]);
  return { PGlite, PrismaPGlite };
}

/** For `checkDrift`/`createMigration`: only scratch databases, never the app's. */
function scratchFactory(shadow: ShadowDatabase | undefined): ClosableFactory {
  return !shadow || shadow.kind === "pglite" ? new PgliteFactory() : new PgFactory(shadow.url);
}

/**
 * pglite-prisma-adapter 0.7.2's `executeScript` calls `exec` without awaiting
 * it: a failing migration is recorded as applied and its error surfaces as an
 * unhandled rejection. Await it, and map errors as the adapter does.
 */
function patchPgliteAdapter(adapter: SqlDriverAdapter, db: PGlite): SqlDriverAdapter {
  adapter.executeScript = async (script) => {
    try {
      await db.exec(script);
    } catch (error) {
      (adapter as unknown as { onError(e: unknown): never }).onError(error);
    }
  };
  return adapter;
}

function logStatements(adapter: SqlDriverAdapter, log: (line: string) => void): void {
  const timed =
    <A extends unknown[], R>(label: string, fn: (...args: A) => Promise<R>, text: (...args: A) => string) =>
    async (...args: A): Promise<R> => {
      const start = performance.now();
      try {
        return await fn(...args);
      } finally {
        log(`${label} ${(performance.now() - start).toFixed(1)}ms ${text(...args).replace(/\s+/g, " ").slice(0, 200)}`);
      }
    };
  adapter.queryRaw = timed("query", adapter.queryRaw.bind(adapter), (q) => q.sql);
  adapter.executeRaw = timed("execute", adapter.executeRaw.bind(adapter), (q) => q.sql);
  adapter.executeScript = timed("script", adapter.executeScript.bind(adapter), (sql) => sql);
  adapter.startTransaction = timed("begin", adapter.startTransaction.bind(adapter), () => "");
}

/** Postgres' internal single-byte `"char"` (18), `name` (19) and their arrays. */
const RELABEL: Record<number, number> = { 18: 25, 19: 25, 1002: 1009, 1003: 1009 };
const parseTextArray = (pg.types.getTypeParser as (oid: number, format: "text") => (value: string) => unknown)(
  1009,
  "text",
);

type PerformIO = (query: SqlQuery) => Promise<pg.QueryArrayResult>;

function relabelPerformIO(target: object): void {
  const queryable = target as { performIO: PerformIO };
  const original = queryable.performIO.bind(target);
  queryable.performIO = async (query) => {
    const result = await original(query);
    result.fields?.forEach((field, i) => {
      const replacement = RELABEL[field.dataTypeID];
      if (replacement === undefined) return;
      // pg has no parser for name[]/"char"[]: they arrive as '{a,b}' strings.
      if (replacement === 1009) {
        for (const row of result.rows) {
          const value = row[i];
          if (typeof value === "string") row[i] = parseTextArray(value);
        }
      }
      field.dataTypeID = replacement;
    });
    return result;
  };
}

function patchPgAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  relabelPerformIO(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => {
    const tx: Transaction = await startTransaction(isolationLevel);
    relabelPerformIO(tx);
    return tx;
  };
  const pool = (adapter as unknown as { client: pg.Pool }).client;
  adapter.executeScript = async (script) => {
    try {
      await pool.query(script);
    } catch (error) {
      // Re-throw through the adapter's own mapping so the engine sees a database error.
      (adapter as unknown as { onError(e: unknown): never }).onError(error);
    }
  };
  return adapter;
}

// ---------------------------------------------------------------------------
// Files and URLs
// ---------------------------------------------------------------------------

async function readSchema(schemaPath: string | undefined): Promise<{ path: string; content: string }> {
  const file = path.resolve(schemaPath ?? defaultSchemaPath());
  return { path: file, content: await fs.readFile(file, "utf8") };
}

/** The folder as Prisma's CLI reads it: every subfolder, sorted, with its migration.sql. */
async function readMigrationsList(baseDir: string): Promise<MigrationList> {
  const lockPath = "migration_lock.toml";
  const lockContent = await fs.readFile(path.join(baseDir, lockPath), "utf8").catch(() => null);
  const entries = await fs.readdir(baseDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  dirs.sort((a, b) => a.localeCompare(b));
  const migrationDirectories = await Promise.all(
    dirs.map(async (dir) => ({
      path: dir,
      migrationFile: {
        path: "migration.sql",
        content: await fs
          .readFile(path.join(baseDir, dir, "migration.sql"), "utf8")
          .then((value) => ({ tag: "ok" as const, value }))
          .catch((error: Error) => ({ tag: "error" as const, value: error.message })),
      },
    })),
  );
  return {
    baseDir,
    lockfile: { path: lockPath, content: lockContent },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

/** The engine says "-- This is an empty migration." for no change: treat comment-only output as empty. */
function normalizeScript(sql: string): string {
  const meaningful = sql.split("\n").some((line) => line.trim() !== "" && !line.trim().startsWith("--"));
  return meaningful ? sql.trim() + "\n" : "";
}

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  if (!name) throw new MigrationError(`DATABASE_URL names no database: ${redact(url)}`);
  return name;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = "/" + encodeURIComponent(database);
  return u.toString();
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Runs one statement on the server's `postgres` database (CREATE/DROP DATABASE cannot run in the target). */
async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}
