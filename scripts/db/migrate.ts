/**
 * `npm run db:migrate`: applies prisma/migrations to DATABASE_URL, or to the
 * embedded PGlite database in `${DATA_DIR:-.data}/pglite` when DATABASE_URL is
 * unset. Prints one line; exits 1 with the reason on failure.
 * `--verbose` prints the engine's log and every statement it sends.
 *
 * Reads the two variables itself rather than through lib/env.ts: parseEnv
 * also generates and writes an auth secret, which a migration must not do.
 */
import { parseArgs } from "node:util";
import { applyMigrations, redact, type MigrationTarget } from "@/lib/db/migrate";

const { values } = parseArgs({ options: { verbose: { type: "boolean", default: false } } });

// As in lib/env.ts: an empty value means unset.
const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = process.env.DATA_DIR || ".data";

if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/\S+$/.test(databaseUrl)) {
  console.error("db:migrate: DATABASE_URL must be a postgres:// or postgresql:// URL");
  process.exit(1);
}

const target: MigrationTarget = databaseUrl ? { kind: "postgres", url: databaseUrl } : { kind: "pglite", dataDir };
const where = target.kind === "postgres" ? redact(target.url) : `PGlite in ${dataDir}/pglite`;

try {
  const started = performance.now();
  const applied = await applyMigrations(target, { log: values.verbose ? (line) => console.error(line) : undefined });
  const ms = Math.round(performance.now() - started);
  console.log(
    applied.length === 0
      ? `db:migrate: ${where} is up to date (${ms} ms)`
      : `db:migrate: applied ${applied.length} migration${applied.length === 1 ? "" : "s"} to ${where}: ${applied.join(", ")} (${ms} ms)`,
  );
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  const hint = (error as { code?: string }).code === "ECONNREFUSED" ? " (is PostgreSQL running there?)" : "";
  console.error(`db:migrate: failed on ${where}: ${message}${hint}`);
  process.exit(1);
}
