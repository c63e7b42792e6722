import type { Backend, RawEntry, StoreStats } from "./backend";
import { CacheKeyMissingError, CacheUnavailableError, CacheUsageError } from "./errors";
import { recordError } from "./events";
import { decodeValue, encodeValue } from "./json";
import { assertPrefix, assertVersion, makeKey, prefixOf } from "./keys";
import { type CacheLogger, defaultLogger, rateLimited } from "./log";

/** Django's default timeout: 300 s. */
export const DEFAULT_TTL_SECONDS = 300;

export interface CacheOptions {
  /** First part of every key (`prefix:version:key`): 1-64 of A-Z a-z 0-9 _ . - */
  prefix: string;
  /** Seconds, used when a call passes no `ttl`; `null` = never expires. Default 300 (Django's). */
  defaultTtl?: number | null;
  /** Version used when a call passes none (Django's VERSION). Default 1. */
  version?: number;
  /** Where fail-open warnings go (rate-limited: one line per 10 s). Default console.warn. */
  logger?: CacheLogger;
}

/** Selects a key version other than the cache's default. */
export interface VersionOption {
  version?: number;
}

/**
 * `ttl` in seconds: omitted = the cache's default; `null` = never expires;
 * `0` (or negative) = not stored, and an existing entry is removed (Django);
 * positive = expires after that long (fractions allowed, rounded to ms).
 */
export interface WriteOptions extends VersionOption {
  ttl?: number | null;
}

/** A Map, an array of pairs, or a plain object. */
export type CacheEntries = Iterable<readonly [string, unknown]> | Readonly<Record<string, unknown>>;

/**
 * Django's low-level cache API, typed, over a `Backend` (Redis or memory).
 *
 * - A miss is `undefined`. A cached `0`, `false`, `""`, `null` or `[]` is a hit.
 * - Values are JSON (plain DTOs); anything that would not read back equal is refused.
 * - Keys are `prefix:version:key`, built and checked by `makeKey`.
 * - Fail-open: when the store does not answer (error, timeout, closed), a
 *   read is a miss and a write is dropped with a rate-limited warning;
 *   neither throws. What does throw: `CacheUsageError` (invalid key, value,
 *   TTL, delta — before any I/O) and `CacheKeyMissingError` (incr/decr/
 *   incrVersion of a missing key).
 * - Every backend call is counted in the current request scope (see events.ts).
 *
 * `T` in `get<T>` is the caller's claim about what was stored: values are not
 * validated on the way out. Put a DTO's shape version in its key.
 */
export class Cache {
  /** The store, for layers that build their own raw keys (tags: entries and tag versions in one `mget`). */
  readonly backend: Backend;
  readonly prefix: string;
  readonly version: number;
  readonly defaultTtl: number | null;
  readonly #warn: CacheLogger;

  constructor(backend: Backend, options: CacheOptions) {
    assertPrefix(options.prefix);
    const version = options.version ?? 1;
    assertVersion(version);
    const defaultTtl = options.defaultTtl === undefined ? DEFAULT_TTL_SECONDS : options.defaultTtl;
    ttlToMs(defaultTtl); // validates
    this.backend = backend;
    this.prefix = options.prefix;
    this.version = version;
    this.defaultTtl = defaultTtl;
    this.#warn = rateLimited(options.logger ?? defaultLogger);
  }

  /**
   * The full key for `key` (`prefix:version:key`) — the one key function. Use
   * it to build raw keys for `backend` calls.
   * @throws CacheKeyError on an invalid key (see `makeKey`).
   */
  makeKey(key: string, version: number = this.version): string {
    assertVersion(version);
    return makeKey(this.prefix, version, key);
  }

  /**
   * The cached value of `key`, or `undefined` on a miss (absent, expired, or
   * the store did not answer — counted as an error). One round trip.
   */
  async get<T = unknown>(key: string, options?: VersionOption): Promise<T | undefined> {
    const fullKey = this.makeKey(key, options?.version);
    let raw: string | undefined;
    try {
      raw = (await this.backend.mget([fullKey]))[0];
    } catch (error) {
      this.#readFailed(error, "get");
      return undefined;
    }
    return raw === undefined ? undefined : this.#decode<T>(raw, fullKey);
  }

