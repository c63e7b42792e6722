/**
 * `npm run db:seed -- [--users N] [--posts N] [--max-likes N] [--max-comments N] [--seed N] [--reset | --if-empty]`
 *
 * Deterministic demo data for a migrated database (see `--help`). Runs with
 * `--conditions=react-server` so lib/db's `import "server-only"` is a no-op.
 */
import { closeClient, createClient, pgliteDir } from "@/lib/db/client";
import { EnvError, getEnv } from "@/lib/env";
import {
  createProgressBar,
  DatabaseNotEmptyError,
  formatSummary,
  parseSeedArgs,
  resolveAnchor,
  SEED_USAGE,
  SeedUsageError,
  seedDatabase,
  type ParsedSeedArgs,
  type SeedProgress,
} from "@/lib/seed";

/** A terminal gets a progress bar; CI logs and pipes get two lines at most. */
function isInteractive(): boolean {
  // CI is a property of the terminal, not app configuration, hence not in lib/env.
  const ci = process.env.CI;
  return process.stderr.isTTY === true && (ci === undefined || ci === "" || ci === "0" || ci === "false");
}

/** Where we write, without credentials. */
function describeTarget(databaseUrl: string | undefined, dataDir: string): string {
  if (!databaseUrl) return `PGlite in ${pgliteDir(dataDir)}`;
  try {
    const url = new URL(databaseUrl);
    return `PostgreSQL ${url.hostname}${url.port ? `:${url.port}` : ""}${url.pathname}`;
  } catch {
    return "PostgreSQL";
  }
}

async function main(argv: string[]): Promise<number> {
  let args: ParsedSeedArgs;
  try {
    args = parseSeedArgs(argv);
  } catch (error) {
    if (!(error instanceof SeedUsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${SEED_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${SEED_USAGE}\n`);
    return 0;
  }

  const env = getEnv();
  const interactive = isInteractive();
  const bar = interactive ? createProgressBar(process.stderr) : undefined;
  const config = {
    users: args.users,
    posts: args.posts,
    maxLikes: args.maxLikes,
    maxComments: args.maxComments,
    seed: args.seed,
    anchor: resolveAnchor(),
  };
  // Announced once the database is known to be empty (or reset), so that a
  // skipped --if-empty run prints only its one line.
  let announced = false;
  const onProgress = (progress: SeedProgress) => {
    if (!announced) {
      announced = true;
      process.stderr.write(
        `Seeding ${describeTarget(env.DATABASE_URL, env.DATA_DIR)}: ${args.users} users, ${args.posts} posts, ` +
          `max ${args.maxLikes} likes and ${args.maxComments} comments per post, seed ${args.seed}${args.reset ? ", after --reset" : ""}\n`,
      );
    }
    bar?.update(progress);
  };

  // One connection: everything happens in one transaction.
  const db = createClient({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, poolMax: 1 });
  try {
    const outcome = await seedDatabase(db, config, { reset: args.reset, ifEmpty: args.ifEmpty, onProgress });
    bar?.clear();
    if (!outcome.seeded) {
      process.stdout.write("database already has data; not seeding\n");
      return 0;
    }
    process.stdout.write(`${formatSummary(outcome.counts, outcome.durationMs)}\n`);
    return 0;
  } catch (error) {
    bar?.clear();
    if (error instanceof DatabaseNotEmptyError) {
      process.stderr.write(
        "error: the database already has users or posts; nothing was written.\n" +
          "  --reset     deletes ALL users, posts, likes, comments and sessions, then seeds\n" +
          "  --if-empty  skips seeding (exit 0) when the database has data\n",
      );
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    const missing = /relation "[^"]+" does not exist/.exec(message);
    if (missing) {
      process.stderr.write(`error: the database is not migrated (${missing[0]}): run \`npm run db:migrate\` first.\n`);
      return 1;
    }
    throw error;
  } finally {
    await closeClient(db);
  }
}

/** Exits once stdout and stderr are flushed (everything was committed and closed by now). */
function exit(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  // Configuration and database errors explain themselves; anything else gets its stack.
  const expected = error instanceof EnvError || (error instanceof Error && error.name.startsWith("PrismaClient"));
  const text = error instanceof Error ? (expected ? error.message.trim() : (error.stack ?? error.message)) : String(error);
  process.stderr.write(`error: ${text}\n`);
  exit(1);
});
