import { defineScript, type ScriptStore } from "../backend";
import { WHOLE_CHECK_LUA, wholeOf } from "./whole";

/**
 * The three scripts of the tag store, each a Lua body for Redis and its JS
 * twin for the memory backend (the contract tests run both). One script call
 * is one round trip, and atomic.
 *
 * Every key a script touches is in KEYS, except the keys `readIndexed` derives
 * from the index entry it reads (and the tag keys a whole entry lists), which
 * is why these scripts need one Redis, not a cluster (docs: lib/cache/README).
 *
 * A tag a read finds missing is created with the fresh token and a short TTL
 * (`grace`): it only has to outlive the load that follows. A fill extends
 * every tag of what it writes to outlive that entry by `grace`. So tags live
 * as long as entries stamped with them, and nothing a read creates stays.
 */

/** The Lua function that reads a tag's token, creating a missing one (fresh token, `grace` ms TTL). */
const TAG_LUA = `local function tag(k)
  local t = redis.call('GET', k)
  if not t then redis.call('SET', k, fresh, 'PX', grace); t = fresh end
  return t
end
`;

/** The JS twin of TAG_LUA. */
function tagOf(store: ScriptStore, key: string, fresh: string, grace: number): string {
  let token = store.get(key);
  if (token === undefined) {
    token = fresh;
    store.set(key, token, grace);
  }
  return token;
}

/** `whole` argument of the read scripts: none, the whole entry, or the whole entry and its dependencies. */
export type WholeMode = "0" | "1" | "2";

/** Reply of a read script whose whole entry was valid: ["whole", body, meta, deps?]. */
export type WholeReply = readonly ["whole", string, string, string?];

/**
 * Reads entries and the tokens of their tags, creating missing tags;
 * optionally tries a whole entry first (see whole.ts).
 * KEYS: [the whole entry (when ARGV[4] ≠ "0")], the entry keys (m of them),
 * the tag keys. ARGV: m, fresh token, grace ms, whole mode.
 * Reply: a valid whole → ["whole", body, meta, deps?]; else ["parts", what
 * became of the whole ("absent" | "stale", false when none was asked for),
 * the entries' values (false when absent), the tags' tokens].
 */
export const readTaggedScript = defineScript<(string | null)[]>({
  name: "readTagged",
  lua: `local m, fresh, grace, w = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), ARGV[4]
${WHOLE_CHECK_LUA}${TAG_LUA}local first = 1
local out = {'parts', false}
if w ~= '0' then
  local hit, state = whole_of(KEYS[1], w == '2')
  if hit then table.insert(hit, 1, 'whole'); return hit end
  out[2] = state
  first = 2
end
if m > 0 then
  local values = redis.call('MGET', unpack(KEYS, first, first + m - 1))
  for i = 1, m do out[#out + 1] = values[i] or false end
end
for i = first + m, #KEYS do out[#out + 1] = tag(KEYS[i]) end
return out`,
  run(store, keys, args) {
    const m = Number(args[0]);
    const fresh = args[1] ?? "";
    const grace = Number(args[2]);
    const w = args[3] ?? "0";
    const out: (string | null)[] = ["parts", null];
    let first = 0;
    if (w !== "0") {
      const whole = wholeOf((k) => store.get(k), keys[0] ?? "", w === "2");
      if (whole.hit) return ["whole", ...whole.hit];
      out[1] = whole.state;
      first = 1;
    }
    for (let i = first; i < first + m; i++) out.push(store.get(keys[i] ?? "") ?? null);
    for (let i = first + m; i < keys.length; i++) out.push(tagOf(store, keys[i] ?? "", fresh, grace));
    return out;
  },
  account: accountRead,
});

/**
 * Reads an index entry (e.g. a page of post ids), its tags, and — in the same
 * call — every key derived from the ids it lists (`{id}` in a template stands
 * for `{<id>}`, braces kept, for each id of the index entry's `v.ids`), with
 * their tags' tokens.
 * Optionally tries a whole entry first. One round trip for a whole page.
 * KEYS: [the whole entry (when ARGV[3] ≠ "0")], the index entry, its tags.
 * ARGV: fresh token, grace ms, whole mode, number of entry templates, the
 * entry templates, then the tag templates.
 * Reply: a valid whole → ["whole", body, meta, deps?]; else ["parts", what
 * became of the whole, the index entry or false, its tags' tokens, then per
 * id: its entries (value or false), then its tags' tokens].
 */