  /**
   * Stores `value` under `key` for `ttl` seconds (default: the cache's). One
   * round trip. With `ttl: 0` nothing is stored and an existing entry is
   * deleted (one round trip, UNLINK).
   * @returns true when the value is now stored; false for `ttl: 0` or when the
   *   store did not answer (the write is dropped, with a warning).
   * @throws CacheKeyError, CacheValueError (undefined or not JSON), CacheUsageError (bad ttl).
   */
  async set(key: string, value: unknown, options?: WriteOptions): Promise<boolean> {
    const fullKey = this.makeKey(key, options?.version);
    const text = encodeValue(value);
    const ttlMs = this.#ttlMs(options);
    try {
      if (ttlMs === 0) {
        await this.backend.del([fullKey]);
        return false;
      }
      await this.backend.set(fullKey, text, ttlMs);
      return true;
    } catch (error) {
      this.#writeFailed(error, "set");
      return false;
    }
  }

  /**
   * Stores `value` only if `key` is absent (SET NX), atomically. One round
   * trip; none with `ttl: 0` (nothing can be added: false).
   * @returns true when this call stored the value; false when the key was
   *   there, for `ttl: 0`, or when the store did not answer.
   * @throws CacheKeyError, CacheValueError, CacheUsageError.
   */
  async add(key: string, value: unknown, options?: WriteOptions): Promise<boolean> {
    const fullKey = this.makeKey(key, options?.version);
    const text = encodeValue(value);
    const ttlMs = this.#ttlMs(options);
    if (ttlMs === 0) return false;
    try {
      return await this.backend.setNx(fullKey, text, ttlMs);
    } catch (error) {
      this.#writeFailed(error, "add");
      return false;
    }
  }

  /**
   * The cached value, or on a miss: `load()` (or `value` itself if it is not
   * a function), stored with `add` (so a value another process stored
   * meanwhile is kept, as in Django) and returned. One round trip on a hit,
   * two on a miss (Django re-reads: three). No per-key locking: concurrent
   * misses each load; the read-through strategy adds that.
   * @throws what `load` throws; CacheValueError if it gives undefined or non-JSON.
   */
  async getOrSet<T>(key: string, valueOrLoad: T | (() => T | Promise<T>), options?: WriteOptions): Promise<T> {
    const hit = await this.get<T>(key, options);
    if (hit !== undefined) return hit;
    const value = typeof valueOrLoad === "function" ? await (valueOrLoad as () => T | Promise<T>)() : valueOrLoad;
    await this.add(key, value, options);
    return value;
  }

