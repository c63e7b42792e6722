import { createCache } from "@/lib/cache/factory";

/** Removes this run's cache keys (its own prefix only; never FLUSHDB). */
export default async function globalTeardown(): Promise<void> {
  const prefix = process.env.E2E_CACHE_PREFIX;
  if (!prefix) return;
  const cache = createCache({ redisUrl: process.env.E2E_REDIS_URL ?? "redis://127.0.0.1:6379", prefix });
  await cache.clear();
  await cache.close();
}
