// Tagged entries: tokens and stamps (tokens.ts), the store (store.ts), its
// scripts (scripts.ts), whole responses (whole.ts), the owed epoch (epoch.ts),
// metric families (families.ts). See lib/cache/README.md, "Tags".
export { classifyKey, entryFamily, logicalKey, tagFamily } from "./families";
export type { KeyKind } from "./families";
export { fillTaggedScript, readIndexedScript, readTaggedScript } from "./scripts";
export { BUMP_ATTEMPTS, TAG_GRACE_MS, TagStore } from "./store";
export type { IndexedRead, Lease, ReadResult, TaggedFill, WholeFill, WholeOption } from "./store";
export { decodeTagged, EPOCH_TAG, forId, isKnownStamp, newToken, UNKNOWN_TOKEN_PREFIX, unknownToken, withEpoch } from "./tokens";
export type { Stored, TaggedRead, TaggedSpec } from "./tokens";
export { Dependencies, encodeWhole, parseDeps, parseMeta } from "./whole";
export type { WholeHit, WholeMeta } from "./whole";
