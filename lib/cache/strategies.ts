import type { TagStore, TaggedFill, TaggedSpec } from "./tags";

/**
 * The read-through strategies the services call, on tagged entries.
 *
 * - `cachedOne`: one value; one round trip when warm; on a miss, one load and
 *   one more round trip to fill. Concurrent misses of the same key in one
 *   process share one load (single-flight).
 * - `cachedMany`: many values in ONE round trip (one MGET of entries and their
 *   tags); ALL misses loaded by ONE call of `loadMany` (one grouped query,
 *   never one per miss as in the article), written back in ONE round trip.
 *   Results line up with `ids`, like DataLoader's.
 *
 * Both stamp what they fill with the tag tokens read before loading, so a fill
 * that raced a write is never served after it (see tags.ts).
 */

const inflight = new Map<string, Promise<unknown>>();

/** Read-through for one value. `load` runs at most once per key at a time in this process. */
export async function cachedOne<T>(
  store: TagStore,
  spec: TaggedSpec,
  load: () => Promise<T>,
  ttl: number | null,
): Promise<T> {
  const [read] = await store.read<T>([spec]);
  if (read?.hit) return read.value;
  const stamp = read?.stamp ?? [];
  let pending = inflight.get(spec.key) as Promise<T> | undefined;
  if (!pending) {
    pending = (async () => {
      const value = await load();
      await store.fill([{ spec, value, stamp, ttl }]);
      return value;
    })().finally(() => inflight.delete(spec.key));
    inflight.set(spec.key, pending);
  }
  return pending;
}

/**
 * Batched read-through: the value for each id, lined up with `ids`.
 * `loadMany(missingIds)` must return a Map with an entry for every id it was
 * given (a value of 0 or null is a value); an id it leaves out is an error.
 */
export async function cachedMany<T>(
  store: TagStore,
  ids: readonly number[],
  specOf: (id: number) => TaggedSpec,
  loadMany: (missingIds: number[]) => Promise<Map<number, T>>,
  ttl: number | null,
): Promise<T[]> {
  const specs = ids.map(specOf);
  const reads = await store.read<T>(specs);
  const values: (T | undefined)[] = reads.map((r) => (r.hit ? r.value : undefined));
  const missing = ids.filter((_, i) => !reads[i]?.hit);
  if (missing.length === 0) return values as T[];
  const loaded = await loadMany([...new Set(missing)]);
  const fills: TaggedFill[] = [];
  ids.forEach((id, i) => {
    const read = reads[i];
    if (!read || read.hit) return;
    if (!loaded.has(id)) throw new Error(`loadMany did not return a value for id ${id}`);
    const value = loaded.get(id) as T;
    values[i] = value;
    fills.push({ spec: specs[i]!, value, stamp: read.stamp, ttl });
  });
  await store.fill(fills);
  return values as T[];
}
