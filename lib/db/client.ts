import "server-only";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { Prisma, PrismaClient } from "@/generated/prisma/client";
import { getEnv } from "@/lib/env";
import { currentScope } from "@/lib/scope";
import { recordStatementFailed, recordStatementOk, refuseIfKnownDown } from "./availability";

export type Db = ReturnType<typeof createClient>;

/** Prisma's SQL helpers (`Prisma.raw`, `Prisma.sql`) for the domains' raw statements. */
export { Prisma };

/** Where the embedded database lives when DATABASE_URL is unset. */
export function pgliteDir(dataDir: string): string {
  return path.resolve(dataDir, "pglite");
}

/**
 * How long the app's client waits on PostgreSQL before it gives up, so that a
 * request that needs an unreachable database fails fast (503) instead of
 * after the driver's defaults, which are to wait forever.
 */
export interface DbTimeouts {
  /** To open a connection, or to get one from a full pool (pg's connectionTimeoutMillis). */
  connectMs: number;
  /**
   * For one statement's answer: PostgreSQL cancels it (statement_timeout), and
   * pg gives up on a connection that went silent (query_timeout).
   */
  statementMs: number;
}

/**
 * Builds a Prisma client on PostgreSQL (`DATABASE_URL`) or on the embedded
 * PGlite database, and counts every SQL statement into the current request
 * scope: one request's few model calls can be many statements, and it is the
 * statements that the accounting headers and the tests assert. Every
 * statement's outcome also goes to lib/db/availability (is the database
 * reachable; which requests found it not).
 */
export function createClient(options: { databaseUrl?: string | undefined; dataDir: string; poolMax?: number; timeouts?: DbTimeouts }) {
  const pglite = options.databaseUrl ? undefined : new PGlite(pgliteDir(options.dataDir));
  const timeouts = options.timeouts;
  const adapter = pglite
    ? new PrismaPGlite(pglite)
    : new PrismaPg({
        connectionString: options.databaseUrl,
        max: options.poolMax ?? 10,
        // TCP keepalive: a connection whose peer vanished is found dead by
        // the OS even while it sits idle in the pool.
        keepAlive: true,
        ...(timeouts
          ? { connectionTimeoutMillis: timeouts.connectMs, statement_timeout: timeouts.statementMs, query_timeout: timeouts.statementMs }
          : {}),
      });
  const client = new PrismaClient({ adapter: observed(adapter), log: [{ emit: "event", level: "query" }] });
  if (pglite) embedded.set(client, pglite);
  client.$on("query", (event) => {
    const scope = currentScope();
    if (!scope) return;
    scope.db.queries += 1;
    scope.db.durationMs += Number(event.duration);
  });
  return client;
}

const embedded = new WeakMap<object, PGlite>();

// --- every statement's outcome -------------------------------------------------
//
// The driver adapter is wrapped rather than the Prisma client: a failure is
// seen there as the driver raised it (before Prisma rewraps it), once per
// statement (a model call can be several), and for every user of the client
// (better-auth's queries included).

function observed<F extends SqlDriverAdapterFactory>(factory: F): F {
  return intercept(factory, {
    connect: (connect) => async () => intercept((await connect()) as SqlDriverAdapter, adapterMethods),
  });
}

type Wrap = (original: (...args: never[]) => Promise<unknown>) => (...args: never[]) => Promise<unknown>;

/** Runs one statement and reports how it went; the error itself goes on unchanged. */
const statement: Wrap = (run) => async (...args) => {
  refuseIfKnownDown();
  try {
    const result = await run(...args);
    recordStatementOk();
    return result;
  } catch (error) {
    recordStatementFailed(error);
    throw error;
  }
};

const transactionMethods: Record<string, Wrap> = { queryRaw: statement, executeRaw: statement };

const adapterMethods: Record<string, Wrap> = {
  queryRaw: statement,
  executeRaw: statement,
  executeScript: statement,
  // BEGIN (and the wait for a connection) happens here.
  startTransaction: (start) => async (...args) => intercept((await statement(start)(...args)) as Transaction, transactionMethods),
};

/** `target` with some of its methods wrapped; everything else (fields, other methods) as it is. */
function intercept<T extends object>(target: T, wraps: Record<string, Wrap>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== "function") return value;
      const bound = (value as (...args: never[]) => unknown).bind(object);
      const wrap = typeof property === "string" ? wraps[property] : undefined;
      return wrap ? wrap(bound as (...args: never[]) => Promise<unknown>) : bound;
    },
  });
}

/**
 * Disconnects a client, and shuts an embedded PGlite database down cleanly:
 * `$disconnect()` alone leaves PGlite open (its timers keep the process alive
 * and its next start replays the WAL).
 */
export async function closeClient(client: Db): Promise<void> {
  await client.$disconnect();
  await embedded.get(client)?.close();
}

const globalForDb = globalThis as unknown as { blogDb?: Db };

/** The process-wide client (kept on globalThis so dev reloads do not leak pools). */
export function getDb(): Db {
  if (!globalForDb.blogDb) {
    const env = getEnv();
    globalForDb.blogDb = createClient({
      databaseUrl: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
      timeouts: { connectMs: env.DB_CONNECT_TIMEOUT_MS, statementMs: env.DB_STATEMENT_TIMEOUT_MS },
    });
  }
  return globalForDb.blogDb;
}
