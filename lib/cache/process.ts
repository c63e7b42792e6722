import { getEnv } from "@/lib/env";
import { getLogger } from "@/lib/log";
import type { Cache } from "./cache";
import { createCache } from "./factory";
import { TagStore } from "./tags/store";

// The process's cache and tag store, built on first use from the validated
// environment and kept on globalThis: one connection, one circuit breaker and
// one owed-epoch state per process, shared by Next's server bundle and by the
// server's fast path (server.ts loads its own copy of these modules).
// Server code imports them through lib/cache (default.ts guards it with
// "server-only"); server.ts, which runs outside Next, imports this file.

const globalForCache = globalThis as unknown as { blogCache?: Cache; blogTagStore?: TagStore };

/**
 * The process-wide cache (REDIS_URL → Redis, unset → memory; CACHE_PREFIX;
 * CACHE_TIMEOUT_MS).
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

/** The process-wide tag store on that cache (one, so that an owed epoch bump is seen by every reader). */
export function getTagStore(): TagStore {
  const cache = getCache();
  if (globalForCache.blogTagStore?.cache !== cache) globalForCache.blogTagStore = new TagStore(cache);
  return globalForCache.blogTagStore;
}

/** Closes the process-wide cache (scripts call this so the process can exit); the next `getCache()` builds a new one. */
export async function closeCache(): Promise<void> {
  const cache = globalForCache.blogCache;
  globalForCache.blogCache = undefined;
  globalForCache.blogTagStore = undefined;
  await cache?.close();
}