  /**
   * The values of `keys`, LINED UP WITH `keys`: `result[i]` is the value of
   * `keys[i]`, `undefined` for a miss; duplicates are answered twice. ONE
   * round trip (MGET) whatever the number of keys; none for `[]`. If the
   * store does not answer, all are misses.
   *
   * Django returns a dict of the hits only; an array lined up with the input
   * (as DataLoader's batch contract) needs no key lookups, keeps duplicates
   * and order, and maps straight onto "load the misses by index".
   */
  async getMany<T = unknown>(keys: readonly string[], options?: VersionOption): Promise<(T | undefined)[]> {
    if (keys.length === 0) return [];
    const fullKeys = this.#makeKeys(keys, options?.version);
    let raws: (string | undefined)[];
    try {
      raws = await this.backend.mget(fullKeys);
    } catch (error) {
      this.#readFailed(error, "getMany");
      return Array.from({ length: keys.length }, () => undefined);
    }
    return raws.map((raw, i) => (raw === undefined ? undefined : this.#decode<T>(raw, fullKeys[i] ?? "")));
  }

  /**
   * Stores every entry with the same `ttl`. ONE round trip whatever the number
   * of entries (a pipeline; each SET is atomic, the batch is not); none when
   * empty. With `ttl: 0` the keys are deleted instead (one UNLINK).
   * Every key and value is checked before anything is sent.
   * @returns the keys that were not stored (Django's set_many contract):
   *   empty on success; all of them if the store did not answer.
   */
  async setMany(entries: CacheEntries, options?: WriteOptions): Promise<string[]> {
    const pairs: (readonly [string, unknown])[] =
      Symbol.iterator in entries
        ? Array.from(entries as Iterable<readonly [string, unknown]>)
        : Object.entries(entries as Readonly<Record<string, unknown>>);
    if (pairs.length === 0) return [];
    const ttlMs = this.#ttlMs(options);
    const version = options?.version ?? this.version;
    assertVersion(version);
    // Every key and value is checked here, before anything is sent.
    const raw: RawEntry[] = pairs.map(([key, value]) => ({
      key: makeKey(this.prefix, version, key),
      value: encodeValue(value),
      ttlMs: ttlMs === 0 ? null : ttlMs,
    }));
    try {
      if (ttlMs === 0) {
        await this.backend.del(raw.map((entry) => entry.key));
        return [];
      }
      const failed = await this.backend.mset(raw);
      if (failed.length === 0) return [];
      const userKeyOf = new Map(raw.map((entry, i) => [entry.key, pairs[i]?.[0] ?? entry.key]));
      return failed.map((rawKey) => userKeyOf.get(rawKey) ?? rawKey);
    } catch (error) {
      this.#writeFailed(error, "setMany");
      return pairs.map(([key]) => key);
    }
  }

  /**
   * Removes `key`. One round trip (UNLINK).
   * @returns true when it was there; false when absent or the store did not answer.
   */
  async delete(key: string, options?: VersionOption): Promise<boolean> {
    const fullKey = this.makeKey(key, options?.version);
    try {
      return (await this.backend.del([fullKey])) > 0;
    } catch (error) {
      this.#writeFailed(error, "delete");
      return false;
    }
  }

  /**
   * Removes every key. ONE round trip (UNLINK); none for `[]`.
   * @returns how many were there (0 if the store did not answer).
   */
  async deleteMany(keys: readonly string[], options?: VersionOption): Promise<number> {
    if (keys.length === 0) return 0;
    const fullKeys = this.#makeKeys(keys, options?.version);
    try {
      return await this.backend.del(fullKeys);
    } catch (error) {
      this.#writeFailed(error, "deleteMany");
      return 0;
    }
  }

  /**
   * Whether `key` holds a value (a cached null counts), without transferring
   * it. One round trip (EXISTS). False when the store did not answer.
   */
  async has(key: string, options?: VersionOption): Promise<boolean> {
    const fullKey = this.makeKey(key, options?.version);
    try {
      return await this.backend.exists(fullKey);
    } catch (error) {
      this.#readFailed(error, "has");
      return false;
    }
  }

  /**
   * Sets a new TTL on an existing key (default: the cache's): PEXPIRE; `null`
   * removes the expiry (a script, so an existing key without TTL still
   * answers true); `0` deletes it. One round trip.
   * @returns true when the key exists (and was touched); false otherwise or
   *   when the store did not answer.
   */
  async touch(key: string, options?: WriteOptions): Promise<boolean> {
    const fullKey = this.makeKey(key, options?.version);
    const ttlMs = this.#ttlMs(options);
    try {
      if (ttlMs === 0) return (await this.backend.del([fullKey])) > 0;
      return await this.backend.expire(fullKey, ttlMs);
    } catch (error) {
      this.#writeFailed(error, "touch");
      return false;
    }
  }

  /**
   * Adds `delta` (an integer, default 1) to the integer at `key`, atomically
   * (one script: exists check + INCRBY; concurrent calls never lose an
   * update), keeping its TTL. One round trip.
   * @returns the new value; `undefined` if the store did not answer (nothing
   *   is known to have changed).
   * @throws CacheKeyMissingError when the key is absent (nothing is created —
   *   Django's ValueError); CacheValueError when the value is not an integer
   *   or the result leaves int64; CacheUsageError for a non-integer delta.
   */
  async incr(key: string, delta = 1, options?: VersionOption): Promise<number | undefined> {
    assertDelta(delta);
    const fullKey = this.makeKey(key, options?.version);
    let result: number | undefined;
    try {
      result = await this.backend.incrBy(fullKey, delta);
    } catch (error) {
      this.#writeFailed(error, "incr");
      return undefined;
    }
    if (result === undefined) throw new CacheKeyMissingError(key);
    return result;
  }

  /** `incr(key, -delta)`: same guarantees, cost and errors. */
  async decr(key: string, delta = 1, options?: VersionOption): Promise<number | undefined> {
    assertDelta(delta);
    return this.incr(key, -delta, options);
  }

  /**
   * Removes every key of THIS cache's prefix, all versions (SCAN MATCH
   * `prefix:*` + UNLINK in batches of ~1,000 — never FLUSHDB, so other
   * prefixes and other apps on the same Redis are untouched). Several round
   * trips, each counted; not atomic (keys written meanwhile may survive).
   * An ADMIN operation (tests, a deploy script), not an invalidation
   * mechanism: invalidate by deleting or versioning the keys that changed.
   * Fail-open like a write: a failure is logged, not thrown.
   */
  async clear(): Promise<void> {
    try {
      await this.backend.scanDelete(prefixOf(this.prefix));
    } catch (error) {
      this.#writeFailed(error, "clear");
    }
  }

  /**
   * What this cache holds in its store, for an operator: the store's memory
   * use and this prefix's key count (all versions), looking at no more than
   * about `limit` keys of the store (`complete` false when it stopped there).
   * Several round trips (SCAN): poll it every few seconds at most, never from
   * a request's read path. Undefined when the store does not answer.
   */
  async storeStats(limit = 100_000): Promise<StoreStats | undefined> {
    try {
      return await this.backend.storeStats(prefixOf(this.prefix), limit);
    } catch {
      return undefined;
    }
  }

  /**
   * Django's incr_version: moves the value of `key` (and its TTL) from
   * `version` (default: the cache's) to `version + delta`, overwriting what
   * was there, and deletes the old one — atomically (one script, RENAME). One
   * round trip.
   * @returns the new version; `undefined` if the store did not answer.
   * @throws CacheKeyMissingError when the key is absent at `version`.
   */
  async incrVersion(key: string, delta = 1, options?: VersionOption): Promise<number | undefined> {
    assertDelta(delta);
    const version = options?.version ?? this.version;
    const next = version + delta;
    const from = this.makeKey(key, version);
    const to = this.makeKey(key, next);
    let moved: boolean;
    try {
      moved = await this.backend.move(from, to);
    } catch (error) {
      this.#writeFailed(error, "incrVersion");
      return undefined;
    }
    if (!moved) throw new CacheKeyMissingError(key);
    return next;
  }

  /** `incrVersion(key, -delta)`: same guarantees, cost and errors. */
  async decrVersion(key: string, delta = 1, options?: VersionOption): Promise<number | undefined> {
    assertDelta(delta);
    return this.incrVersion(key, -delta, options);
  }

  /**
   * Closes the backend (QUIT on Redis, bounded by the timeout) — for every
   * Cache sharing it. Idempotent. Later calls behave as if the store were
   * down: misses, dropped writes. No round trip on memory.
   */
  async close(): Promise<void> {
    await this.backend.close();
  }

  /** makeKey for many keys: the version is checked once. */
  #makeKeys(keys: readonly string[], version: number = this.version): string[] {
    assertVersion(version);
    return keys.map((key) => makeKey(this.prefix, version, key));
  }

  #ttlMs(options: WriteOptions | undefined): number | null {
    const ttl = options?.ttl === undefined ? this.defaultTtl : options.ttl;
    return ttlToMs(ttl);
  }

