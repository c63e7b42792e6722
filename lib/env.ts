import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * The environment, validated once. Every other module reads configuration from
 * here, never from `process.env` directly, so a wrong value stops the app at
 * start with a message that names the variable instead of failing later.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Unset: an embedded PGlite database in `${DATA_DIR}/pglite`, migrated on start. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgres:// or postgresql:// URL")
    .optional(),
  /** Unset: an in-memory cache in each process (like Django's LocMemCache). */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, "must be a redis:// or rediss:// URL")
    .optional(),
  CACHE_MODE: z.enum(["off", "per-object", "batched", "full"]).default("full"),
  /** Every cache key starts with this; tests and benchmarks use their own. */
  CACHE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, "letters, digits, '_', '.', '-' (1-40 chars)")
    .default("blog"),
  /** Upper bound on one cache round trip before it counts as a miss (fail-open). */
  CACHE_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(200),
  /**
   * How long a statement waits for a connection — to open one, or for one of
   * the pool to be free — before its request gets 503 `unavailable`.
   */
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  /**
   * How long a statement may run before PostgreSQL cancels it and the driver
   * stops waiting for its answer (a connection gone silent): 503 `unavailable`.
   */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(2_000),
  /**
   * Admission control (lib/http/admission.ts), in the production server:
   * requests served at once (0: no bound). The health and metrics routes are
   * always served and not counted.
   */
  SHED_MAX_IN_FLIGHT: z.coerce.number().int().min(0).max(100_000).default(32),
  /**
   * Longest wait for a slot; a request that would wait longer is answered
   * 503 `unavailable` with Retry-After at once (0: no waiting at all).
   */
  SHED_MAX_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /**
   * While the event loop has been this late at two checks in a row, new
   * requests are answered 503 at once (0: not watched).
   */
  SHED_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  BETTER_AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  BETTER_AUTH_URL: z.string().url("must be a URL such as http://localhost:3000").optional(),
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  /** Sign-in attempts per minute per client address (better-auth's rate limit). */
  AUTH_SIGN_IN_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  /** Sign-up attempts per minute per client address (better-auth's rate limit). */
  AUTH_SIGN_UP_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(5),
  /** Likes and unlikes per minute per user. */
  LIKES_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
  /** Posts created per minute per user (each one invalidates every list page). */
  POSTS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(5),
  /** Set: /api/metrics and /api/cache-stats want `Authorization: Bearer <token>` (lib/http/operator-access.ts). */
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").regex(/^\S+$/, "must not contain spaces").optional(),
  /** Set (comma-separated): /cache is for these signed-in users only. */
  ADMIN_EMAILS: z
    .string()
    .transform((list) => list.split(",").map((email) => email.trim().toLowerCase()).filter((email) => email !== ""))
    .pipe(z.array(z.email("must be comma-separated email addresses")).min(1, "must name at least one email address"))
    .optional(),
  /**
   * `1` behind a reverse proxy that sets X-Forwarded-For; otherwise the
   * server overwrites that header with the socket's address, so a client
   * cannot pick its own rate-limit bucket.
   */
  TRUST_PROXY: z.enum(["0", "1"]).default("0"),
  /**
   * `0` turns off the fast path in front of Next (lib/http/fast-path.ts):
   * whole responses are then served by the framework (for comparing; full mode only).
   */
  FAST_PATH: z.enum(["0", "1"]).default("1"),
  /** `0` removes the X-DB-Queries / X-Cache-Round-Trips / Server-Timing headers. */
  ACCOUNTING_HEADERS: z.enum(["0", "1"]).default("1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Where the embedded database and the generated auth secret live. */
  DATA_DIR: z.string().min(1).default(".data"),
});

export type Env = z.infer<typeof envSchema> & { authUrl: string };

/** Thrown when the environment is invalid; its message names each bad variable. */
export class EnvError extends Error {
  override name = "EnvError";
}

/** Parses an environment (default: process.env). Exported for tests and scripts. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  // An empty string means "unset" (a blank line in .env), not an invalid value.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${lines.join("\n")}`);
  }
  const env = result.data;
  return { ...env, authUrl: env.BETTER_AUTH_URL ?? `http://localhost:${env.PORT}` };
}

/**
 * The session signing secret: BETTER_AUTH_SECRET, or one generated once and
 * kept in the data folder (so sessions survive restarts) with a warning. Only
 * what signs sessions asks for it (the server at start, the auth library);
 * scripts that do not never write the file, nor refuse to run.
 *
 * @throws EnvError with REDIS_URL set and no BETTER_AUTH_SECRET: Redis means
 *   several instances may run, and each would generate its own secret, so a
 *   session signed by one would be refused by the others.
 */
export function getAuthSecret(env: Env = getEnv()): string {
  if (env.BETTER_AUTH_SECRET) return env.BETTER_AUTH_SECRET;
  if (env.REDIS_URL) {
    throw new EnvError(
      "Invalid environment:\n  BETTER_AUTH_SECRET: required when REDIS_URL is set (several instances may run, " +
        "and a secret generated by each would break sessions between them). Set the same value of 32+ characters " +
        "on every instance, e.g. `openssl rand -base64 32`.",
    );
  }
  return loadOrCreateSecret(env.DATA_DIR);
}

function loadOrCreateSecret(dataDir: string): string {
  const file = path.resolve(dataDir, "auth-secret");
  try {
    const existing = fs.readFileSync(file, "utf8").trim();
    if (existing.length >= 32) return existing;
  } catch {
    // not there yet
  }
  const secret = randomBytes(32).toString("base64url");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, secret + "\n", { mode: 0o600 });
  console.warn(`[env] BETTER_AUTH_SECRET is unset: generated one in ${file}. Set BETTER_AUTH_SECRET in a deployment.`);
  return secret;
}

let cached: Env | undefined;

/** The validated environment of this process, parsed on first use. */
export function getEnv(): Env {
  cached ??= parseEnv();
  return cached;
}
