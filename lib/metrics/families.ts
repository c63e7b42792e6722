// Key and tag families: the bounded label values of the cache metrics.
// A family comes from the shape of a key built in lib/posts/cache-keys.ts,
// never from the key's variable part (a post id, a user id), so a label can
// take only the values listed here.

/** Families of entries read through tags (the hit ratio is about these), in display order. */
export const TAGGED_FAMILIES = [
  "post-dto",
  "post-content",
  "likes-count",
  "comments-count",
  "comments",
  "page",
  "posts-count",
  "response",
  "liked",
] as const;

/** Families of cached entries (what the services read and fill): the tagged ones and the plain Cache API's. */
export const ENTRY_FAMILIES = [...TAGGED_FAMILIES, "ratelimit", "health", "other"] as const;
export type EntryFamily = (typeof ENTRY_FAMILIES)[number];

/** Families of invalidation tags (lib/posts/cache-keys.ts `tags`, and lib/cache/tags.ts's epoch). */
export const TAG_FAMILIES = ["posts", "post:{id}", "post:{id}:likes", "post:{id}:comments", "epoch", "other"] as const;
export type TagFamily = (typeof TAG_FAMILIES)[number];

/** What a raw key (`prefix:version:key`) is: a tag's token key, or an entry of some family. */
export type KeyKind = { readonly tag: true; readonly tagName: string } | { readonly tag: false; readonly family: EntryFamily };

// Longest prefix first where one is a prefix of another (`post-content:` / `post:`).
const ENTRY_PREFIXES: readonly (readonly [string, EntryFamily])[] = [
  ["post-content:", "post-content"],
  ["post:", "post-dto"],
  ["likes-count:", "likes-count"],
  ["comments-count:", "comments-count"],
  ["comments:", "comments"],
  ["page:", "page"],
  ["posts-count", "posts-count"],
  ["response:", "response"],
  ["liked:", "liked"],
  ["ratelimit:", "ratelimit"],
  ["health", "health"],
];

/** The logical key of a raw key: the part after `prefix:version:` (prefixes have no `:`). */
export function logicalKey(rawKey: string): string {
  const first = rawKey.indexOf(":");
  if (first < 0) return rawKey;
  const second = rawKey.indexOf(":", first + 1);
  return second < 0 ? rawKey.slice(first + 1) : rawKey.slice(second + 1);
}

/** Classifies a raw key. Tag keys are `prefix:version:tag:<tag>` (lib/cache/tags.ts). */
export function classifyKey(rawKey: string): KeyKind {
  const key = logicalKey(rawKey);
  if (key.startsWith("tag:")) return { tag: true, tagName: key.slice(4) };
  return { tag: false, family: entryFamily(key) };
}

/** The family of an entry key (`page:v1:20:1` → `page`). */
export function keyFamily(rawKey: string): EntryFamily | "tag" {
  const kind = classifyKey(rawKey);
  return kind.tag ? "tag" : kind.family;
}

/** The family of a tag (`post:7:likes` → `post:{id}:likes`). */
export function tagFamily(tag: string): TagFamily {
  if (tag === "posts") return "posts";
  // Every entry's implicit tag, bumped once after an outage swallowed other bumps (lib/cache/tags.ts).
  if (tag === "epoch") return "epoch";
  const match = /^post:\d+(:likes|:comments)?$/.exec(tag);
  if (!match) return "other";
  if (match[1] === ":likes") return "post:{id}:likes";
  if (match[1] === ":comments") return "post:{id}:comments";
  return "post:{id}";
}

/** The family of a logical key (`likes-count:7` → `likes-count`); tags are not entries. */
export function entryFamily(logical: string): EntryFamily {
  for (const [prefix, family] of ENTRY_PREFIXES) if (logical.startsWith(prefix)) return family;
  return "other";
}
