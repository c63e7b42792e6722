/**
 * Families: the bounded names under which tagged entries and tags are
 * counted (metrics labels). They come from the SHAPE of a key, never from its
 * variable parts, so a label can take only as many values as the code builds
 * kinds of keys.
 *
 * - An entry's family is the first `:`-separated part of its logical key
 *   (`likes-count:7` → `likes-count`, `response:v2:list:…` → `response`).
 * - A tag is `kind`, `kind:id` or `kind:id:aspect` (`posts`, `post:7`,
 *   `post:7:likes`, `user:u1`); its family keeps the kind and the aspect and
 *   hides the id (`post:{id}:likes`, `user:{id}`). An aspect is a lowercase
 *   word; anything else in its place is hidden too.
 */

/** The family of an entry's logical key. */
export function entryFamily(key: string): string {
  const colon = key.indexOf(":");
  return colon < 0 ? key : key.slice(0, colon);
}

/** The family of a tag (see above). */
export function tagFamily(tag: string): string {
  const [kind = "", id, ...rest] = tag.split(":");
  if (id === undefined) return kind;
  const aspects = rest.map((part) => (/^[a-z]{1,20}$/.test(part) ? part : "{id}"));
  return [kind, "{id}", ...aspects].join(":");
}

/** The logical key of a raw key (`prefix:version:key` → `key`; prefixes have no `:`). */
export function logicalKey(rawKey: string): string {
  const first = rawKey.indexOf(":");
  if (first < 0) return rawKey;
  const second = rawKey.indexOf(":", first + 1);
  return second < 0 ? rawKey.slice(first + 1) : rawKey.slice(second + 1);
}

/** What a raw key is: a tag's token key (`…:tag:<tag>`), or an entry of some family. */
export type KeyKind = { readonly tag: true; readonly tagName: string } | { readonly tag: false; readonly family: string };

/** Classifies a raw key. */
export function classifyKey(rawKey: string): KeyKind {
  const key = logicalKey(rawKey);
  if (key.startsWith("tag:")) return { tag: true, tagName: key.slice(4) };
  return { tag: false, family: entryFamily(key) };
}
