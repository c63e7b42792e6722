import { currentScope } from "@/lib/scope";
import { isKnownStamp, type Lease, newToken, type TagStore, type TaggedFill, type TaggedSpec } from "./tags";

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

interface Flight {
  promise: Promise<unknown>;
  startedAt: number;
}

const inflight = new Map<string, Flight>();

/**
 * One database load per key at a time in this process: concurrent callers
 * share a running load instead of starting their own, so a cold key hit by
 * 200 concurrent requests costs one load. Put the write-back INSIDE the
 * flight: a caller whose read missed before the write-back landed then finds
 * the flight still running (replies on one connection arrive in order).
 *
 * A caller may join a running load only if that cannot serve it a value older
 * than a write acknowledged before it asked:
 * - it read the SAME tag tokens as the load's starter (no write has bumped
 *   them in between — a write is acknowledged only after its bump), or
 * - the load STARTED AFTER the caller's request began (it reads a database
 *   that already has every write acknowledged before then). This is what
 *   still shares loads when the cache is down and the tokens are unknown.
 *
 * The SQL is counted in the request that started the load.
 */
export function singleFlight<T>(key: string, stamp: readonly string[], load: () => Promise<T>): Promise<T> {
  const known = isKnownStamp(stamp);
  const stampedKey = `${key}|${stamp.join(",")}`;
  const requestStart = currentScope()?.startedAt ?? performance.now();
  const same = known ? inflight.get(stampedKey) : undefined;
  if (same) return same.promise as Promise<T>;
  const any = inflight.get(key);
  if (any && any.startedAt >= requestStart) return any.promise as Promise<T>;
  const flight: Flight = { startedAt: performance.now(), promise: undefined as unknown as Promise<unknown> };
  const promise = load().finally(() => {
    if (inflight.get(key) === flight) inflight.delete(key);
    if (known && inflight.get(stampedKey) === flight) inflight.delete(stampedKey);
  });
  flight.promise = promise;
  inflight.set(key, flight);
  if (known) inflight.set(stampedKey, flight);
  return promise;
}

/** How long a loader's lease lasts: if it dies (or is this slow), the others load after this. */
export const LEASE_MS = 2_000;
/** How often a waiting instance reads again for the lease holder's value. */
const LEASE_POLL_MS = 20;

/**
 * Across instances: at most one loader per key at a time, as Facebook's
 * memcache leases. Call it inside `singleFlight` (so each process asks once),
 * on a miss:
 * - the first instance takes a short lease in the store (SET NX PX with a
 *   token of its own: one round trip, on the cold path only) and runs
 *   `load(leases)`, which must pass `leases` to `TagStore.fill`'s `release`:
 *   the fill writes the value and frees the lease in the same call — only if
 *   the lease is still this holder's (one that expired and was taken by
 *   another instance is left to it);
 * - the others read again (`reread`, which answers only a VALID value, so
 *   never one older than a write acknowledged before it) every 20 ms until
 *   the holder's fill lands; they load themselves when the lease is gone with
 *   nothing valid to read (no such row; a fill refused because a write came
 *   in between) or its time is up (the holder died or is slow);
 * - when the store does not answer, nobody can coordinate: load;
 * - a load that fails frees the lease (the others load at once, and fail or
 *   not on their own).
 */
export async function leased<T>(
  store: TagStore,
  key: string,
  reread: () => Promise<T | undefined>,
  load: (leases: Lease[]) => Promise<T>,
): Promise<T> {
  const leaseKey = store.leaseKey(key);
  const lease: Lease = { key, token: newToken() };
  let held: boolean;
  try {
    held = await store.cache.backend.setNx(leaseKey, lease.token, LEASE_MS);
  } catch {
    return load([]);
  }
  if (held) {
    const takenAt = performance.now();
    try {
      return await load([lease]);
    } catch (error) {
      // A load that failed (the database unreachable) frees its lease, or the
      // next reader of this key, here or on another instance, would wait out
      // LEASE_MS before failing in turn — only if it is still ours (a fill
      // releases with the same check: compare-and-delete).
      if (performance.now() - takenAt < LEASE_MS) await store.fill([], [], { release: [lease] });
      throw error;
    }
  }
  const deadline = performance.now() + LEASE_MS;
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
    const value = await reread();
    if (value !== undefined) return value;
    // The holder is done and left nothing valid to read (no such row, or its fill was refused), or the store is gone: load.
    try {
      if (!(await store.cache.backend.exists(leaseKey))) break;
    } catch {
      break;
    }
  }
  return load([]);
}

/** Read-through for one value. `load` runs at most once per key at a time in this process. */
export async function cachedOne<T>(
  store: TagStore,
  spec: TaggedSpec,
  load: () => Promise<T>,
  ttl: number,
): Promise<T> {
  const [read] = await store.read<T>([spec]);
  if (read?.hit) return read.value;
  const stamp = read?.stamp ?? [];
  return singleFlight(spec.key, stamp, async () => {
    const value = await load();
    await store.fill([{ spec, value, stamp, ttl }]);
    return value;
  });
}

/**
 * Batched read-through: the value for each id, lined up with `ids`.
 * `loadMany(missingIds)` must return a Map with an entry for every id it was
 * given (a value of 0 or null is a value); an id it leaves out is an error.
 *
 * The flight is keyed by the MISSING entries, so a request joins only a load
 * of exactly what it lacks: two requests for the same ids that missed
 * different ones (a tag bumped between their reads) never share a load that
 * lacks an id one of them needs.
 */
export async function cachedMany<T>(
  store: TagStore,
  ids: readonly number[],
  specOf: (id: number) => TaggedSpec,
  loadMany: (missingIds: number[]) => Promise<Map<number, T>>,
  ttl: number,
): Promise<T[]> {
  const specs = ids.map(specOf);
  const reads = await store.read<T>(specs);
  const values: (T | undefined)[] = reads.map((r) => (r.hit ? r.value : undefined));
  const missing = new Map<number, number>(); // id → its first index
  ids.forEach((id, i) => {
    if (!reads[i]?.hit && !missing.has(id)) missing.set(id, i);
  });
  if (missing.size === 0) return values as T[];
  const missingIds = [...missing.keys()];
  const stamps = missingIds.flatMap((id) => reads[missing.get(id)!]?.stamp ?? []);
  const flightKey = `many:${missingIds.map((id) => specs[missing.get(id)!]!.key).join(",")}`;
  const loaded = await singleFlight(flightKey, stamps, async () => {
    const result = await loadMany(missingIds);
    const fills: TaggedFill[] = missingIds.map((id) => {
      if (!result.has(id)) throw new Error(`loadMany did not return a value for id ${id}`);
      const i = missing.get(id)!;
      return { spec: specs[i]!, value: result.get(id) as T, stamp: reads[i]!.stamp, ttl };
    });
    await store.fill(fills);
    return result;
  });
  ids.forEach((id, i) => {
    if (!reads[i]?.hit) values[i] = loaded.get(id) as T;
  });
  return values as T[];
}