export const readIndexedScript = defineScript<(string | null)[]>({
  name: "readIndexed",
  lua: `local fresh, grace, w, e = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
${WHOLE_CHECK_LUA}${TAG_LUA}local first = 1
local out = {'parts', false}
if w ~= '0' then
  local hit, state = whole_of(KEYS[1], w == '2')
  if hit then table.insert(hit, 1, 'whole'); return hit end
  out[2] = state
  first = 2
end
local entry = redis.call('GET', KEYS[first])
out[3] = entry or false
for i = first + 1, #KEYS do out[#out + 1] = tag(KEYS[i]) end
if not entry then return out end
local ok, decoded = pcall(cjson.decode, entry)
if not ok or type(decoded) ~= 'table' or type(decoded.v) ~= 'table' or type(decoded.v.ids) ~= 'table' then return out end
for _, id in ipairs(decoded.v.ids) do
  local s = string.format('{%d}', id)
  local keys = {}
  for i = 5, 4 + e do keys[#keys + 1] = (string.gsub(ARGV[i], '{id}', s)) end
  local values = redis.call('MGET', unpack(keys))
  for i = 1, e do out[#out + 1] = values[i] or false end
  for i = 5 + e, #ARGV do out[#out + 1] = tag((string.gsub(ARGV[i], '{id}', s))) end
end
return out`,
  run(store, keys, args) {
    const fresh = args[0] ?? "";
    const grace = Number(args[1]);
    const w = args[2] ?? "0";
    const e = Number(args[3]);
    const out: (string | null)[] = ["parts", null];
    let first = 0;
    if (w !== "0") {
      const whole = wholeOf((k) => store.get(k), keys[0] ?? "", w === "2");
      if (whole.hit) return ["whole", ...whole.hit];
      out[1] = whole.state;
      first = 1;
    }
    const entry = store.get(keys[first] ?? "");
    out.push(entry ?? null);
    for (const key of keys.slice(first + 1)) out.push(tagOf(store, key, fresh, grace));
    if (entry === undefined) return out;
    let ids: unknown;
    try {
      ids = (JSON.parse(entry) as { v?: { ids?: unknown } }).v?.ids;
    } catch {
      return out;
    }
    if (!Array.isArray(ids)) return out;
    const templates = args.slice(4);
    for (const id of ids) {
      const s = `{${Math.trunc(Number(id))}}`;
      templates.forEach((template, i) => {
        const key = template.replaceAll("{id}", s);
        out.push(i < e ? (store.get(key) ?? null) : tagOf(store, key, fresh, grace));
      });
    }
    return out;
  },
  account: accountRead,
});

/** Keys read and found, for the accounting: a valid whole is one key found (its tags were only compared). */
function accountRead(reply: (string | null)[]): { keysRead: number; hits: number; misses: number } {
  if (reply[0] === "whole") return { keysRead: 1, hits: 1, misses: 0 };
  const values = reply.slice(2);
  const whole = reply[1] === null ? 0 : 1;
  const hits = (reply[1] === "stale" ? 1 : 0) + values.filter((v) => v !== null).length;
  return { keysRead: whole + values.length, hits, misses: whole + values.length - hits };
}

/**
 * Writes entries whose tags still hold the tokens they were stamped with,
 * extends those tags to outlive them, and releases leases still held by the
 * given holders — in one call.
 * KEYS: the distinct tag keys (n), the entry keys, the lease keys (r).
 * ARGV: n, r, grace ms, the n expected tokens, then per entry: value, TTL in
 * ms, the 1-based indexes of its tags joined by ","; then per lease the
 * holder's token. A tag that moved (or vanished) since the read keeps its
 * entries out; a lease held by someone else (it expired and was taken again)
 * is left alone. Reply: how many entries were written.
 */
export const fillTaggedScript = defineScript<number>({
  name: "fillTagged",
  lua: `local n, r, grace = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ok, life = {}, {}
for i = 1, n do ok[i] = (redis.call('GET', KEYS[i]) == ARGV[3 + i]); life[i] = 0 end
local written = 0
local a = n + 4
local last = #KEYS - r
for j = n + 1, last do
  local value, ttl, deps = ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2]
  a = a + 3
  local good = true
  for d in string.gmatch(deps, '%d+') do
    if not ok[tonumber(d)] then good = false end
  end
  if good then
    redis.call('SET', KEYS[j], value, 'PX', ttl)
    for d in string.gmatch(deps, '%d+') do
      local i = tonumber(d)
      if ttl > life[i] then life[i] = ttl end
    end
    written = written + 1
  end
end
for i = 1, n do
  if life[i] > 0 then
    local want = life[i] + grace
    local left = redis.call('PTTL', KEYS[i])
    if left == -1 or left < want then redis.call('PEXPIRE', KEYS[i], want) end
  end
end
for k = 1, r do
  if redis.call('GET', KEYS[last + k]) == ARGV[a + k - 1] then redis.call('DEL', KEYS[last + k]) end
end
return written`,
  run(store, keys, args) {
    const n = Number(args[0]);
    const r = Number(args[1]);
    const grace = Number(args[2]);
    const ok: boolean[] = [];
    const life: number[] = [];
    for (let i = 0; i < n; i++) {
      ok.push(store.get(keys[i] ?? "") === (args[3 + i] ?? ""));
      life.push(0);
    }
    let written = 0;
    let a = n + 3;
    const last = keys.length - r;
    for (let j = n; j < last; j++) {
      const value = args[a] ?? "";
      const ttl = Number(args[a + 1]);
      const deps = (args[a + 2] ?? "").split(",").filter(Boolean).map((d) => Number(d) - 1);
      a += 3;
      if (!deps.every((d) => ok[d] === true)) continue;
      store.set(keys[j] ?? "", value, ttl);
      for (const d of deps) life[d] = Math.max(life[d] ?? 0, ttl);
      written += 1;
    }
    for (let i = 0; i < n; i++) {
      const want = (life[i] ?? 0) + grace;
      if ((life[i] ?? 0) <= 0) continue;
      const left = store.pttl(keys[i] ?? "");
      if (left === -1 || left < want) store.expire(keys[i] ?? "", want);
    }
    for (let k = 0; k < r; k++) {
      const key = keys[last + k] ?? "";
      if (store.get(key) === args[a + k]) store.del(key);
    }
    return written;
  },
});
