import "server-only";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { Prisma, PrismaClient } from "@/generated/prisma/client";
import { getEnv } from "@/lib/env";
import { currentScope } from "@/lib/scope";

export type Db = ReturnType<typeof createClient>;

/** Prisma's SQL helpers (`Prisma.raw`, `Prisma.sql`) for the domains' raw statements. */
export { Prisma };

/** Where the embedded database lives when DATABASE_URL is unset. */
export function pgliteDir(dataDir: string): string {
  return path.resolve(dataDir, "pglite");
}

/**
 * Builds a Prisma client on PostgreSQL (`DATABASE_URL`) or on the embedded
 * PGlite database, and counts every SQL statement into the current request
 * scope: one request's few model calls can be many statements, and it is the
 * statements that the accounting headers and the tests assert.
 */
export function createClient(options: { databaseUrl?: string | undefined; dataDir: string; poolMax?: number }) {
  const pglite = options.databaseUrl ? undefined : new PGlite(pgliteDir(options.dataDir));
  const adapter = pglite
    ? new PrismaPGlite(pglite)
    : new PrismaPg({ connectionString: options.databaseUrl, max: options.poolMax ?? 10 });
  const client = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
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
    globalForDb.blogDb = createClient({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
  }
  return globalForDb.blogDb;
}
