import type { TaggedRead } from "./tokens";
import { UNKNOWN_TOKEN_PREFIX } from "./tokens";

/**
 * Whole responses (the article's per-view cache, made exact): a response
 * built from tagged entries is stored once more, whole, with the raw key of
 * every tag it was built from and the token each held when it was read. It is
 * valid while every one of those tags still holds that token — checked inside
 * the store, in the round trip of the read, so a hit costs no decoding.
 *
 * Stored as three parts, one per line, so the script can split it without
 * parsing the body:
 *
 *     {"t":[tag keys…],"s":[tokens…]}      the dependencies (the script reads these)
 *     {"e":"\"etag\"","h":[[name,value]…]}  meta: anything the caller needs to answer (never read by the script)
 *     <body>
 */

/**
 * What a response was built from: each tag's raw key and the token it held
 * when read (before anything was loaded). Plain fields, no private ones: the
 * server (outside Next) and Next's bundle each load their own copy of this
 * class and merge each other's instances.
 */
export class Dependencies {
  readonly tokens = new Map<string, string>();
  /** A tag was seen with two tokens (a bump came between two reads): the response is already stale. */
  conflict = false;
  /** A read failed (its tokens are unknown), or part of the response was loaded without its tags being read first. */
  incomplete = false;
  /** Part of the response was loaded from the database (it was not all served by the cache). */
  loaded = false;

  /** Adds one tag and the token it held. */
  add(tagKey: string, token: string): void {
    if (token.startsWith(UNKNOWN_TOKEN_PREFIX)) this.incomplete = true;
    const seen = this.tokens.get(tagKey);
    if (seen !== undefined && seen !== token) this.conflict = true;
    this.tokens.set(tagKey, token);
  }

  /** Adds every tag of a read (and notes a miss as loaded). */
  addRead(read: TaggedRead<unknown>): void {
    read.tagKeys.forEach((key, i) => this.add(key, read.stamp[i] ?? ""));
    if (!read.hit) this.loaded = true;
  }

  /** Adds everything another set holds. */
  merge(other: Dependencies): void {
    for (const [key, token] of other.tokens) this.add(key, token);
    if (other.conflict) this.conflict = true;
    if (other.incomplete) this.incomplete = true;
    if (other.loaded) this.loaded = true;
  }

  /** Part of what it describes did not come from reads of its tags. */
  markIncomplete(): void {
    this.incomplete = true;
  }

  /** Whether a response built from these can be stored whole: every tag known, each with one token. */
  get storable(): boolean {
    return !this.conflict && !this.incomplete && this.tokens.size > 0;
  }
}

/** A whole response's meta line: its ETag and, for pages, the headers to replay. */
export interface WholeMeta {
  readonly e?: string;
  readonly h?: readonly (readonly [string, string])[];
}

/** A valid whole entry, as the read script returns it. */
export interface WholeHit {
  readonly body: string;
  readonly meta: WholeMeta;
  /** Present when the read asked for them (a page built from this response depends on the same tags). */
  readonly deps?: Dependencies;
}

/** The stored form of a whole response (see the top of this file). */
export function encodeWhole(deps: Dependencies, meta: WholeMeta, body: string): string {
  const t: string[] = [];
  const s: string[] = [];
  for (const [key, token] of deps.tokens) {
    t.push(key);
    s.push(token);
  }
  return `${JSON.stringify({ t, s })}\n${JSON.stringify(meta)}\n${body}`;
}

/** Parses a deps line back into Dependencies. */
export function parseDeps(line: string): Dependencies {
  const deps = new Dependencies();
  const { t, s } = JSON.parse(line) as { t: string[]; s: string[] };
  t.forEach((key, i) => deps.add(key, s[i] ?? ""));
  return deps;
}

/** Parses a meta line; an unreadable one is empty. */
export function parseMeta(line: string): WholeMeta {
  try {
    return JSON.parse(line) as WholeMeta;
  } catch {
    return {};
  }
}

/**
 * THE validity check of a whole entry, as a Lua function `whole_of(key,
 * want_deps)` that the read scripts include: `nil, 'absent' | 'stale'`, or
 * `{body, meta, deps?}, 'valid'` when every tag in its first line still holds
 * the token stored beside it. A missing tag key never validates it.
 */
export const WHOLE_CHECK_LUA = `local function whole_of(key, want_deps)
  local stored = redis.call('GET', key)
  if not stored then return nil, 'absent' end
  local a = string.find(stored, '\\n', 1, true)
  local b = a and string.find(stored, '\\n', a + 1, true)
  if not b then return nil, 'stale' end
  local ok, h = pcall(cjson.decode, string.sub(stored, 1, a - 1))
  if not (ok and type(h) == 'table' and type(h.t) == 'table' and type(h.s) == 'table' and #h.t > 0 and #h.t == #h.s) then return nil, 'stale' end
  local current = redis.call('MGET', unpack(h.t))
  for i = 1, #h.t do
    if current[i] ~= h.s[i] then return nil, 'stale' end
  end
  local hit = {string.sub(stored, b + 1), string.sub(stored, a + 1, b - 1)}
  if want_deps then hit[3] = string.sub(stored, 1, a - 1) end
  return hit, 'valid'
end
`;

/** The same check for the memory backend's script twins (`get` reads a raw key). */
export function wholeOf(
  get: (key: string) => string | undefined,
  key: string,
  wantDeps: boolean,
): { hit: string[]; state: "valid" } | { hit?: undefined; state: "absent" | "stale" } {
  const stored = get(key);
  if (stored === undefined) return { state: "absent" };
  const a = stored.indexOf("\n");
  const b = a < 0 ? -1 : stored.indexOf("\n", a + 1);
  if (b < 0) return { state: "stale" };
  let header: { t?: unknown; s?: unknown };
  try {
    header = JSON.parse(stored.slice(0, a)) as { t?: unknown; s?: unknown };
  } catch {
    return { state: "stale" };
  }
  const { t, s } = header;
  if (!Array.isArray(t) || !Array.isArray(s) || t.length === 0 || t.length !== s.length) return { state: "stale" };
  if (!t.every((tagKey, i) => get(String(tagKey)) === s[i])) return { state: "stale" };
  const hit = [stored.slice(b + 1), stored.slice(a + 1, b)];
  if (wantDeps) hit.push(stored.slice(0, a));
  return { hit, state: "valid" };
}
