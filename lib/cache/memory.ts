import { LRUCache } from "lru-cache";
import type { Backend, RawEntry, Script, ScriptCall, ScriptReply, ScriptStore, StoreStats } from "./backend";
import { CacheUnavailableError, CacheValueError } from "./errors";
import { argsBytes, byteLength, type BackendOp, type CacheListener, type CallStats, recordCall, replyBytes } from "./events";
import { incrByExistingScript, moveExistingScript, persistExistingScript } from "./scripts";

export interface MemoryBackendOptions {
  /** Most entries kept (least recently used go first). Default 10,000. */
  maxEntries?: number;
  /**
   * Most memory for keys + values, counted as string length (UTF-16 code
   * units: ≈ bytes for ASCII JSON). A value larger than this is not stored
   * (the next read misses). Default 64 MiB.
   */
  maxBytes?: number;
  /** Called after every call, like the process-wide listeners. */
  onEvent?: CacheListener;
}

const WRITE: CallStats = { roundTrips: 1, keysRead: 0, hits: 0, misses: 0, bytesRead: 0, bytesWritten: 0 };

/**
 * The in-memory backend (like Django's LocMemCache): one bounded LRU per
 * backend, per process, TTLs honoured on read. Same semantics and same
 * accounting as Redis — one call counts as one round trip — so the contract
 * tests and the request accounting read the same on both. Values are stored
 * as JSON text, so a reader never shares an object with the writer.
 */
export function createMemoryBackend(options: MemoryBackendOptions = {}): Backend {
  return new MemoryBackend(options);
}

class MemoryBackend implements Backend {
  readonly kind = "memory" as const;
  readonly #lru: LRUCache<string, string>;
  readonly #onEvent: CacheListener | undefined;
  readonly #store: ScriptStore;
  readonly #maxBytes: number;
  #closed = false;

  circuitState(): "closed" {
    return "closed";
  }

