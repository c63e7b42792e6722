import "server-only";
import { getEnv } from "@/lib/env";
import { getLogger } from "@/lib/log";
import type { Cache } from "./cache";
import { createCache } from "./factory";

const globalForCache = globalThis as unknown as { blogCache?: Cache };

/**
 * The process-wide cache the app uses, built on first use from the validated
 * environment (REDIS_URL → Redis, unset → memory; CACHE_PREFIX;
 * CACHE_TIMEOUT_MS). Kept on globalThis so dev reloads reuse one connection.
 */
export function getCache(): Cache {
  if (!globalForCache.blogCache) {
    const env = getEnv();
    globalForCache.blogCache = createCache({
      redisUrl: env.REDIS_URL,
      prefix: env.CACHE_PREFIX,
      timeoutMs: env.CACHE_TIMEOUT_MS,
      logger: (message) => getLogger().warn(message),
    });
  }
  return globalForCache.blogCache;
}

/** Closes the process-wide cache (scripts call this so the process can exit); the next `getCache()` builds a new one. */
export async function closeCache(): Promise<void> {
  const cache = globalForCache.blogCache;
  globalForCache.blogCache = undefined;
  await cache?.close();
}
