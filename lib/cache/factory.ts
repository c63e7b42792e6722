import type { Backend } from "./backend";
import { Cache } from "./cache";
import type { CacheListener } from "./events";
import type { CacheLogger } from "./log";
import { createMemoryBackend } from "./memory";
import { createRedisBackend } from "./redis";

export interface CreateCacheOptions {
  /** A Redis URL selects the Redis backend; without one the cache is in memory (per process). */
  redisUrl?: string | undefined;
  /** Key prefix: 1-64 of A-Z a-z 0-9 _ . - */
  prefix: string;
  /** Seconds; `null` = never expires. Default 300. */
  defaultTtl?: number | null;
  /** Default key version. Default 1. */
  version?: number;
  /** Redis only: longest wait for one round trip before it counts as a miss / dropped write. Default 200 ms. */
  timeoutMs?: number;
  /** Memory only: bounds of the LRU. Defaults 10,000 entries, 64 MiB. */
  memory?: { maxEntries?: number; maxBytes?: number };
  /** Called after every backend call (also see `onCacheEvent` for process-wide listeners). */
  onEvent?: CacheListener;
  /** Where warnings go (rate-limited). Default console.warn. */
  logger?: CacheLogger;
}

/**
 * Builds a Cache on its own backend: Redis when `redisUrl` is given, memory
 * otherwise. Connects lazily (nothing happens until the first call), so it is
 * cheap to create; call `close()` when done or the Redis connection keeps
 * the process alive.
 */
export function createCache(options: CreateCacheOptions): Cache {
  const backend: Backend = options.redisUrl
    ? createRedisBackend({
        url: options.redisUrl,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        connectionName: `cache:${options.prefix}`,
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      })
    : createMemoryBackend({ ...options.memory, ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
  return new Cache(backend, {
    prefix: options.prefix,
    ...(options.defaultTtl !== undefined ? { defaultTtl: options.defaultTtl } : {}),
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
