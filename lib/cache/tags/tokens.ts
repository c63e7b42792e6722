import { randomBytes } from "node:crypto";

/**
 * Tokens and stamps: what makes a tagged entry valid or not.
 *
 * Every tag (`posts`, `post:7`, `user:u1`, …) has one small key holding a
 * TOKEN: an opaque string that is new at every bump and never reused (a random
 * process id, the time and a counter). An entry is stored with the tokens its
 * tags held when they were read BEFORE its data was loaded (its STAMP), and is
 * valid only while every one of them is still its tag's current token.
 */

/** One entry and the tags it depends on. `key` and tags are logical (unprefixed). */
export interface TaggedSpec {
  readonly key: string;
  readonly tags: readonly string[];
}

/**
 * What a read found for one spec: a valid value, or a miss with the stamp a
 * fill must use. `tagKeys` are the raw keys of its tags (the epoch included),
 * lined up with `stamp`: what a response built from it depends on.
 * `present` tells a stale entry (there, but stamped with an old token) from
 * an absent one.
 */
export type TaggedRead<T> =
  | { readonly hit: true; readonly value: T; readonly stamp: readonly string[]; readonly tagKeys: readonly string[] }
  | { readonly hit: false; readonly present: boolean; readonly stamp: readonly string[]; readonly tagKeys: readonly string[] };

/** How an entry is stored: the stamp (tokens lined up with its tags) and the value. */
export interface Stored<T> {
  s: string[];
  v: T;
}

/**
 * The epoch: an implicit tag of EVERY entry. When a bump cannot be confirmed
 * (the cache is down while a write commits), the epoch is bumped as soon as
 * the cache answers again, which invalidates everything written before — so
 * a write made during an outage can never be hidden by an entry from before it.
 */
export const EPOCH_TAG = "epoch";

/** The spec with the epoch among its tags (last). */
export function withEpoch(spec: TaggedSpec): TaggedSpec {
  return { key: spec.key, tags: [...spec.tags, EPOCH_TAG] };
}

/**
 * Stamps a read that FAILED with tokens that start with this: no tag holds
 * them (nothing is filled) and single-flight knows the tokens are unknown.
 */
export const UNKNOWN_TOKEN_PREFIX = "!";

const processId = randomBytes(6).toString("base64url");
let counter = 0;

/** A token that no process has used before and none will use again. */
export function newToken(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${processId}.${Date.now().toString(36)}.${counter.toString(36)}`;
}

/** A token for a read that failed: matches no tag, marks the stamp as unknown. */
export function unknownToken(): string {
  return UNKNOWN_TOKEN_PREFIX + newToken();
}

/** Whether a stamp holds a token of a failed read (single-flight must not key on it). */
export function isKnownStamp(stamp: readonly string[]): boolean {
  return !stamp.some((token) => token.startsWith(UNKNOWN_TOKEN_PREFIX));
}

/**
 * The concrete spec of a template spec (`{id}` in key and tags) for one id:
 * `{id}` becomes `{7}`, braces kept — a Redis Cluster hash tag, so every key
 * and tag of one id shares a slot (lib/cache/README.md, "Cluster").
 */
export function forId(spec: TaggedSpec, id: number | string): TaggedSpec {
  const s = `{${id}}`;
  return { key: spec.key.replaceAll("{id}", s), tags: spec.tags.map((t) => t.replaceAll("{id}", s)) };
}

/** A stored entry is valid when its stamp equals the current tokens, tag by tag. */
export function decodeTagged<T>(raw: string | undefined, current: readonly string[], tagKeys: readonly string[]): TaggedRead<T> {
  if (raw !== undefined) {
    try {
      const stored = JSON.parse(raw) as Stored<T>;
      const s = stored.s;
      if (Array.isArray(s) && s.length === current.length && s.every((token, i) => token === current[i])) {
        return { hit: true, value: stored.v, stamp: current, tagKeys };
      }
    } catch {
      // unreadable: a miss
    }
  }
  return { hit: false, present: raw !== undefined, stamp: current, tagKeys };
}