  constructor(options: MemoryBackendOptions) {
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#lru = new LRUCache<string, string>({
      max: options.maxEntries ?? 10_000,
      maxSize: this.#maxBytes,
      sizeCalculation: (value, key) => value.length + key.length,
    });
    this.#onEvent = options.onEvent;
    const lru = this.#lru;
    // The script view: synchronous, so a script's JS twin is atomic.
    this.#store = {
      get: (key) => lru.get(key),
      set: (key, value, ttlMs) => {
        if (ttlMs === "keep") {
          const left = lru.getRemainingTTL(key);
          lru.set(key, value, { ttl: left > 0 && Number.isFinite(left) ? Math.max(1, Math.ceil(left)) : 0 });
        } else {
          lru.set(key, value, { ttl: ttlMs ?? 0 });
        }
      },
      del: (key) => lru.delete(key),
      exists: (key) => lru.has(key),
      pttl: (key) => {
        if (!lru.has(key)) return -2;
        const left = lru.getRemainingTTL(key);
        return Number.isFinite(left) ? Math.max(1, Math.ceil(left)) : -1;
      },
      expire: (key, ttlMs) => {
        const value = lru.get(key);
        if (value === undefined) return false;
        lru.set(key, value, { ttl: ttlMs ?? 0 });
        return true;
      },
    };
  }

  /**
   * The one place every memory call goes through (mirrors the Redis seam):
   * refuses after close, times and reports the call.
   */
  #run<T>(op: BackendOp, keys: readonly string[], script: string | undefined, work: () => T, stats: (result: T) => CallStats, failedReads = 0): Promise<T> {
    const startedAt = performance.now();
    if (this.#closed) {
      const error = new CacheUnavailableError("closed", "The memory cache is closed");
      recordCall("memory", op, script, keys, { ...WRITE, roundTrips: 0, keysRead: failedReads, misses: failedReads }, startedAt, error, this.#onEvent);
      return Promise.reject(error);
    }
    let result: T;
    try {
      result = work();
    } catch (cause) {
      // A script's JS twin that throws (like a Lua error reply) or a value too big to keep.
      const error = new CacheUnavailableError("error", `Memory cache ${op} failed: ${(cause as Error).message}`, { cause });
      recordCall("memory", op, script, keys, { ...WRITE, keysRead: failedReads, misses: failedReads }, startedAt, error, this.#onEvent);
      return Promise.reject(error);
    }
    recordCall("memory", op, script, keys, stats(result), startedAt, undefined, this.#onEvent);
    return Promise.resolve(result);
  }

  #fits(key: string, value: string): boolean {
    return key.length + value.length <= this.#maxBytes;
  }

  /** lru-cache silently drops an entry larger than maxSize; fail the write instead, so set() reports false. */
  #assertFits(key: string, value: string): void {
    if (!this.#fits(key, value)) {
      this.#lru.delete(key);
      throw new RangeError(`value of ${key.length + value.length} characters exceeds the memory cache's maxBytes (${this.#maxBytes})`);
    }
  }

  mget(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.#run("mget", keys, undefined, () => keys.map((key) => this.#lru.get(key)), (values) => readStats(values), keys.length);
  }

  set(key: string, value: string, ttlMs: number | null): Promise<void> {
    return this.#run("set", [key], undefined, () => {
      this.#assertFits(key, value);
      this.#lru.set(key, value, { ttl: ttlMs ?? 0 });
    }, () => ({ ...WRITE, bytesWritten: byteLength(value) }));
  }

  setNx(key: string, value: string, ttlMs: number | null): Promise<boolean> {
    return this.#run("setNx", [key], undefined, () => {
      if (this.#lru.has(key)) return false;
      this.#assertFits(key, value);
      this.#lru.set(key, value, { ttl: ttlMs ?? 0 });
      return true;
    }, () => ({ ...WRITE, bytesWritten: byteLength(value) }));
  }

  mset(entries: readonly RawEntry[]): Promise<string[]> {
    if (entries.length === 0) return Promise.resolve([]);
    const keys = entries.map((entry) => entry.key);
    return this.#run("mset", keys, undefined, () => {
      const failed: string[] = [];
      for (const { key, value, ttlMs } of entries) {
        if (this.#fits(key, value)) this.#lru.set(key, value, { ttl: ttlMs ?? 0 });
        else {
          this.#lru.delete(key); // as a SET that failed would leave no stale value behind here
          failed.push(key);
        }
      }
      return failed;
    }, () => {
      let bytes = 0;
      for (const entry of entries) bytes += byteLength(entry.value);
      return { ...WRITE, bytesWritten: bytes };
    });
  }

  del(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0);
    return this.#run("del", keys, undefined, () => {
      let removed = 0;
      // has() first: delete() of an expired entry reports true, UNLINK says 0.
      for (const key of keys) if (this.#lru.has(key) && this.#lru.delete(key)) removed += 1;
      return removed;
    }, () => WRITE);
  }

  exists(key: string): Promise<boolean> {
    return this.#run("exists", [key], undefined, () => this.#lru.has(key), (found) => ({
      ...WRITE,
      keysRead: 1,
      hits: found ? 1 : 0,
      misses: found ? 0 : 1,
    }), 1);
  }

  expire(key: string, ttlMs: number | null): Promise<boolean> {
    if (ttlMs === null) return this.eval(persistExistingScript, [key], []).then((reply) => reply === 1);
    return this.#run("expire", [key], undefined, () => this.#store.expire(key, ttlMs), () => WRITE);
  }

  async incrBy(key: string, delta: number): Promise<number | undefined> {
    const reply = await this.eval(incrByExistingScript, [key], [delta]);
    if (reply === null) return undefined;
    if (typeof reply === "number") return reply;
    throw new CacheValueError(`Cannot incr/decr ${key}: ${reply[0]}`);
  }

  async move(from: string, to: string): Promise<boolean> {
    return (await this.eval(moveExistingScript, [from, to], [])) === 1;
  }

  scanDelete(prefix: string): Promise<number> {
    return this.#run("scanDelete", [prefix], undefined, () => {
      const doomed: string[] = [];
      for (const key of this.#lru.keys()) if (key.startsWith(prefix)) doomed.push(key);
      for (const key of doomed) this.#lru.delete(key);
      return doomed.length;
    }, () => WRITE);
  }

  /** Counted bytes (key + value lengths, as `maxBytes` bounds them) and the live keys of the prefix; never partial. */
  storeStats(prefix: string): Promise<StoreStats> {
    return this.#run("storeStats", [prefix], undefined, () => {
      this.#lru.purgeStale();
      let keyCount = 0;
      for (const key of this.#lru.keys()) if (key.startsWith(prefix)) keyCount += 1;
      return { usedMemoryBytes: this.#lru.calculatedSize, keyCount, complete: true };
    }, () => WRITE);
  }

  eval<R extends ScriptReply>(script: Script<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R> {
    return this.#run("eval", keys, script.name, () => script.run(this.#store, keys, args.map(String)), (reply) => {
      const reads = script.account?.(reply, keys);
      return {
        roundTrips: 1,
        keysRead: reads?.keysRead ?? 0,
        hits: reads?.hits ?? 0,
        misses: reads?.misses ?? 0,
        bytesRead: replyBytes(reply),
        bytesWritten: argsBytes(args),
      };
    });
  }

  evalAll(calls: readonly ScriptCall[]): Promise<ScriptReply[]> {
    const keys = calls.flatMap((call) => call.keys);
    return this.#run("eval", keys, "pipeline", () =>
      calls.map((call) => call.script.run(this.#store, call.keys, call.args.map(String))), (replies) => {
      let keysRead = 0;
      let hits = 0;
      let misses = 0;
      replies.forEach((reply, i) => {
        const call = calls[i]!;
        const reads = call.script.account?.(reply, call.keys);
        keysRead += reads?.keysRead ?? 0;
        hits += reads?.hits ?? 0;
        misses += reads?.misses ?? 0;
      });
      return { roundTrips: 1, keysRead, hits, misses, bytesRead: replyBytes(replies), bytesWritten: calls.reduce((n, call) => n + argsBytes(call.args), 0) };
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#lru.clear();
    return Promise.resolve();
  }
}

function readStats(values: readonly (string | undefined)[]): CallStats {
  let hits = 0;
  let bytes = 0;
  for (const value of values) {
    if (value !== undefined) {
      hits += 1;
      bytes += byteLength(value);
    }
  }
  return { roundTrips: 1, keysRead: values.length, hits, misses: values.length - hits, bytesRead: bytes, bytesWritten: 0 };
}
