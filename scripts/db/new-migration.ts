/**
 * `npx tsx scripts/db/new-migration.ts <name>` (or `npm run db:new -- <name>`):
 * writes prisma/migrations/<YYYYMMDDHHMMSS>_<name>/migration.sql with the SQL
 * that takes the migrations to prisma/schema.prisma, or says nothing changed.
 * Offline replacement for `prisma migrate dev --create-only`; review the SQL
 * (renames come out as drop + add) before committing it.
 * SHADOW_DATABASE_URL: as in scripts/db/check.ts.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { createMigration } from "@/lib/db/migrate";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { schema: { type: "string" }, migrations: { type: "string" } },
});
const raw = positionals.join("_");
// "add user bio" / "add-user-bio" -> add_user_bio
const name = raw.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
if (!name) {
  console.error("usage: npx tsx scripts/db/new-migration.ts <name>   (e.g. add_user_bio)");
  process.exit(2);
}
const shadowUrl = process.env.SHADOW_DATABASE_URL || undefined;

try {
  const created = await createMigration(name, {
    schemaPath: values.schema,
    migrationsDir: values.migrations,
    shadow: shadowUrl ? { kind: "postgres", url: shadowUrl } : { kind: "pglite" },
  });
  if (!created) {
    console.log("No changes: schema.prisma and prisma/migrations agree, nothing written.");
  } else {
    console.log(`Created ${path.relative(process.cwd(), created.file)}:\n`);
    console.log(created.sql);
  }
} catch (error) {
  console.error(`db:new: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
