import { CacheKeyError, CacheUsageError, truncate } from "./errors";

/** Longest full key (`prefix:version:key`), as Django's memcached check (250). */
export const MAX_KEY_LENGTH = 250;

/** Whitespace (any Unicode space, tab, newline) or a control character. */
const BAD_KEY_CHAR = /[\s\p{Cc}]/u;
/** A prefix is plain ASCII without ':' (so one cache's SCAN pattern never matches another's keys) or glob characters. */
const PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

/** Throws unless `prefix` is 1-64 of `A-Z a-z 0-9 _ . -`. */
export function assertPrefix(prefix: string): void {
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    throw new CacheUsageError(
      `Invalid cache prefix ${JSON.stringify(prefix)}: use 1-64 of A-Z a-z 0-9 _ . - (no ':')`,
    );
  }
}

/** Throws unless `version` is a safe integer. */
export function assertVersion(version: number): void {
  if (!Number.isSafeInteger(version)) {
    throw new CacheUsageError(`Invalid cache version ${String(version)}: must be an integer`);
  }
}

/**
 * THE key function: `prefix:version:key` (Django's `default_key_func`). Every
 * key the Cache sends to a backend is built here, and refused here when it is
 * invalid, so an invalid key fails the same way on Redis and in memory.
 *
 * @throws CacheKeyError when `key` is empty, contains whitespace or a control
 *   character, or when the full key is longer than 250 characters (UTF-16
 *   code units). Unicode letters are fine.
 */
export function makeKey(prefix: string, version: number, key: string): string {
  if (typeof key !== "string" || key.length === 0) {
    throw new CacheKeyError(`Invalid cache key ${JSON.stringify(key)}: must be a non-empty string`);
  }
  if (BAD_KEY_CHAR.test(key)) {
    throw new CacheKeyError(
      `Invalid cache key ${JSON.stringify(truncate(key))}: contains whitespace or a control character`,
    );
  }
  const full = `${prefix}:${version}:${key}`;
  if (full.length > MAX_KEY_LENGTH) {
    throw new CacheKeyError(
      `Invalid cache key ${JSON.stringify(truncate(key))}: ${full.length} characters once prefixed as "${prefix}:${version}:…", more than ${MAX_KEY_LENGTH}`,
    );
  }
  return full;
}

/** The start shared by every key of one cache, all versions: what `clear()` removes. */
export function prefixOf(prefix: string): string {
  return `${prefix}:`;
}
