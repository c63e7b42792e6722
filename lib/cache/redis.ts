// The ONLY module of the project that imports ioredis (checked by
// boundaries.test.ts). Everything else talks to the `Backend` interface.
import { Redis } from "ioredis";
import { type Backend, type RawEntry, registeredScripts, type Script, type ScriptCall, type ScriptReply, type StoreStats } from "./backend";
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from "./circuit-breaker";
import { CacheUnavailableError, CacheValueError } from "./errors";
import { argsBytes, type BackendOp, byteLength, type CacheListener, type CallStats, recordCall, replyBytes } from "./events";
import { type CacheLogger, defaultLogger, rateLimited } from "./log";
import { incrByExistingScript, moveExistingScript, persistExistingScript } from "./scripts";

export interface RedisBackendOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` */
  url: string;
  /**
   * Longest wait for one round trip before it fails as a timeout (a miss, or a
   * dropped write, for Cache). Default 200 ms.
   */
  timeoutMs?: number;
  /** Longest wait for the TCP connection. Default max(1000, 5 × timeoutMs). */
  connectTimeoutMs?: number;
  /** Shows in CLIENT LIST. */
  connectionName?: string;
  /** Receives connection warnings, rate-limited. Default console.warn. */
  logger?: CacheLogger;
  /** Called after every call, like the process-wide listeners. */
  onEvent?: CacheListener;
  /** Circuit breaker settings (default: opens after 5 consecutive failures, probes after 1 s). */
  circuit?: CircuitBreakerOptions;
}

const SCAN_COUNT = 1_000;

/**
 * The Redis backend on ioredis, connecting lazily on the first call.
 *
 * Connection policy (fail fast, never hang):
 * - `lazyConnect`: nothing happens until the first call; the offline queue
 *   stays ON so that first call can wait for the connection (with it off,
 *   the first command after start would always fail).
 * - Every call goes through `#run`, which refuses at once while ioredis is
 *   reconnecting (the server was down a moment ago: fail fast instead of
 *   queueing), and races the reply against `timeoutMs` otherwise.
 * - `maxRetriesPerRequest: 1` empties ioredis's own queue after a failed
 *   reconnect, so commands cannot pile up during an outage.
 * - `close()` ends the connection and every reconnect timer, so a process
 *   that closes its caches exits.
 */
export function createRedisBackend(options: RedisBackendOptions): Backend {
  return new RedisBackend(options);
}

interface CallContext {
  roundTrips: number;
  /** Resolved, rejected or timed out: later outcomes are ignored. */
  settled: boolean;
}

class RedisBackend implements Backend {
  readonly kind = "redis" as const;
  readonly #client: Redis;
  readonly #timeoutMs: number;
  readonly #onEvent: CacheListener | undefined;
  readonly #breaker: CircuitBreaker;
  #closed = false;

