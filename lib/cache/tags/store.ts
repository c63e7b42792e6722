import type { Cache } from "../cache";
import { hasTagListeners, recordTagEvent } from "../events";
import type { Script, ScriptCall } from "../backend";
import { encodeValue } from "../json";
import { OwedEpoch } from "./epoch";
import { entryFamily } from "./families";
import { fillTaggedScript, readIndexedScript, readTaggedScript, type WholeMode } from "./scripts";
import { decodeTagged, EPOCH_TAG, newToken, type Stored, type TaggedRead, type TaggedSpec, unknownToken, withEpoch } from "./tokens";
import { type Dependencies, encodeWhole, parseDeps, parseMeta, type WholeHit, type WholeMeta } from "./whole";

/**
 * Tag invalidation without SCAN, key patterns or growing key sets — the store.
 * (tokens.ts says what a tag, a token and a stamp are; scripts.ts holds the
 * Lua; whole.ts the whole responses; epoch.ts the last resort.)
 *
 * - A write bumps its tags (`invalidate`, one round trip, retried until the
 *   store confirms it) and every entry that depended on them, on every
 *   instance, is a miss from then on.
 * - A fill that raced a write is never served after it: its stamp was read
 *   before the write bumped the tag, so it is already old when it lands (and
 *   the fill script refuses it).
 * - A tag key that is missing (never used, expired, evicted) is created by the
 *   read that finds it, atomically, with a fresh token: every process then
 *   stamps with the same token, and an old entry never becomes valid again.
 * - Everything a read creates expires: tags live `TAG_GRACE_MS` beyond the
 *   entries stamped with them (a fill extends them), so Redis can run with
 *   `allkeys-lru` — a tag lost to eviction only invalidates its entries.
 *
 * All methods fail open: a store that does not answer reads as misses
 * (stamped with tokens no tag holds, so nothing is written that could be
 * served stale) and drops fills.
 */

/** How long a tag outlives the entries stamped with it (and lives when a read created it and nothing was filled). */
export const TAG_GRACE_MS = 60_000;
/** Attempts to confirm one invalidation before the epoch is owed instead. */
export const BUMP_ATTEMPTS = 3;
/** Pause before each retry of a bump (ms). */
const BUMP_BACKOFF_MS = [25, 100] as const;

/** A loader's lease on a key (strategies.ts `leased`): released by a fill only while this holder still has it. */
export interface Lease {
  readonly key: string;
  readonly token: string;
}

/** One entry to write back: its spec, the loaded value, the stamp from the read, a TTL in seconds. */
export interface TaggedFill {
  readonly spec: TaggedSpec;
  readonly value: unknown;
  readonly stamp: readonly string[];
  readonly ttl: number;
}

/** A whole response to store (whole.ts): its body, its meta line, what it was built from, a TTL in seconds. */
export interface WholeFill {
  /** Logical key. */
  readonly key: string;
  readonly body: string;
  readonly meta: WholeMeta;
  readonly deps: Dependencies;
  readonly ttl: number;
}

/** Options of a read that may be answered whole. */
export interface WholeOption {
  /** Try this whole entry first (logical key). */
  readonly whole?: string;
  /** On a whole hit, also return what it was built from (a page built from it depends on the same tags). */
  readonly deps?: boolean;
  /** Count a whole entry that is not valid as a miss (default true; see `readWhole`). */
  readonly countMiss?: boolean;
}

/** What `readWith` found: a valid whole entry, or the entries' reads. */
export type ReadResult<T> =
  | { readonly whole: WholeHit }
  | { readonly whole?: undefined; readonly wholeState: "absent" | "stale" | null; readonly reads: TaggedRead<T>[] };

/** What `readIndexed` found: a valid whole entry, or the index and its rows. */
export type IndexedRead<T> =
  | { readonly whole: WholeHit }
  | {
      readonly whole?: undefined;
      readonly wholeState: "absent" | "stale" | null;
      readonly index: TaggedRead<T>;
      readonly rows: { readonly id: number; readonly entries: TaggedRead<unknown>[] }[];
    };

export class TagStore {
  readonly #epoch: OwedEpoch;

