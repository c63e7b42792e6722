import { currentScope } from "@/lib/scope";
import type { ScriptReply } from "./backend";
import type { CacheUnavailableError } from "./errors";

export type BackendKind = "redis" | "memory";

/**
 * The backend method that made the call. One event per call, whatever its
 * round trips (a NOSCRIPT reload counts 2 in the same event) — except
 * `scanDelete`, which reports each SCAN page and each UNLINK batch on its own.
 * `incrBy`, `move` and `expire(…, null)` run a script: they report as "eval"
 * with the script's name.
 */
export type BackendOp =
  | "mget"
  | "set"
  | "setNx"
  | "mset"
  | "del"
  | "exists"
  | "expire"
  | "scanDelete"
  | "storeStats"
  | "eval";

/** What one backend call cost. Counts only; no values. */
export interface CallStats {
  /** Requests sent to the store: a pipeline or one script call is 1; a call refused before sending is 0. */
  roundTrips: number;
  /** Keys whose value was asked for (MGET, EXISTS, or what a script's `account` says). */
  keysRead: number;
  /** Keys found. */
  hits: number;
  /** Keys not found, or not read because the call failed. */
  misses: number;
  /** UTF-8 bytes of the values received. */
  bytesRead: number;
  /** UTF-8 bytes of the values sent. */
  bytesWritten: number;
}

/**
 * One backend call, as seen by a listener. `keys` is the caller's own array
 * (raw keys, `prefix:version:key`), passed by reference: do not mutate it, and
 * copy it if you keep it. A subscriber that derives a key family (for
 * per-family metrics) can take the part after `prefix:version:`.
 */
export interface CacheEvent extends Readonly<CallStats> {
  readonly backend: BackendKind;
  readonly op: BackendOp;
  /** The script's name for `eval`. */
  readonly script: string | undefined;
  readonly keys: readonly string[];
  readonly durationMs: number;
  /** Set when the call failed; the caller saw a miss or a dropped write. */
  readonly error: CacheUnavailableError | undefined;
}

export type CacheListener = (event: CacheEvent) => void;

// On globalThis: one set per process even when this module is loaded more
// than once (Next bundles it into several server chunks; server.ts loads its own).
const listeners = ((globalThis as unknown as { blogCacheListeners?: Set<CacheListener> }).blogCacheListeners ??= new Set<CacheListener>());

/**
 * Subscribes to every backend call of every cache in the process (metrics,
 * logs). Returns the unsubscribe function. A listener runs synchronously on
 * the hot path: keep it O(1); a listener that throws is ignored.
 */
export function onCacheEvent(listener: CacheListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/**
 * Reports one backend call: adds it to the current request scope (if any),
 * then tells the per-backend `onEvent` and the process-wide listeners. With no
 * listener, no event object is built: the cost is one AsyncLocalStorage
 * lookup and a few additions.
 */
export function recordCall(
  backend: BackendKind,
  op: BackendOp,
  script: string | undefined,
  keys: readonly string[],
  stats: CallStats,
  startedAt: number,
  error: CacheUnavailableError | undefined,
  onEvent: CacheListener | undefined,
): void {
  const durationMs = performance.now() - startedAt;
  const scope = currentScope();
  if (scope) {
    const account = scope.cache;
    account.roundTrips += stats.roundTrips;
    account.keysRead += stats.keysRead;
    account.hits += stats.hits;
    account.misses += stats.misses;
    account.bytesRead += stats.bytesRead;
    account.bytesWritten += stats.bytesWritten;
    account.durationMs += durationMs;
    if (error) account.errors += 1;
  }
  if (onEvent === undefined && listeners.size === 0) return;
  const event: CacheEvent = { backend, op, script, keys, durationMs, error, ...stats };
  if (onEvent) safeCall(onEvent, event);
  for (const listener of listeners) safeCall(listener, event);
}

/**
 * Counts an error that happened above the backend (a stored value that is not
 * JSON). Goes to the scope only.
 */
export function recordError(): void {
  const scope = currentScope();
  if (scope) scope.cache.errors += 1;
}

function safeCall(listener: CacheListener, event: CacheEvent): void {
  try {
    listener(event);
  } catch {
    // A metrics bug must not turn into a cache outage.
  }
}

/** UTF-8 size of a string; the accounting unit for bytes. */
export function byteLength(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

/** UTF-8 bytes of the strings in a script reply. */
export function replyBytes(reply: ScriptReply): number {
  if (typeof reply === "string") return byteLength(reply);
  if (Array.isArray(reply)) {
    let bytes = 0;
    for (const item of reply as readonly ScriptReply[]) bytes += replyBytes(item);
    return bytes;
  }
  return 0;
}

/** UTF-8 bytes of a script's arguments. */
export function argsBytes(args: readonly (string | number)[]): number {
  let bytes = 0;
  for (const arg of args) bytes += typeof arg === "string" ? byteLength(arg) : String(arg).length;
  return bytes;
}

// --- tag events: what the tag store (lib/cache/tags) found and did ---

/** Entries read through tags, per family: valid (hit), absent (miss), present but stale (miss + stale). */
export interface EntriesEvent {
  readonly type: "entries";
  /** lib/cache/tags/families.ts `entryFamily`: a bounded name. */
  readonly family: string;
  readonly hits: number;
  readonly misses: number;
  /** Of the misses: present in the store but stamped with an old token (never served). */
  readonly stale: number;
  /** The read failed: every entry counted as a miss, nothing known to be stale. */
  readonly failed: boolean;
}

/** One invalidation: the tags it bumped, whether the store confirmed it, and how many attempts it took. */
export interface BumpEvent {
  readonly type: "bump";
  /** Logical tag names (`post:7:likes`, `epoch`). */
  readonly tags: readonly string[];
  readonly ok: boolean;
  readonly attempts: number;
}

export type TagEvent = EntriesEvent | BumpEvent;
export type TagListener = (event: TagEvent) => void;

const tagListeners = ((globalThis as unknown as { blogTagListeners?: Set<TagListener> }).blogTagListeners ??= new Set<TagListener>());

/**
 * Subscribes to what every tag store in the process reads and bumps (metrics).
 * Returns the unsubscribe function. Runs synchronously: keep it O(1).
 */
export function onTagEvent(listener: TagListener): () => void {
  tagListeners.add(listener);
  return () => {
    tagListeners.delete(listener);
  };
}

/** Tells the tag listeners (none: nothing is built). */
export function recordTagEvent(build: () => TagEvent): void {
  if (tagListeners.size === 0) return;
  const event = build();
  for (const listener of tagListeners) {
    try {
      listener(event);
    } catch {
      // A metrics bug must not break a read.
    }
  }
}

/** Whether anyone listens for tag events (to skip counting work when nobody does). */
export function hasTagListeners(): boolean {
  return tagListeners.size > 0;
}
