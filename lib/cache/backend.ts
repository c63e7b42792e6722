import { createHash } from "node:crypto";
import type { BackendKind } from "./events";

/**
 * The store, at the level of raw strings. Keys are full keys (already built by
 * `makeKey`), values are JSON text, TTLs are milliseconds: `null` = no expiry,
 * otherwise a positive integer. The Cache layer owns keys, JSON, versions and
 * TTL semantics; a backend only stores.
 *
 * Two implementations with the same semantics: Redis (`createRedisBackend`)
 * and memory (`createMemoryBackend`). Both report every call to the request
 * scope and to listeners (see events.ts).
 *
 * Failure contract: a method rejects with `CacheUnavailableError` when the
 * store did not answer (timeout, connection, closed, error reply) and with
 * `CacheValueError` only for `incrBy` of a non-integer. Nothing else.
 */
export interface Backend {
  readonly kind: BackendKind;
  /** Values lined up with `keys` (`undefined` = absent). One round trip (MGET); none for `[]`. */
  mget(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** SET key value [PX ttl]. A null TTL also removes an existing expiry. One round trip. */
  set(key: string, value: string, ttlMs: number | null): Promise<void>;
  /** SET key value [PX ttl] NX. True when stored (the key was absent). One round trip. */
  setNx(key: string, value: string, ttlMs: number | null): Promise<boolean>;
  /**
   * Every entry in one round trip (a pipeline of SET … PX, not a transaction:
   * each SET is atomic, the batch is not). Resolves with the keys that were
   * not stored (empty when all were). None for `[]`.
   * `urgent`: goes out even while the circuit breaker is open (a tag bump,
   * whose loss costs a full flush); still refused while disconnected.
   */
  mset(entries: readonly RawEntry[], options?: { urgent?: boolean }): Promise<string[]>;
  /** UNLINK: how many of `keys` existed. One round trip; none for `[]`. */
  del(keys: readonly string[]): Promise<number>;
  /** EXISTS. One round trip. */
  exists(key: string): Promise<boolean>;
  /** PEXPIRE (or PERSIST when `ttlMs` is null, via a script). False when the key is absent. One round trip. */
  expire(key: string, ttlMs: number | null): Promise<boolean>;
  /**
   * Atomic "exists? then INCRBY" (one script call, one round trip). Keeps the
   * key's TTL. `undefined` when the key is absent (nothing is created).
   * @throws CacheValueError when the stored value is not an integer or would overflow int64.
   */
  incrBy(key: string, delta: number): Promise<number | undefined>;
  /** Atomic rename that keeps the TTL and overwrites `to`; false when `from` is absent. One round trip. */
  move(from: string, to: string): Promise<boolean>;
  /**
   * Removes every key that starts with `prefix` (SCAN + UNLINK in batches;
   * several round trips, each counted). Not atomic: keys written meanwhile
   * may survive. An admin operation.
   */
  scanDelete(prefix: string): Promise<number>;
  /**
   * Runs a script atomically: by SHA on Redis (EVALSHA, loaded on NOSCRIPT),
   * by its JS twin in memory. One round trip (two the first time Redis has to
   * load it).
   */
  eval<R extends ScriptReply>(script: Script<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R>;
  /**
   * Runs several scripts in ONE round trip (a pipeline of EVALSHAs; in memory,
   * one after the other): each atomic, the batch not. Replies line up with
   * `calls`. Fails as a whole when the store does not answer.
   */
  evalAll(calls: readonly ScriptCall[]): Promise<ScriptReply[]>;
  /**
   * What the store holds, for an operator: its memory use (Redis's
   * `used_memory`; the memory backend's counted bytes) and how many keys
   * start with `prefix` (SCAN MATCH, looking at no more than about `limit`
   * keys of the whole keyspace; `complete` is false when it stopped there).
   * Several round trips: for a dashboard, never for a request's read path.
   */
  storeStats(prefix: string, limit: number): Promise<StoreStats>;
  /** The circuit breaker's state ("closed" when the backend has none, as in memory). */
  circuitState(): "closed" | "open" | "half-open";
  /** Releases the connection / memory. Later calls fail as "closed" (misses for Cache). Idempotent. */
  close(): Promise<void>;
}

/** What `storeStats` found. */
export interface StoreStats {
  /** Bytes the whole store uses (all prefixes); null when it does not say. */
  readonly usedMemoryBytes: number | null;
  /** Keys of the prefix seen; all of them when `complete`. */
  readonly keyCount: number;
  readonly complete: boolean;
}

/** One entry for `mset`. */
export interface RawEntry {
  readonly key: string;
  readonly value: string;
  /** Milliseconds, or null for no expiry. */
  readonly ttlMs: number | null;
}

/**
 * What a script may return, as Redis converts a Lua value: a Lua number
 * becomes an integer (truncated), a string a string, `false` null, `true` 1,
 * and a table an array that STOPS at its first nil (use `false` for a hole).
 * The JS twin must return exactly what the Lua body would.
 */
export type ScriptReply = string | number | null | readonly ScriptReply[];

/**
 * The synchronous view of the memory store that a script's JS twin works on.
 * A twin runs to completion without awaiting, so it is as atomic as the Lua
 * body is on Redis. Values and keys are raw strings; TTLs in milliseconds.
 */
export interface ScriptStore {
  /** GET: undefined when absent or expired. */
  get(key: string): string | undefined;
  /**
   * SET. `ttlMs`: a positive number, null for no expiry (removes an existing
   * one, as SET does), or "keep" to keep the key's current TTL (SET … KEEPTTL).
   */
  set(key: string, value: string, ttlMs: number | null | "keep"): void;
  /** DEL: true when the key existed. */
  del(key: string): boolean;
  /** EXISTS. */
  exists(key: string): boolean;
  /** PTTL: milliseconds left, -1 when the key has no expiry, -2 when it is absent. */
  pttl(key: string): number;
  /** PEXPIRE, or PERSIST when null: true when the key exists. */
  expire(key: string, ttlMs: number | null): boolean;
}

/** One script call of `evalAll`. */
export interface ScriptCall {
  readonly script: Script;
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
}

/** How a script's reply counts as reads in the accounting (optional). */
export type ScriptAccount<R> = (reply: R, keys: readonly string[]) => { keysRead: number; hits: number; misses: number };

/**
 * An atomic operation defined once for both backends: a Lua body for Redis and
 * a JS twin for memory, which the contract tests run side by side. Define it
 * with `defineScript` at module level (the SHA is computed once).
 */
export interface Script<R extends ScriptReply = ScriptReply> {
  readonly name: string;
  readonly lua: string;
  /** SHA-1 of `lua`, as Redis computes it (what EVALSHA takes). */
  readonly sha1: string;
  /** The JS twin: same keys, args as strings (as Lua sees ARGV), same reply. */
  readonly run: (store: ScriptStore, keys: readonly string[], args: readonly string[]) => R;
  /** Counts keys read / hits / misses from the reply; without it a script counts as a write. */
  readonly account?: ScriptAccount<R>;
}

const registry = new Set<Script>();

/** Every script defined so far: a backend loads them all when it connects. */
export function registeredScripts(): readonly Script[] {
  return [...registry];
}

/** Defines a script (see `Script`). Call at module level. */
export function defineScript<R extends ScriptReply>(definition: {
  name: string;
  lua: string;
  run: (store: ScriptStore, keys: readonly string[], args: readonly string[]) => R;
  account?: ScriptAccount<R>;
}): Script<R> {
  const sha1 = createHash("sha1").update(definition.lua).digest("hex");
  const script = Object.freeze({ ...definition, sha1 });
  registry.add(script as Script);
  return script;
}