  constructor(options: RedisBackendOptions) {
    this.#timeoutMs = options.timeoutMs ?? 200;
    this.#onEvent = options.onEvent;
    this.#breaker = new CircuitBreaker(options.circuit);
    this.#client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? Math.max(1_000, 5 * this.#timeoutMs),
      // Probe again soon, then every 2 s at most: a restarted Redis is used within seconds.
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
      // disconnect() arms a timer (default 2 s) that outlives a socket which
      // never connected, holding the process open after close().
      disconnectTimeout: this.#timeoutMs,
      ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    });
    const warn = rateLimited(options.logger ?? defaultLogger);
    // Without a listener ioredis stays silent; with one, an outage is one line per 10 s.
    this.#client.on("error", (error: Error) => warn(`Redis connection error: ${error.message}`));
    // Load every known script once per connection (also after a restart of
    // the server, which forgets them), so no request pays for SCRIPT LOAD.
    // Scripts defined later are loaded on first use (NOSCRIPT, below).
    this.#client.on("ready", () => {
      const pipeline = this.#client.pipeline();
      for (const script of registeredScripts()) pipeline.script("LOAD", script.lua);
      pipeline.exec().catch(() => {});
    });
  }

  /**
   * THE seam: every Redis call goes through here. It refuses calls that cannot
   * succeed (closed; reconnecting; the circuit breaker open), bounds the wait,
   * turns any failure into CacheUnavailableError,
   * reports the call (scope + listeners) once, success or not, and maps the
   * reply with `settle`.
   *
   * `reads`: how many keys the call reads, counted as misses if it fails.
   * Written with one explicit promise rather than async/await layers: this is
   * the hot path, and every promise costs an async-hook call when a request
   * scope (AsyncLocalStorage) is active.
   */
  #run<T, R>(
    op: BackendOp,
    keys: readonly string[],
    script: string | undefined,
    reads: number,
    bytesWritten: number,
    send: (client: Redis, call: CallContext) => Promise<T>,
    stats: (result: T) => CallStats,
    settle: (result: T) => R,
    urgent = false,
  ): Promise<R> {
    const startedAt = performance.now();
    const refused = this.#refusal(urgent);
    if (refused) {
      this.#report(op, script, keys, failedStats(0, reads, 0), startedAt, refused);
      return Promise.reject(refused);
    }
    const call: CallContext = { roundTrips: 1, settled: false };
    return new Promise<R>((resolve, reject) => {
      // Redis has no cancel: a write that times out may still be applied later.
      // The timer runs before I/O in each turn of the event loop: on a busy
      // process a reply that has already arrived would lose the race to it.
      // setImmediate runs after this turn's I/O, so only a reply that is
      // really late counts as a timeout, not our own event-loop lag.
      const timer = setTimeout(() => setImmediate(() => {
        if (call.settled) return;
        call.settled = true;
        const error = new CacheUnavailableError("timeout", `Redis did not answer ${op} within ${this.#timeoutMs} ms`);
        this.#breaker.failure();
        this.#report(op, script, keys, failedStats(call.roundTrips, reads, bytesWritten), startedAt, error);
        reject(error);
      }), this.#timeoutMs);
      let pending: Promise<T>;
      try {
        pending = send(this.#client, call);
      } catch (cause) {
        pending = Promise.reject(cause instanceof Error ? cause : new Error(String(cause)));
      }
      pending
        .then((result) => {
          if (call.settled) return; // already failed as a timeout
          const value = settle(result);
          const counted = stats(result);
          call.settled = true;
          clearTimeout(timer);
          this.#breaker.success();
          counted.roundTrips = call.roundTrips;
          counted.bytesWritten = bytesWritten;
          this.#report(op, script, keys, counted, startedAt, undefined);
          resolve(value);
        })
        .catch((cause: unknown) => {
          // The command failed, or settle/stats threw on its reply.
          if (call.settled) return;
          call.settled = true;
          clearTimeout(timer);
          const error = unavailable(op, cause);
          if (!(cause instanceof CacheValueError)) this.#breaker.failure();
          this.#report(op, script, keys, failedStats(call.roundTrips, reads, bytesWritten), startedAt, error);
          reject(error);
        });
    });
  }

  #refusal(urgent: boolean): CacheUnavailableError | undefined {
    if (this.#closed) return new CacheUnavailableError("closed", "The Redis cache is closed");
    const status = this.#client.status;
    // In these states a command would only wait in ioredis's offline queue for a server that is down.
    if (status === "reconnecting" || status === "close" || status === "end") return new CacheUnavailableError("offline", `Redis is unreachable (connection ${status})`);
    // Open after repeated failures (e.g. a server that accepts connections and never answers): refuse without waiting.
    if (!urgent && !this.#breaker.allow()) return new CacheUnavailableError("circuit-open", "Redis failed repeatedly; not trying again for a moment");
    return undefined;
  }

  circuitState(): CircuitState {
    return this.#breaker.state;
  }

  #report(op: BackendOp, script: string | undefined, keys: readonly string[], stats: CallStats, startedAt: number, error: CacheUnavailableError | undefined): void {
    recordCall("redis", op, script, keys, stats, startedAt, error, this.#onEvent);
  }

  mget(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    // ioredis answers null for a missing key; the Backend contract says undefined.
    return this.#run("mget", keys, undefined, keys.length, 0, (client) => client.mget(keys as string[]), readStats, (values) =>
      values.map((value) => value ?? undefined),
    );
  }

  set(key: string, value: string, ttlMs: number | null): Promise<void> {
    return this.#run("set", [key], undefined, 0, byteLength(value), (client) =>
      ttlMs === null ? client.set(key, value) : client.set(key, value, "PX", ttlMs), noReads, nothing);
  }

  setNx(key: string, value: string, ttlMs: number | null): Promise<boolean> {
    return this.#run("setNx", [key], undefined, 0, byteLength(value), (client) =>
      ttlMs === null ? client.set(key, value, "NX") : client.set(key, value, "PX", ttlMs, "NX"), noReads, (reply) => reply === "OK");
  }

  mset(entries: readonly RawEntry[], options: { urgent?: boolean } = {}): Promise<string[]> {
    if (entries.length === 0) return Promise.resolve([]);
    const keys = entries.map((entry) => entry.key);
    let bytes = 0;
    for (const entry of entries) bytes += byteLength(entry.value);
    return this.#run("mset", keys, undefined, 0, bytes, (client) => {
      const pipeline = client.pipeline();
      for (const { key, value, ttlMs } of entries) {
        if (ttlMs === null) pipeline.set(key, value);
        else pipeline.set(key, value, "PX", ttlMs);
      }
      return pipeline.exec();
    }, noReads, (results) => {
      if (!results) return keys;
      const failed: string[] = [];
      results.forEach(([error], i) => {
        if (error) failed.push(keys[i] ?? "");
      });
      return failed;
    }, options.urgent === true);
  }

  del(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0);
    return this.#run("del", keys, undefined, 0, 0, (client) => client.unlink(keys as string[]), noReads, same);
  }

  exists(key: string): Promise<boolean> {
    return this.#run("exists", [key], undefined, 1, 0, (client) => client.exists(key), (n) => ({
      roundTrips: 0,
      bytesWritten: 0,
      keysRead: 1,
      hits: n > 0 ? 1 : 0,
      misses: n > 0 ? 0 : 1,
      bytesRead: 0,
    }), (n) => n > 0);
  }

  async expire(key: string, ttlMs: number | null): Promise<boolean> {
    if (ttlMs === null) return (await this.eval(persistExistingScript, [key], [])) === 1;
    return this.#run("expire", [key], undefined, 0, 0, (client) => client.pexpire(key, ttlMs), noReads, (n) => n === 1);
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

  /** One reported call per round trip (each SCAN page, each UNLINK batch), each with its own timeout. */
  async scanDelete(prefix: string): Promise<number> {
    let removed = 0;
    await this.#scanPrefix("scanDelete", prefix, async (found) => {
      if (found.length > 0) removed += await this.#run("scanDelete", found, undefined, 0, 0, (client) => client.unlink(found), noReads, same);
    });
    return removed;
  }

  /** INFO memory, then SCAN pages until the keyspace is done or about `limit` keys were looked at; each call reported. */
  async storeStats(prefix: string, limit: number): Promise<StoreStats> {
    const info = await this.#run("storeStats", [], undefined, 0, 0, (client) => client.info("memory"), noReads, same);
    const used = /^used_memory:(\d+)\s*$/m.exec(info)?.[1];
    let keyCount = 0;
    let looked = 0;
    const complete = await this.#scanPrefix("storeStats", prefix, (found) => {
      keyCount += found.length;
      looked += SCAN_COUNT;
    }, () => looked < limit);
    return { usedMemoryBytes: used === undefined ? null : Number(used), keyCount, complete };
  }

  /**
   * SCAN MATCH `prefix*`, page by page (each page one reported call), until
   * the keyspace is done (true) or `more()` says stop (false).
   */
  async #scanPrefix(op: BackendOp, prefix: string, onPage: (keys: string[]) => void | Promise<void>, more: () => boolean = () => true): Promise<boolean> {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    let cursor = "0";
    do {
      const [next, found] = await this.#run(op, [prefix], undefined, 0, 0, (client) =>
        client.scan(cursor, "MATCH", pattern, "COUNT", SCAN_COUNT), noReads, same);
      cursor = next;
      await onPage(found);
    } while (cursor !== "0" && more());
    return cursor === "0";
  }

  /**
   * EVALSHA; on NOSCRIPT (first use on this server, or after a restart or
   * SCRIPT FLUSH) one pipeline of SCRIPT LOAD + EVALSHA: loaded for good (not
   * subject to the eviction of EVAL-cached scripts), two round trips in all.
   */
  eval<R extends ScriptReply>(script: Script<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R> {
    return this.#run("eval", keys, script.name, 0, argsBytes(args), async (client, call): Promise<unknown> => {
      try {
        return await client.evalsha(script.sha1, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
        call.roundTrips += 1;
        const results = await client
          .pipeline()
          .script("LOAD", script.lua)
          .evalsha(script.sha1, keys.length, ...keys, ...args)
          .exec();
        const last = results?.[1];
        if (!last) throw new Error(`no reply to EVALSHA ${script.name}`);
        if (last[0]) throw last[0];
        return last[1];
      }
    }, (result) => {
      const reads = script.account?.(result as R, keys);
      return { roundTrips: 0, bytesWritten: 0, keysRead: reads?.keysRead ?? 0, hits: reads?.hits ?? 0, misses: reads?.misses ?? 0, bytesRead: replyBytes(result as R) };
    }, (result) => result as R);
  }

  /**
   * One pipeline of EVALSHAs; when one answers NOSCRIPT (a restarted server),
   * one more pipeline loads the scripts and runs them all again (they are
   * reads: running one twice is harmless). One round trip, two the first time.
   */
  evalAll(calls: readonly ScriptCall[]): Promise<ScriptReply[]> {
    const keys = calls.flatMap((call) => call.keys);
    const name = "pipeline";
    const bytes = calls.reduce((n, call) => n + argsBytes(call.args), 0);
    const send = (client: Redis, load: boolean) => {
      const pipeline = client.pipeline();
      if (load) for (const call of calls) pipeline.script("LOAD", call.script.lua);
      for (const call of calls) pipeline.evalsha(call.script.sha1, call.keys.length, ...call.keys, ...call.args);
      return pipeline.exec().then((results) => {
        const replies = (results ?? []).slice(load ? calls.length : 0);
        if (replies.length !== calls.length) throw new Error(`no reply to ${name}`);
        return replies;
      });
    };
    return this.#run("eval", keys, name, 0, bytes, async (client, call): Promise<ScriptReply[]> => {
      let replies = await send(client, false);
      if (replies.some(([error]) => error instanceof Error && error.message.startsWith("NOSCRIPT"))) {
        call.roundTrips += 1;
        replies = await send(client, true);
      }
      return replies.map(([error, reply]) => {
        if (error) throw error;
        return reply as ScriptReply;
      });
    }, (replies) => {
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
      return { roundTrips: 0, bytesWritten: 0, keysRead, hits, misses, bytesRead: replyBytes(replies) };
    }, same);
  }

  /** QUIT (waits for pending replies, bounded by the timeout) when connected; otherwise drops the connection and its reconnect timer. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.#client;
    if (client.status === "ready") {
      let timer: NodeJS.Timeout | undefined;
      const quitting = client.quit().then(() => true, () => false);
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.#timeoutMs);
      });
      const quit = await Promise.race([quitting, timedOut]);
      clearTimeout(timer);
      if (quit) return;
    }
    client.disconnect();
  }
}

// Stats functions return a fresh object; #run fills in roundTrips and bytesWritten.
function noReads(): CallStats {
  return { roundTrips: 0, keysRead: 0, hits: 0, misses: 0, bytesRead: 0, bytesWritten: 0 };
}

function failedStats(roundTrips: number, reads: number, bytesWritten: number): CallStats {
  return { roundTrips, keysRead: reads, hits: 0, misses: reads, bytesRead: 0, bytesWritten };
}

function readStats(values: readonly (string | null)[]): CallStats {
  let hits = 0;
  let bytes = 0;
  for (const value of values) {
    if (value !== null && value !== undefined) {
      hits += 1;
      bytes += byteLength(value);
    }
  }
  return { roundTrips: 0, keysRead: values.length, hits, misses: values.length - hits, bytesRead: bytes, bytesWritten: 0 };
}

const nothing = (): void => undefined;
const same = <T>(value: T): T => value;

function unavailable(op: string, cause: unknown): CacheUnavailableError {
  if (cause instanceof CacheUnavailableError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new CacheUnavailableError("error", `Redis ${op} failed: ${message}`, { cause });
}
