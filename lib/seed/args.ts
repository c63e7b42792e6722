import { parseArgs } from "node:util";
import { z } from "zod";

export const SEED_USAGE = `Usage: npm run db:seed -- [options]

Fills the database (DATABASE_URL, or the embedded PGlite database in DATA_DIR)
with deterministic demo data: the same options always write the same rows.
The database must be migrated first (npm run db:migrate).

Options:
  --users <n>         demo users, demo1@example.com ... (default 200, 1-100000)
  --posts <n>         posts (default 2000, 1-1000000)
  --max-likes <n>     most likes on one post (default 50, 0-1000; at most --users)
  --max-comments <n>  most comments on one post (default 5, 0-100)
  --seed <n>          seed of the generator (default 42, 0-4294967295)
  --reset             delete ALL users, posts, likes, comments, accounts and
                      sessions first
  --if-empty          if the database already has users or posts, print a
                      notice and exit 0 instead of failing
  -h, --help          show this help

Every demo user signs in with the password "demo-password".
Exit status: 0 seeded or skipped, 1 database not empty or error, 2 bad usage.`;

export interface SeedArgs {
  users: number;
  posts: number;
  maxLikes: number;
  maxComments: number;
  seed: number;
  reset: boolean;
  ifEmpty: boolean;
}

export type ParsedSeedArgs = { help: true } | ({ help: false } & SeedArgs);

/** A bad command line; its message is meant for the user, followed by the usage. */
export class SeedUsageError extends Error {
  override name = "SeedUsageError";
}

const count = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const argsSchema = z.object({
  users: count(1, 100_000).default(200),
  posts: count(1, 1_000_000).default(2000),
  "max-likes": count(0, 1000).default(50),
  "max-comments": count(0, 100).default(5),
  seed: count(0, 4_294_967_295).default(42),
  reset: z.boolean().default(false),
  "if-empty": z.boolean().default(false),
});

/** Parses `argv` (without node and the script); throws SeedUsageError on anything unexpected. */
export function parseSeedArgs(argv: readonly string[]): ParsedSeedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        users: { type: "string" },
        posts: { type: "string" },
        "max-likes": { type: "string" },
        "max-comments": { type: "string" },
        seed: { type: "string" },
        reset: { type: "boolean" },
        "if-empty": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new SeedUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { help: true };

  const { help: _help, ...rest } = values;
  const result = argsSchema.safeParse(rest);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SeedUsageError(issue ? `--${issue.path.join(".")} ${issue.message}` : "invalid arguments");
  }
  const a = result.data;
  if (a.reset && a["if-empty"]) throw new SeedUsageError("--reset and --if-empty cannot be combined");
  if (a["max-likes"] > a.users) throw new SeedUsageError(`--max-likes (${a["max-likes"]}) cannot exceed --users (${a.users}): likes come from distinct users`);
  return {
    help: false,
    users: a.users,
    posts: a.posts,
    maxLikes: a["max-likes"],
    maxComments: a["max-comments"],
    seed: a.seed,
    reset: a.reset,
    ifEmpty: a["if-empty"],
  };
}
