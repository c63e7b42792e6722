/**
 * `npm run db:check`: fails when prisma/schema.prisma and prisma/migrations
 * disagree, printing the SQL a new migration would need.
 *
 * Replays the migrations into an in-memory PGlite (no server needed, ~3 s);
 * with SHADOW_DATABASE_URL (any database on a PostgreSQL server, e.g.
 * postgresql://postgres@127.0.0.1:5432/postgres) into a temporary database
 * on that server instead (faster), which is dropped afterwards.
 *
 *   --schema <file>      another schema file (default prisma/schema.prisma)
 *   --migrations <dir>   another migrations folder (default prisma/migrations)
 *
 * Exit codes: 0 in sync, 1 drift, 2 the check itself failed.
 */
import { parseArgs } from "node:util";
import { checkDrift } from "@/lib/db/migrate";

const { values } = parseArgs({
  options: { schema: { type: "string" }, migrations: { type: "string" }, verbose: { type: "boolean", default: false } },
});
const shadowUrl = process.env.SHADOW_DATABASE_URL || undefined;

let sql: string;
try {
  sql = await checkDrift({
    schemaPath: values.schema,
    migrationsDir: values.migrations,
    shadow: shadowUrl ? { kind: "postgres", url: shadowUrl } : { kind: "pglite" },
    log: values.verbose ? (line) => console.error(line) : undefined,
  });
} catch (error) {
  console.error(`db:check: could not compare: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}

const schemaName = values.schema ?? "schema.prisma";
const migrationsName = values.migrations ?? "prisma/migrations";
if (sql === "") {
  console.log(`${schemaName} and ${migrationsName} agree`);
} else {
  console.error(`${schemaName} and ${migrationsName} disagree. The migrations lack this SQL:\n`);
  console.error(sql);
  console.error("Add it as a migration with: npx tsx scripts/db/new-migration.ts <name>");
  process.exit(1);
}
