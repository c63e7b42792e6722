import { randomBytes } from "node:crypto";
import { defineScript, type ScriptStore } from "./backend";
import type { Cache } from "./cache";
import { encodeValue } from "./json";

/**
 * Tag invalidation without SCAN, key patterns or growing key sets.
 *
 * Every tag (`posts`, `post:7`, `post:7:likes`, …) has one small key holding a
 * TOKEN: an opaque string that is new at every bump and never reused (a random
 * process id + a counter). Every tagged entry is stored with the tokens of its
 * tags as they were read BEFORE its data was loaded from the database (its
 * stamp). An entry is served only while every token in its stamp is still the
 * tag's current token, so:
 *
 * - a write bumps its tags (one round trip, `invalidate`) and every entry that
 *   depended on them, on every instance, is a miss from then on;
 * - a fill that raced a write is never served after it: it read the token
 *   before the write bumped it, so its stamp is already old when it lands
 *   (Facebook's stale-set problem, solved with versions instead of leases);
 * - a tag key that is missing (never used yet, or lost) is CREATED by the read
 *   that finds it missing, atomically, with a fresh token: every process then
 *   stamps with the same token (concurrent fills from two instances agree),
 *   and an old entry can never become valid again by a tag's loss.
 *
 * Round trips: a read of any number of entries with their tags is one script
 * call (`read`, `readIndexed`: GET the tags — SET the missing ones — and MGET
 * the entries); a fill of any number of entries is one script call (`fill`),
 * which refuses to write an entry whose tags moved since its stamp was read;
 * an invalidation is one pipeline. Tags carry no TTL: run Redis with a
 * `volatile-*` maxmemory policy so that only entries (which all have TTLs)
 * are ever evicted.
 */

/** One entry and the tags it depends on. `key` and tags are logical (unprefixed). */
export interface TaggedSpec {
  readonly key: string;
  readonly tags: readonly string[];
}

/** What `read` found for one spec: a valid value, or a miss with the stamp a fill must use. */
export type TaggedRead<T> =
  | { readonly hit: true; readonly value: T; readonly stamp: readonly string[] }
  | { readonly hit: false; readonly stamp: readonly string[] };

/** One entry to write back: its spec, the loaded value, the stamp from the read, a TTL in seconds (null = none). */
export interface TaggedFill {
  readonly spec: TaggedSpec;
  readonly value: unknown;
  readonly stamp: readonly string[];
  readonly ttl: number | null;
}

/**
 * A whole response to store beside the entries it was built from: its body,
 * already serialized, and its ETag. It is valid while every tag of every read
 * in `from` still holds the token that read returned (the read script checks
 * that by itself, so a hit costs no decoding at all).
 */
export interface WholeFill {
  /** Logical key. */
  readonly key: string;
  readonly body: string;
  readonly etag: string;
  /** The entries it was built from: their specs and the stamps their reads returned. */
  readonly from: readonly { readonly spec: TaggedSpec; readonly stamp: readonly string[] }[];
  readonly ttl: number | null;
}

/** What `readIndexed` found: a valid whole entry, or the index and its rows. */
export type IndexedRead<T> =
  | { readonly whole: { readonly body: string; readonly etag: string } }
  | {
      readonly whole?: undefined;
      readonly index: TaggedRead<T>;
      readonly rows: { readonly id: number; readonly entries: TaggedRead<unknown>[] }[];
    };

/** How an entry is stored: the stamp (tokens lined up with its tags) and the value. */
interface Stored<T> {
  s: string[];
  v: T;
}

/**
 * The epoch: an implicit tag of EVERY entry. When a bump cannot be made
 * (the cache is down while a write commits), the epoch is bumped as soon as
 * the cache answers again, which invalidates everything written before — so
 * a write made during an outage can never be hidden by an entry from before it.
 */
export const EPOCH_TAG = "epoch";

function withEpoch(spec: TaggedSpec): TaggedSpec {
  return { key: spec.key, tags: [...spec.tags, EPOCH_TAG] };
}

/** How often a pending epoch bump is retried while the cache is down. */
const EPOCH_RETRY_MS = 250;

const processId = randomBytes(6).toString("base64url");
let counter = 0;

