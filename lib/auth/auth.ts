import "server-only";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError } from "better-auth/api";
import { getCache } from "@/lib/cache";
import { hitRateLimit } from "@/lib/cache/rate-limit";
import { getDb } from "@/lib/db/client";
import { getAuthSecret, getEnv } from "@/lib/env";
import { invalidateAfter } from "@/lib/posts/invalidation";
import { trustedOriginsFor } from "./trusted-origins";

/** A display name is shown as the author of posts and comments. */
export const NAME_MAX_LENGTH = 100;

/** Trims a user's name; rejects a blank or overlong one (better-auth takes any string). */
function normalizeName(name: unknown): string {
  const trimmed = typeof name === "string" ? name.trim() : "";
  if (trimmed.length === 0 || trimmed.length > NAME_MAX_LENGTH) {
    throw new APIError("BAD_REQUEST", {
      code: "INVALID_NAME",
      message: `Name must be 1 to ${NAME_MAX_LENGTH} characters`,
    });
  }
  return trimmed;
}

/**
 * better-auth, built on first use (not at import: `next build` evaluates
 * route modules, and opening the embedded database then would be wrong).
 *
 * - email + password, sessions in the database (better-auth owns User,
 *   Session, Account, Verification in schema.prisma);
 * - httpOnly, SameSite=Lax cookies (Secure when the app's URL is https);
 * - the session is also kept for 60 s in a signed cookie, so a signed-in read
 *   does not cost a session query every time (a sign-out elsewhere takes
 *   effect on this device within 60 s);
 * - the library's rate limit is on, with tighter rules for sign-in/sign-up
 *   (explicitly: its default is "on in production only"). It counts per
 *   client address (lib/http/client-address.ts, handed to it by
 *   app/api/auth) per path, in Redis through our atomic window counter, so
 *   the limits hold across instances — per process while Redis is down
 *   (docs/decisions/008-auth-rate-limits-in-redis.md). Only requests through
 *   the HTTP handler count: a direct `auth.api.*` call is not limited;
 * - browser POSTs must come from the app's own origin (trusted-origins.ts):
 *   a POST that carries cookies, an Origin/Referer or Fetch-Metadata headers
 *   is checked; a bare API client with none of them is not (nothing to forge).
 */
function createAuth() {
  const env = getEnv();
  return betterAuth({
    appName: "Cached Blog",
    baseURL: env.authUrl,
    trustedOrigins: trustedOriginsFor(env.authUrl),
    secret: getAuthSecret(env),
    database: prismaAdapter(getDb(), { provider: "postgresql" }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 128, autoSignIn: true },
    databaseHooks: {
      user: {
        create: { before: async (user) => ({ data: { ...user, name: normalizeName(user.name) } }) },
        update: {
          before: async (user) => ("name" in user ? { data: { ...user, name: normalizeName(user.name) } } : undefined),
          // The row is written: every cached response that shows this user's
          // name is stale from now on, on every instance, before the answer.
          after: async (user) => {
            await invalidateAfter.rename(user.id);
          },
        },
      },
    },
    session: { cookieCache: { enabled: true, maxAge: 60 } },
    rateLimit: {
      enabled: true,
      window: 60,
      max: 100,
      customRules: {
        "/sign-in/email": { window: 60, max: env.AUTH_SIGN_IN_PER_MINUTE },
        "/sign-up/email": { window: 60, max: env.AUTH_SIGN_UP_PER_MINUTE },
      },
      // Not `secondaryStorage`: that would move sessions out of PostgreSQL too.
      customStorage: {
        consume: async (key, rule) => {
          const { allowed, retryAfter } = await hitRateLimit(getCache(), `auth:${key}`, rule.max, rule.window);
          return { allowed, retryAfter: allowed ? null : retryAfter };
        },
      },
    },
    advanced: {
      useSecureCookies: env.authUrl.startsWith("https://"),
      // Explicit, like rateLimit.enabled: better-auth turns its origin and
      // CSRF checks OFF when NODE_ENV=test (or TEST is set), which would let
      // the integration tests pass against a config production never runs.
      disableOriginCheck: false,
      disableCSRFCheck: false,
    },
    telemetry: { enabled: false },
  });
}

export type Auth = ReturnType<typeof createAuth>;

const globalForAuth = globalThis as unknown as { blogAuth?: Auth };

export function getAuth(): Auth {
  globalForAuth.blogAuth ??= createAuth();
  return globalForAuth.blogAuth;
}
