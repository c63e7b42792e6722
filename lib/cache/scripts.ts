import { defineScript } from "./backend";

/**
 * The atomic operations the Cache layer needs beyond plain commands. Each is a
 * Lua body for Redis and its JS twin for the memory backend.
 */

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
/** What Redis accepts as an integer string: no sign on 0, no leading zeros, no spaces. */
const REDIS_INTEGER = /^(?:0|-?[1-9][0-9]{0,19})$/;

/**
 * INCRBY only if the key exists (a plain INCRBY would create it at 0, and
 * Django's incr refuses a missing key). KEYS[1] = key, ARGV[1] = delta.
 * Reply: the new value; null when the key is absent; `[message]` when the
 * value is not an integer or would overflow (redis.pcall keeps that error from
 * aborting the script, so it is a reply, not a transport failure).
 */
export const incrByExistingScript = defineScript<number | null | readonly [string]>({
  name: "incrByExisting",
  lua: `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local r = redis.pcall('INCRBY', KEYS[1], ARGV[1])
if type(r) == 'table' and r.err then return {r.err} end
return r`,
  run(store, keys, args) {
    const key = keys[0] ?? "";
    const current = store.get(key);
    if (current === undefined) return null;
    if (!REDIS_INTEGER.test(current)) return ["ERR value is not an integer or out of range"];
    const value = BigInt(current);
    if (value > INT64_MAX || value < INT64_MIN) return ["ERR value is not an integer or out of range"];
    const next = value + BigInt(args[0] ?? "0");
    if (next > INT64_MAX || next < INT64_MIN) return ["ERR increment or decrement would overflow"];
    store.set(key, next.toString(), "keep");
    return Number(next);
  },
});

/**
 * PERSIST that reports whether the key exists (PERSIST alone answers 0 for a
 * key that exists without a TTL). KEYS[1] = key. Reply: 1 or 0.
 */
export const persistExistingScript = defineScript<number>({
  name: "persistExisting",
  lua: `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('PERSIST', KEYS[1])
return 1`,
  run(store, keys) {
    return store.expire(keys[0] ?? "", null) ? 1 : 0;
  },
});

/**
 * Moves a value and its TTL to another key, overwriting it (incr_version).
 * RENAME is atomic and keeps the TTL; the EXISTS check turns "no such key"
 * into a reply instead of an error. KEYS[1] = from, KEYS[2] = to. Reply: 1 or 0.
 */
export const moveExistingScript = defineScript<number>({
  name: "moveExisting",
  lua: `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if KEYS[1] ~= KEYS[2] then redis.call('RENAME', KEYS[1], KEYS[2]) end
return 1`,
  run(store, keys) {
    const from = keys[0] ?? "";
    const to = keys[1] ?? "";
    const value = store.get(from);
    if (value === undefined) return 0;
    if (from === to) return 1;
    const pttl = store.pttl(from);
    store.set(to, value, pttl < 0 ? null : Math.max(1, pttl));
    store.del(from);
    return 1;
  },
});