/**
 * Stamps a read that FAILED with tokens that start with this: no tag holds
 * them (nothing is filled) and single-flight knows the tokens are unknown.
 */
export const UNKNOWN_TOKEN_PREFIX = "!";

/** A token that no process has used before and none will use again. */
export function newToken(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${processId}.${Date.now().toString(36)}.${counter.toString(36)}`;
}

/**
 * Writes entries whose tags still hold the tokens they were stamped with, and
 * releases loaders' leases (lib/cache/strategies.ts `leased`) in the same call.
 * KEYS: the distinct tag keys (n of them), then the entry keys, then the
 * lease keys (r of them). ARGV: n, r, the n expected tokens, then per entry:
 * value, ttl in ms ("" = none), and the 1-based indexes of its tags joined by
 * ",". A tag that moved (or vanished) since the read keeps its entries out.
 * Reply: how many entries were written.
 */
export const fillTaggedScript = defineScript<number>({
  name: "fillTagged",
  lua: `local n, r = tonumber(ARGV[1]), tonumber(ARGV[2])
local ok = {}
for i = 1, n do ok[i] = (redis.call('GET', KEYS[i]) == ARGV[2 + i]) end
local written = 0
local a = n + 3
for j = n + 1, #KEYS - r do
  local value, ttl, deps = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  a = a + 3
  local good = true
  for d in string.gmatch(deps, '%d+') do
    if not ok[tonumber(d)] then good = false end
  end
  if good then
    if ttl == '' then redis.call('SET', KEYS[j], value) else redis.call('SET', KEYS[j], value, 'PX', ttl) end
    written = written + 1
  end
end
for j = #KEYS - r + 1, #KEYS do redis.call('DEL', KEYS[j]) end
return written`,
  run(store: ScriptStore, keys, args) {
    const n = Number(args[0]);
    const r = Number(args[1]);
    const ok: boolean[] = [];
    for (let i = 0; i < n; i++) ok.push(store.get(keys[i] ?? "") === (args[2 + i] ?? ""));
    let written = 0;
    let a = n + 2;
    for (let j = n; j < keys.length - r; j++) {
      const value = args[a] ?? "";
      const ttl = args[a + 1] ?? "";
      const deps = args[a + 2] ?? "";
      a += 3;
      const good = deps === "" || deps.split(",").every((d) => ok[Number(d) - 1] === true);
      if (good) {
        store.set(keys[j] ?? "", value, ttl === "" ? null : Number(ttl));
        written += 1;
      }
    }
    for (let j = keys.length - r; j < keys.length; j++) store.del(keys[j] ?? "");
    return written;
  },
});

/**
 * Reads entries and the tokens of their tags, creating missing tags with a
 * fresh token. KEYS: the entry keys (m of them), then the tag keys.
 * ARGV[1] = m, ARGV[2] = the fresh token. Reply: the entries' values (false
 * when absent), then the tags' tokens.
 */
export const readTaggedScript = defineScript<(string | null)[]>({
  name: "readTagged",
  lua: `local m = tonumber(ARGV[1])
local out = {}
if m > 0 then
  local values = redis.call('MGET', unpack(KEYS, 1, m))
  for i = 1, m do out[i] = values[i] or false end
end
for i = m + 1, #KEYS do
  local t = redis.call('GET', KEYS[i])
  if not t then redis.call('SET', KEYS[i], ARGV[2]); t = ARGV[2] end
  out[i] = t
end
return out`,
  run(store, keys, args) {
    const m = Number(args[0]);
    return keys.map((key, i) => {
      if (i < m) return store.get(key) ?? null;
      let token = store.get(key);
      if (token === undefined) {
        token = args[1] ?? "";
        store.set(key, token, null);
      }
      return token;
    });
  },
  account(reply, keys) {
    const hits = reply.filter((v) => v !== null).length;
    return { keysRead: keys.length, hits, misses: keys.length - hits };
  },
});

/**
 * Reads an index entry (e.g. a page of post ids), its tags, and — in the same
 * call — every key derived from the ids it lists. Missing tags are created
 * with the fresh token. One round trip for a whole warm list page.
 *
 * Optionally it first tries a WHOLE entry (a serialized response built from
 * the index and its derived entries): stored as `<header JSON>\n<body>`, the
 * header holding the raw keys of every tag the response depends on (`t`),
 * their tokens when it was built (`s`) and its ETag (`e`). It is valid while
 * every one of those tags still holds its token — checked here, in Redis, so
 * a warm hit sends back the body alone, with nothing to decode.
 *
 * KEYS = [the whole entry (only when ARGV[3] = "1"), the index entry, its
 * tags…]. ARGV = [fresh token, number of entry templates, "1" | "0", entry
 * templates…, tag templates…], `{id}` standing for each id of the index
 * entry's `v.ids`.
 * Reply on a valid whole entry: [body, etag]. Otherwise: [false, what became
 * of the whole entry ("stale": present but stale or unreadable, "absent", or
 * false when none was asked for), the index entry or false, each of its tags'
 * tokens, then per id: the entries (value or false), then the tags' tokens].
 */
export const readIndexedScript = defineScript<(string | null)[]>({
  name: "readIndexed",
  lua: `local fresh, e, w = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1'
local function tag(k)
  local t = redis.call('GET', k)
  if not t then redis.call('SET', k, fresh); t = fresh end
  return t
end
local first = 1
local out = {false, false}
if w then
  first = 2
  out[2] = 'absent'
  local whole = redis.call('GET', KEYS[1])
  if whole then
    out[2] = 'stale'
    local nl = string.find(whole, '\\n', 1, true)
    local ok, h = false, nil
    if nl then ok, h = pcall(cjson.decode, string.sub(whole, 1, nl - 1)) end
    if ok and type(h) == 'table' and type(h.t) == 'table' and type(h.s) == 'table' and type(h.e) == 'string' and #h.t > 0 and #h.t == #h.s then
      local current = redis.call('MGET', unpack(h.t))
      local valid = true
      for i = 1, #h.t do
        if current[i] ~= h.s[i] then valid = false; break end
      end
      if valid then return {string.sub(whole, nl + 1), h.e} end
    end
  end
end
local entry = redis.call('GET', KEYS[first])
out[3] = entry or false
for i = first + 1, #KEYS do out[#out + 1] = tag(KEYS[i]) end
if not entry then return out end
local ok, decoded = pcall(cjson.decode, entry)
if not ok or type(decoded) ~= 'table' or type(decoded.v) ~= 'table' or type(decoded.v.ids) ~= 'table' then return out end
for _, id in ipairs(decoded.v.ids) do
  local s = string.format('%d', id)
  local keys = {}
  for i = 4, 3 + e do keys[#keys + 1] = (string.gsub(ARGV[i], '{id}', s)) end
  local values = redis.call('MGET', unpack(keys))
  for i = 1, e do out[#out + 1] = values[i] or false end
  for i = 4 + e, #ARGV do out[#out + 1] = tag((string.gsub(ARGV[i], '{id}', s))) end
end
return out`,
  run(store, keys, args) {
    const fresh = args[0] ?? "";
    const e = Number(args[1]);
    const w = args[2] === "1";
    const tag = (key: string) => {
      let token = store.get(key);
      if (token === undefined) {
        token = fresh;
        store.set(key, token, null);
      }
      return token;
    };
    const out: (string | null)[] = [null, null];
    if (w) {
      out[1] = "absent";
      const whole = store.get(keys[0] ?? "");
      if (whole !== undefined) {
        out[1] = "stale";
        const valid = validWhole(whole, (tagKeys) => tagKeys.map((k) => store.get(k)));
        if (valid) return [valid.body, valid.etag];
      }
    }
    const first = w ? 1 : 0;
    const entry = store.get(keys[first] ?? "");
    out.push(entry ?? null);
    for (const key of keys.slice(first + 1)) out.push(tag(key));
    if (entry === undefined) return out;
    let ids: unknown;
    try {
      ids = (JSON.parse(entry) as { v?: { ids?: unknown } }).v?.ids;
    } catch {
      return out;
    }
    if (!Array.isArray(ids)) return out;
    const templates = args.slice(3);
    for (const id of ids) {
      const s = String(Math.trunc(Number(id)));
      templates.forEach((template, i) => {
        const key = template.replaceAll("{id}", s);
        out.push(i < e ? (store.get(key) ?? null) : tag(key));
      });
    }
    return out;
  },
  account(reply) {
    // A valid whole entry: one key read and found (its tags were only compared).
    if (reply.length === 2 && reply[0] !== null) return { keysRead: 1, hits: 1, misses: 0 };
    // Else: the whole entry when asked for (found when present, even stale), then one value per key read.
    const values = reply.slice(2);
    const whole = reply[1] === null ? 0 : 1;
    const hits = (reply[1] === "stale" ? 1 : 0) + values.filter((v) => v !== null).length;
    return { keysRead: whole + values.length, hits, misses: whole + values.length - hits };
  },
});

/** A whole entry's header: the raw keys of its tags, their tokens when it was built, its ETag. */
interface WholeHeader {
  t: string[];
  s: string[];
  e: string;
}

/** The body and ETag of a stored whole entry if its tags still hold its tokens (the script's check, for the memory backend). */
function validWhole(stored: string, current: (tagKeys: string[]) => (string | undefined)[]): { body: string; etag: string } | null {
  const nl = stored.indexOf("\n");
  if (nl < 0) return null;
  let header: Partial<WholeHeader>;
  try {
    header = JSON.parse(stored.slice(0, nl)) as Partial<WholeHeader>;
  } catch {
    return null;
  }
  const { t, s, e } = header;
  if (!Array.isArray(t) || !Array.isArray(s) || typeof e !== "string" || t.length === 0 || t.length !== s.length) return null;
  const tokens = current(t);
  if (!tokens.every((token, i) => token === s[i])) return null;
  return { body: stored.slice(nl + 1), etag: e };
}

/**
 * Tagged entries on top of a Cache: the read, fill and invalidate operations
 * above, with keys built by the cache's one key function (`tag:<tag>` for
 * tags). All methods fail open: a store that does not answer reads as misses
 * (stamped with fresh tokens, so nothing is written that could be served
 * stale) and drops fills and bumps. (Bumps lost to an outage are the
 * reliability issue's epoch.)
 */
export class TagStore {
  constructor(readonly cache: Cache) {}

  /** The raw key of a tag's token. */
  tagKey(tag: string): string {
    return this.cache.makeKey(`tag:${tag}`);
  }

  /** The raw key of an entry. */
  entryKey(key: string): string {
    return this.cache.makeKey(key);
  }

  /** The raw key of a loader's lease on `key` (lib/cache/strategies.ts `leased`). */
  leaseKey(key: string): string {
    return this.cache.makeKey(`lease:${key}`);
  }

  /**
   * Bumps `tags`: every entry stamped with one of them is a miss from now on,
   * on every instance. One round trip (a pipeline of SETs), none for `[]`.
   * Call after the database transaction commits, before answering the write.
   */
  async invalidate(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    await this.#flushEpoch();
    const entries = [...new Set(tags)].map((tag) => ({ key: this.tagKey(tag), value: newToken(), ttlMs: null }));
    try {
      const notStored = await this.cache.backend.mset(entries);
      if (notStored.length > 0) this.#epochPending();
    } catch {
      // The bump is lost: bump the epoch as soon as the cache answers again.
      this.#epochPending();
    }
  }

  /** True while an epoch bump is owed (a tag bump failed and the cache has not answered since). */
  get epochBumpPending(): boolean {
    return this.#pendingEpoch;
  }

  #pendingEpoch = false;
  #retry: ReturnType<typeof setInterval> | undefined;

  #epochPending(): void {
    this.#pendingEpoch = true;
    this.#retry ??= setInterval(() => void this.#flushEpoch(), EPOCH_RETRY_MS);
    this.#retry.unref?.();
  }

  /** Makes an owed epoch bump (one round trip, only after a failed invalidation). */
  async #flushEpoch(): Promise<void> {
    if (!this.#pendingEpoch) return;
    try {
      const notStored = await this.cache.backend.mset([{ key: this.tagKey(EPOCH_TAG), value: newToken(), ttlMs: null }]);
      if (notStored.length > 0) return;
      this.#pendingEpoch = false;
      if (this.#retry) clearInterval(this.#retry);
      this.#retry = undefined;
    } catch {
      // still down; the timer tries again
    }
  }

  /**
   * Reads entries and the tokens of all their tags in ONE round trip (one
   * script call; missing tags are created). Results line up with `specs`. A
   * miss carries the stamp a fill must use.
   */
  async read<T>(plain: readonly TaggedSpec[]): Promise<TaggedRead<T>[]> {
    if (plain.length === 0) return [];
    await this.#flushEpoch();
    const specs = plain.map(withEpoch);
    const tagIndex = new Map<string, number>();
    for (const spec of specs) for (const tag of spec.tags) if (!tagIndex.has(tag)) tagIndex.set(tag, tagIndex.size);
    const keys = specs.map((s) => this.entryKey(s.key));
    for (const tag of tagIndex.keys()) keys.push(this.tagKey(tag));
    let raw: (string | null)[] = [];
    try {
      raw = await this.cache.backend.eval(readTaggedScript, keys, [String(specs.length), newToken()]);
    } catch {
      raw = []; // down: all misses, stamped with tokens no tag has (nothing will be filled)
    }
    const unreachable = UNKNOWN_TOKEN_PREFIX + newToken();
    const tokens = [...tagIndex.keys()].map((_, i) => raw[specs.length + i] ?? unreachable);
    return specs.map((spec, i) => decodeTagged<T>(raw[i] ?? undefined, spec.tags.map((tag) => tokens[tagIndex.get(tag) ?? 0] ?? unreachable)));
  }

  /**
   * Reads an index entry (whose value has `ids`), its tag, and for each id
   * listed in it the entries `derived` describes (`{id}` in their keys and
   * tags stands for the id), with the tokens of their tags — all in ONE round
   * trip (one script call). A whole warm list page is one call.
   *
   * With `whole` (a logical key), the same call first tries that whole entry
   * (written by `fill`'s `wholes`) and, when it is still valid, answers with
   * its body and ETag alone.
   *
   * `rows` follows the ids of the index entry; it is empty when the index is
   * a miss (the caller loads the ids, then `read`s their entries).
   */
  readIndexed<T extends { ids: number[] }>(index: TaggedSpec, derived: readonly TaggedSpec[]): Promise<IndexedRead<T> & { whole?: undefined }>;
  readIndexed<T extends { ids: number[] }>(index: TaggedSpec, derived: readonly TaggedSpec[], options: { whole: string }): Promise<IndexedRead<T>>;
  async readIndexed<T extends { ids: number[] }>(
    index: TaggedSpec,
    derived: readonly TaggedSpec[],
    options: { whole?: string } = {},
  ): Promise<IndexedRead<T>> {
    await this.#flushEpoch();
    const indexSpec = withEpoch(index);
    derived = derived.map(withEpoch);
    const tags = [...new Set(derived.flatMap((d) => d.tags))];
    const templates = [...derived.map((d) => this.entryKey(d.key)), ...tags.map((t) => this.tagKey(t))];
    const wholeKeys = options.whole === undefined ? [] : [this.entryKey(options.whole)];
    let reply: (string | null)[] = [];
    try {
      reply = await this.cache.backend.eval(
        readIndexedScript,
        [...wholeKeys, this.entryKey(indexSpec.key), ...indexSpec.tags.map((t) => this.tagKey(t))],
        [newToken(), String(derived.length), wholeKeys.length ? "1" : "0", ...templates],
      );
    } catch {
      reply = [];
    }
    if (reply.length === 2 && typeof reply[0] === "string" && typeof reply[1] === "string") {
      return { whole: { body: reply[0], etag: reply[1] } };
    }
    const unreachable = UNKNOWN_TOKEN_PREFIX + newToken();
    const head = 3 + indexSpec.tags.length;
    const indexRead = decodeTagged<T>(
      reply[2] ?? undefined,
      indexSpec.tags.map((_, i) => reply[3 + i] ?? unreachable),
    );
    const ids = indexRead.hit ? indexRead.value.ids : [];
    const rows = ids.map((id, r) => {
      const base = head + r * templates.length;
      const tokens = new Map(tags.map((tag, t) => [tag, reply[base + derived.length + t] ?? unreachable]));
      const entries = derived.map((d, e) =>
        decodeTagged<unknown>(reply[base + e] ?? undefined, d.tags.map((tag) => tokens.get(tag) ?? unreachable)),
      );
      return { id, entries };
    });
    return { index: indexRead, rows };
  }

  /**
   * Writes entries back in ONE round trip (one script call), each only if its
   * tags still hold the tokens of its stamp. None for `[]`. Never throws for a
   * store that is down.
   * `wholes` are written in the same call, each only if every tag of every
   * entry it was built from still holds the token its read returned; the
   * leases in `release` (logical keys given to `leased`) are deleted in it.
   * @throws CacheValueError when a value is not plain JSON (a programming error).
   */
  async fill(entries: readonly TaggedFill[], wholes: readonly WholeFill[] = [], options: { release?: readonly string[] } = {}): Promise<void> {
    const leases = (options.release ?? []).map((key) => this.leaseKey(key));
    if (entries.length === 0 && wholes.length === 0 && leases.length === 0) return;
    await this.#flushEpoch();
    const tagSlot = new Map<string, number>();
    const tagKeys: string[] = [];
    const tokens: string[] = [];
    const entryKeys: string[] = [];
    const entryArgs: string[] = [];
    const slotOf = (tag: string, token: string): number => {
      const slotKey = `${tag}\u0000${token}`;
      let slot = tagSlot.get(slotKey);
      if (slot === undefined) {
        slot = tagKeys.length + 1;
        tagSlot.set(slotKey, slot);
        tagKeys.push(this.tagKey(tag));
        tokens.push(token);
      }
      return slot;
    };
    const ttlArg = (ttl: number | null) => (ttl === null ? "" : String(Math.max(1, Math.round(ttl * 1000))));
    for (const entry of entries) {
      const deps = withEpoch(entry.spec).tags.map((tag, i) => slotOf(tag, entry.stamp[i] ?? ""));
      const stored: Stored<unknown> = { s: [...entry.stamp], v: entry.value };
      entryKeys.push(this.entryKey(entry.spec.key));
      entryArgs.push(encodeValue(stored), ttlArg(entry.ttl), deps.join(","));
    }
    for (const whole of wholes) {
      // Every (tag, token) the response was built from, once.
      const stamp = new Map<string, string>();
      let consistent = true;
      for (const { spec, stamp: tokensRead } of whole.from) {
        withEpoch(spec).tags.forEach((tag, i) => {
          const token = tokensRead[i] ?? "";
          if ((stamp.get(tag) ?? token) !== token) consistent = false;
          stamp.set(tag, token);
        });
      }
      // Two reads that saw one tag with two tokens: a bump came between them, the response is already stale.
      if (!consistent || stamp.size === 0) continue;
      const deps = [...stamp].map(([tag, token]) => slotOf(tag, token));
      const header: WholeHeader = { t: [...stamp.keys()].map((tag) => this.tagKey(tag)), s: [...stamp.values()], e: whole.etag };
      entryKeys.push(this.entryKey(whole.key));
      entryArgs.push(`${JSON.stringify(header)}\n${whole.body}`, ttlArg(whole.ttl), deps.join(","));
    }
    if (entryKeys.length === 0 && leases.length === 0) return;
    try {
      await this.cache.backend.eval(
        fillTaggedScript,
        [...tagKeys, ...entryKeys, ...leases],
        [String(tagKeys.length), String(leases.length), ...tokens, ...entryArgs],
      );
    } catch {
      // A dropped fill is only a later miss.
    }
  }

}

/** The concrete spec of a template spec (`{id}` in key and tags) for one id. */
export function forId(spec: TaggedSpec, id: number): TaggedSpec {
  const s = String(id);
  return { key: spec.key.replaceAll("{id}", s), tags: spec.tags.map((t) => t.replaceAll("{id}", s)) };
}

/** A stored entry is valid when its stamp equals the current tokens, tag by tag. */
function decodeTagged<T>(raw: string | undefined, current: readonly string[]): TaggedRead<T> {
  if (raw !== undefined) {
    try {
      const stored = JSON.parse(raw) as Stored<T>;
      const s = stored.s;
      if (Array.isArray(s) && s.length === current.length && s.every((token, i) => token === current[i])) {
        return { hit: true, value: stored.v, stamp: current };
      }
    } catch {
      // unreadable: a miss
    }
  }
  return { hit: false, stamp: current };
}