  constructor(readonly cache: Cache) {
    this.#epoch = new OwedEpoch(async () => {
      const ok = await this.#bump([EPOCH_TAG]);
      recordTagEvent(() => ({ type: "bump", tags: [EPOCH_TAG], ok, attempts: 1 }));
      return ok;
    });
  }

  /** The raw key of a tag's token. */
  tagKey(tag: string): string {
    return this.cache.makeKey(`tag:${tag}`);
  }

  /** The raw key of an entry. */
  entryKey(key: string): string {
    return this.cache.makeKey(key);
  }

  /** The raw key of a loader's lease on `key` (strategies.ts `leased`). */
  leaseKey(key: string): string {
    return this.cache.makeKey(`lease:${key}`);
  }

  /** True while an epoch bump is owed (an invalidation was not confirmed and the store has not answered since). */
  get epochBumpPending(): boolean {
    return this.#epoch.owed;
  }

  /**
   * Bumps `tags`: every entry stamped with one of them is a miss from now on,
   * on every instance. One round trip (a pipeline of SETs; none for `[]`).
   * Call after the database transaction commits, before answering the write.
   *
   * A bump that is not confirmed (a timeout — it may still have landed — an
   * error, the circuit open) is sent again, up to BUMP_ATTEMPTS times, past
   * the circuit breaker: a second bump of a tag is harmless. Only when none
   * is confirmed is the epoch owed (epoch.ts): the last resort, a full flush.
   */
  async invalidate(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    await this.#epoch.settle();
    const unique = [...new Set(tags)];
    let attempts = 0;
    let ok = false;
    while (!ok && attempts < BUMP_ATTEMPTS) {
      if (attempts > 0) await new Promise((resolve) => setTimeout(resolve, BUMP_BACKOFF_MS[attempts - 1] ?? 100));
      attempts += 1;
      ok = await this.#bump(unique);
    }
    recordTagEvent(() => ({ type: "bump", tags: unique, ok, attempts }));
    if (!ok) this.#epoch.owe();
  }

  /** One bump: new tokens for `tags`. True when the store confirmed every SET. */
  async #bump(tags: readonly string[]): Promise<boolean> {
    try {
      const entries = tags.map((tag) => ({ key: this.tagKey(tag), value: newToken(), ttlMs: TAG_GRACE_MS }));
      return (await this.cache.backend.mset(entries, { urgent: true })).length === 0;
    } catch {
      return false;
    }
  }

  /**
   * Reads entries and the tokens of all their tags in ONE round trip (one
   * script call; missing tags are created). Results line up with `specs`. A
   * miss carries the stamp a fill must use.
   */
  async read<T>(specs: readonly TaggedSpec[]): Promise<TaggedRead<T>[]> {
    if (specs.length === 0) return [];
    const result = await this.readWith<T>(specs);
    return result.whole ? [] : result.reads;
  }

  /**
   * `read`, trying a whole entry first (`options.whole`): when it is valid the
   * answer is its body and meta alone (and its dependencies, if asked), with
   * nothing else read. `options.alongside` are read in either case (a
   * signed-in reader's own entries beside the anonymous whole response), in
   * the same round trip (a pipeline of two script calls).
   */
  async readWith<T>(specs: readonly TaggedSpec[], options: WholeOption & { alongside?: readonly TaggedSpec[] } = {}): Promise<ReadResult<T> & { alongside: TaggedRead<unknown>[] }> {
    const main = this.#readCall(specs, options);
    const extra = options.alongside?.length ? this.#readCall(options.alongside, {}) : undefined;
    const replies = await this.#run(extra ? [main.call, extra.call] : [main.call]);
    const decoded = extra?.decode(replies?.[1]);
    const alongside = decoded && !decoded.whole ? decoded.reads : [];
    const first = main.decode<T>(replies?.[0]);
    return { ...first, alongside };
  }

  /** One readTagged call for `plain` (and a whole entry), with the function that decodes its reply (undefined: failed). */
  #readCall(plain: readonly TaggedSpec[], options: WholeOption) {
    const specs = plain.map(withEpoch);
    const tagIndex = new Map<string, number>();
    for (const spec of specs) for (const tag of spec.tags) if (!tagIndex.has(tag)) tagIndex.set(tag, tagIndex.size);
    const wholeKeys = options.whole === undefined ? [] : [this.entryKey(options.whole)];
    const mode: WholeMode = wholeKeys.length === 0 ? "0" : options.deps ? "2" : "1";
    const tagKeys = [...tagIndex.keys()].map((tag) => this.tagKey(tag));
    const keys = [...wholeKeys, ...specs.map((s) => this.entryKey(s.key)), ...tagKeys];
    const call = { script: readTaggedScript, keys, args: [String(specs.length), newToken(), String(TAG_GRACE_MS), mode] };
    const decode = <T>(reply: (string | null)[] | undefined): ReadResult<T> => {
      const whole = asWhole(reply);
      if (whole) {
        this.#count(options.whole, "valid", [], false);
        return { whole };
      }
      const failed = reply === undefined;
      const values = reply ?? [];
      const unreachable = unknownToken();
      const tokens = tagKeys.map((_, i) => (values[2 + specs.length + i] ?? unreachable) as string);
      const reads = specs.map((spec, i) => {
        const at = spec.tags.map((tag) => tagIndex.get(tag) ?? 0);
        return decodeTagged<T>(values[2 + i] ?? undefined, at.map((t) => tokens[t] ?? unreachable), at.map((t) => tagKeys[t] ?? ""));
      });
      const wholeState = wholeKeys.length === 0 ? null : failed ? "absent" : (values[1] as "absent" | "stale");
      this.#count(options.countMiss === false ? undefined : options.whole, wholeState, reads.map((r, i) => [specs[i]!.key, r] as const), failed);
      return { wholeState, reads };
    };
    return { call, decode };
  }

  /**
   * A whole entry alone (the server's fast path): its body and meta when
   * valid, else null. One round trip. `countMiss: false` counts only a hit in
   * the metrics: for a caller whose miss is always followed by a read that
   * counts it (the framework's read of the same entry).
   */
  async readWhole(key: string, options: { deps?: boolean; countMiss?: boolean } = {}): Promise<WholeHit | null> {
    const result = await this.readWith([], { whole: key, ...(options.deps ? { deps: true } : {}), countMiss: options.countMiss ?? true });
    return result.whole ?? null;
  }

  /**
   * Reads an index entry (whose value has `ids`), its tags, and for each id
   * listed in it the entries `derived` describes (`{id}` in their keys and
   * tags stands for the id), with the tokens of their tags — all in ONE round
   * trip (one script call). A whole warm list page is one call; with
   * `options.whole`, the same call first tries that whole entry.
   *
   * `rows` follows the ids of the index entry; it is empty when the index is
   * a miss (the caller loads the ids, then `read`s their entries).
   */
  readIndexed<T extends { ids: number[] }>(index: TaggedSpec, derived: readonly TaggedSpec[]): Promise<Extract<IndexedRead<T>, { whole?: undefined }>>;
  readIndexed<T extends { ids: number[] }>(index: TaggedSpec, derived: readonly TaggedSpec[], options: WholeOption): Promise<IndexedRead<T>>;
  async readIndexed<T extends { ids: number[] }>(index: TaggedSpec, plainDerived: readonly TaggedSpec[], options: WholeOption = {}): Promise<IndexedRead<T>> {
    const indexSpec = withEpoch(index);
    const derived = plainDerived.map(withEpoch);
    const tags = [...new Set(derived.flatMap((d) => d.tags))];
    const templates = [...derived.map((d) => this.entryKey(d.key)), ...tags.map((t) => this.tagKey(t))];
    const wholeKeys = options.whole === undefined ? [] : [this.entryKey(options.whole)];
    const mode: WholeMode = wholeKeys.length === 0 ? "0" : options.deps ? "2" : "1";
    const indexTagKeys = indexSpec.tags.map((t) => this.tagKey(t));
    const reply = (
      await this.#run([
        { script: readIndexedScript, keys: [...wholeKeys, this.entryKey(indexSpec.key), ...indexTagKeys], args: [newToken(), String(TAG_GRACE_MS), mode, String(derived.length), ...templates] },
      ])
    )?.[0];
    const whole = asWhole(reply);
    if (whole) {
      this.#count(options.whole, "valid", [], false);
      return { whole };
    }
    const failed = reply === undefined;
    const values = reply ?? [];
    const unreachable = unknownToken();
    const head = 3 + indexSpec.tags.length;
    const indexRead = decodeTagged<T>(
      values[2] ?? undefined,
      indexSpec.tags.map((_, i) => (values[3 + i] ?? unreachable) as string),
      indexTagKeys,
    );
    const ids = indexRead.hit ? indexRead.value.ids : [];
    const counted: (readonly [string, TaggedRead<unknown>])[] = [[indexSpec.key, indexRead]];
    const rows = ids.map((id, r) => {
      const base = head + r * templates.length;
      const tokens = new Map(tags.map((tag, t) => [tag, (values[base + derived.length + t] ?? unreachable) as string]));
      const entries = derived.map((d, e) => {
        const read = decodeTagged<unknown>(
          values[base + e] ?? undefined,
          d.tags.map((tag) => tokens.get(tag) ?? unreachable),
          d.tags.map((tag) => this.tagKey(tag.replaceAll("{id}", `{${id}}`))),
        );
        counted.push([d.key, read]);
        return read;
      });
      return { id, entries };
    });
    const wholeState = wholeKeys.length === 0 ? null : failed ? "absent" : (values[1] as "absent" | "stale");
    this.#count(options.whole, wholeState, counted, failed);
    return { wholeState, index: indexRead, rows };
  }

  /**
   * Writes entries back in ONE round trip (one script call), each only if its
   * tags still hold the tokens of its stamp; extends those tags to outlive
   * it. None for nothing to do. Never throws for a store that is down.
   * `wholes` are written in the same call, each only if every tag it was
   * built from still holds the token read for it (not at all when that is
   * unknown or inconsistent: `Dependencies.storable`); the leases in
   * `release` are freed in it, if their holder still has them.
   * @throws CacheValueError when a value is not plain JSON (a programming error).
   */
  async fill(entries: readonly TaggedFill[], wholes: readonly WholeFill[] = [], options: { release?: readonly Lease[] } = {}): Promise<void> {
    const leases = options.release ?? [];
    if (this.#epoch.owed) return; // stamped before a lost bump: they would be invalid, and the leases expire
    const slot = new Map<string, number>();
    const tagKeys: string[] = [];
    const tokens: string[] = [];
    const slotOf = (tagKey: string, token: string): number => {
      const id = `${tagKey}\u0000${token}`;
      let at = slot.get(id);
      if (at === undefined) {
        at = tagKeys.length + 1;
        slot.set(id, at);
        tagKeys.push(tagKey);
        tokens.push(token);
      }
      return at;
    };
    const entryKeys: string[] = [];
    const entryArgs: string[] = [];
    for (const entry of entries) {
      const deps = withEpoch(entry.spec).tags.map((tag, i) => slotOf(this.tagKey(tag), entry.stamp[i] ?? ""));
      const stored: Stored<unknown> = { s: [...entry.stamp], v: entry.value };
      entryKeys.push(this.entryKey(entry.spec.key));
      entryArgs.push(encodeValue(stored), ttlMs(entry.ttl), deps.join(","));
    }
    for (const whole of wholes) {
      if (!whole.deps.storable) continue;
      const deps = [...whole.deps.tokens].map(([tagKey, token]) => slotOf(tagKey, token));
      entryKeys.push(this.entryKey(whole.key));
      entryArgs.push(encodeWhole(whole.deps, whole.meta, whole.body), ttlMs(whole.ttl), deps.join(","));
    }
    if (entryKeys.length === 0 && leases.length === 0) return;
    try {
      await this.cache.backend.eval(
        fillTaggedScript,
        [...tagKeys, ...entryKeys, ...leases.map((lease) => this.leaseKey(lease.key))],
        [String(tagKeys.length), String(leases.length), String(TAG_GRACE_MS), ...tokens, ...entryArgs, ...leases.map((lease) => lease.token)],
      );
    } catch {
      // A dropped fill is only a later miss (and a lease that expires).
    }
  }

  /**
   * Runs read scripts (one call, or a pipeline of several: one round trip);
   * undefined when the store did not answer or a bump is owed (then nothing
   * may be served).
   */
  async #run(calls: readonly { script: Script<(string | null)[]>; keys: string[]; args: string[] }[]): Promise<((string | null)[] | undefined)[] | undefined> {
    await this.#epoch.settle();
    if (this.#epoch.owed) return undefined;
    try {
      const [only] = calls;
      if (calls.length === 1 && only) return [await this.cache.backend.eval(only.script, only.keys, only.args)];
      return (await this.cache.backend.evalAll(calls as unknown as ScriptCall[])) as (string | null)[][];
    } catch {
      return undefined;
    }
  }

  /** Tells the metrics what a read found, per family (nothing is built when nobody listens). */
  #count(wholeKey: string | undefined, wholeState: "valid" | "absent" | "stale" | null, reads: readonly (readonly [string, TaggedRead<unknown>])[], failed: boolean): void {
    if (!hasTagListeners()) return;
    const families = new Map<string, { hits: number; misses: number; stale: number }>();
    const add = (key: string, hit: boolean, stale: boolean) => {
      const family = entryFamily(key);
      let counts = families.get(family);
      if (!counts) families.set(family, (counts = { hits: 0, misses: 0, stale: 0 }));
      if (hit) counts.hits += 1;
      else counts.misses += 1;
      if (stale) counts.stale += 1;
    };
    if (wholeKey !== undefined && wholeState !== null) add(wholeKey, wholeState === "valid", !failed && wholeState === "stale");
    for (const [key, read] of reads) add(key, read.hit, !failed && !read.hit && read.present);
    for (const [family, counts] of families) recordTagEvent(() => ({ type: "entries", family, ...counts, failed }));
  }
}

/** The whole hit in a read script's reply, if that is what it is. */
function asWhole(reply: (string | null)[] | undefined): WholeHit | undefined {
  if (reply?.[0] !== "whole") return undefined;
  const body = reply[1] ?? "";
  const meta = parseMeta(reply[2] ?? "{}");
  const depsLine = reply[3];
  return depsLine ? { body, meta, deps: parseDeps(depsLine) } : { body, meta };
}

/** Seconds → whole milliseconds (at least 1). */
function ttlMs(ttl: number): string {
  return String(Math.max(1, Math.round(ttl * 1000)));
}