  #decode<T>(raw: string, fullKey: string): T | undefined {
    try {
      return decodeValue<T>(raw);
    } catch {
      // Not written by a Cache: serve a miss rather than break the read.
      recordError();
      this.#warn(`value at ${fullKey} is not JSON; treated as a miss`);
      return undefined;
    }
  }

  #readFailed(error: unknown, op: string): void {
    if (!(error instanceof CacheUnavailableError)) throw error;
    this.#warn(`${op} counted as a miss: ${error.message}`);
  }

  #writeFailed(error: unknown, op: string): void {
    if (!(error instanceof CacheUnavailableError)) throw error;
    this.#warn(`${op} dropped: ${error.message}`);
  }
}

/** Seconds → milliseconds; `0` means "do not store"; null = no expiry. */
function ttlToMs(ttl: number | null): number | null {
  if (ttl === null) return null;
  if (typeof ttl !== "number" || !Number.isFinite(ttl)) {
    throw new CacheUsageError(`Invalid TTL ${String(ttl)}: use seconds (a finite number) or null for no expiry`);
  }
  if (ttl <= 0) return 0;
  return Math.max(1, Math.round(ttl * 1000));
}

function assertDelta(delta: number): void {
  if (!Number.isSafeInteger(delta)) {
    throw new CacheUsageError(`Invalid delta ${String(delta)}: must be an integer`);
  }
}
