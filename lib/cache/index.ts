// lib/cache public surface. Server-only: `getCache` pulls in "server-only".
// Scripts and benchmarks run by tsx import the modules directly
// (e.g. "@/lib/cache/factory") because "server-only" throws outside Next.
export { Cache, DEFAULT_TTL_SECONDS } from "./cache";
export type { CacheEntries, CacheOptions, VersionOption, WriteOptions } from "./cache";
export { createCache } from "./factory";
export type { CreateCacheOptions } from "./factory";
export { closeCache, getCache, getTagStore } from "./default";
export { defineScript } from "./backend";
export type { Backend, RawEntry, Script, ScriptAccount, ScriptReply, ScriptStore } from "./backend";
export { createMemoryBackend } from "./memory";
export type { MemoryBackendOptions } from "./memory";
export { createRedisBackend } from "./redis";
export type { RedisBackendOptions } from "./redis";
export { onCacheEvent } from "./events";
export type { BackendKind, BackendOp, CacheEvent, CacheListener, CallStats } from "./events";
export {
  CacheError,
  CacheKeyError,
  CacheKeyMissingError,
  CacheUnavailableError,
  CacheUsageError,
  CacheValueError,
} from "./errors";
export type { UnavailableReason } from "./errors";
export { MAX_KEY_LENGTH, makeKey } from "./keys";
export { decodeValue, encodeValue } from "./json";
export type { CacheLogger } from "./log";
