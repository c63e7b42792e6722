import "server-only";
import { getCache } from "@/lib/cache";
import type { StoreStats } from "@/lib/cache/backend";
import { databaseAvailability } from "@/lib/db/availability";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import {
  emptyRequests,
  metricsState,
  type MetricsState,
  readBackend,
  readCircuit,
  SNAPSHOT_INTERVAL_MS,
  snapshot,
  type Snapshot,
} from "./state";
import type { CacheStats, FamilyCounts, RequestCounts, RouteCounts } from "./types";

// The metrics as the app serves them (GET /api/metrics, GET /api/cache-stats,
// the /cache page). Runs inside Next, where the cache lives: this is where the
// metrics learn which backend to ask for its circuit state.

function ready(): MetricsState {
  const state = metricsState();
  state.probe ??= () => getCache().backend;
  return state;
}

/** Starts counting cache events in this module graph (Next's), before the first scrape. */
export function ensureMetrics(): void {
  ready();
}

/** How old the database's last known state may be when metrics are read; older, one `SELECT 1` looks again. */
const DB_STATE_MS = 10_000;
let dbLook: Promise<unknown> | undefined;

/**
 * `db_up` comes from the app's own statements; while every read is served
 * from the cache there are none, so a scrape (or the dashboard) looks once
 * when the last word is older than 10 s. Never throws; waits at most the
 * connect or statement timeout (DB_CONNECT_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS).
 */
async function refreshDatabaseState(): Promise<void> {
  if (Date.now() - databaseAvailability().lastAt < DB_STATE_MS) return;
  dbLook ??= getDb()
    .$queryRaw`SELECT 1`.catch(() => undefined)
    .finally(() => {
      dbLook = undefined;
    });
  await dbLook;
}

/** The Prometheus text exposition of every metric of the process. */
export async function metricsText(): Promise<{ body: string; contentType: string }> {
  await refreshDatabaseState();
  const state = ready();
  return { body: await state.registry.metrics(), contentType: state.registry.contentType };
}

const TOP_TAGS = 10;

/** How long one look at the store (INFO + SCAN of our prefix) is reused: the dashboard polls every 2 s. */
const STORE_STATS_MS = 10_000;
let storeLook: { at: number; stats: Promise<StoreStats | undefined> } | undefined;

function lookAtStore(now: number): Promise<StoreStats | undefined> {
  if (!storeLook || now - storeLook.at >= STORE_STATS_MS) storeLook = { at: now, stats: getCache().storeStats() };
  return storeLook.stats;
}

/** The dashboard's feed: the ring buffer of snapshots as per-interval changes, plus totals and a look at the store. */
export async function getCacheStats(): Promise<CacheStats> {
  const [stored] = await Promise.all([lookAtStore(Date.now()), refreshDatabaseState()]);
  const state = ready();
  const now = Date.now();
  const snaps: Snapshot[] = [...state.snapshots, snapshot(state, now)];
  const points = snaps.slice(1).map((snap, i) => {
    const before = snaps[i]!;
    return { t: snap.t, families: familyDelta(before.families, snap.families), app: requestDelta(before.app, snap.app) };
  });
  const first = snaps[0]!;
  const last = snaps[snaps.length - 1]!;
  const routes: RouteCounts[] = Object.entries(last.routes)
    .map(([route, counts]) => ({ route, ...requestDelta(first.routes[route] ?? emptyRequests(), counts) }))
    .filter((r) => r.requests > 0)
    .sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route));
  const { totals } = state;
  const db = databaseAvailability();
  const admission = state.admission?.();
  return {
    now,
    since: state.since,
    mode: getEnv().CACHE_MODE,
    backend: readBackend(state),
    circuit: readCircuit(state),
    database: { up: db.up, since: db.changedAt, failedStatements: Object.fromEntries(db.failed) },
    admission: admission ? { inFlight: admission.inFlight, waiting: admission.waiting, shed: admission.shed } : null,
    intervalSeconds: SNAPSHOT_INTERVAL_MS / 1000,
    windowSeconds: Math.round((now - first.t) / 1000),
    families: familiesByVolume(state),
    points,
    window: { families: familyDelta(first.families, last.families), app: requestDelta(first.app, last.app), routes },
    invalidations: {
      families: [...totals.invalidations]
        .map(([family, count]) => ({ family, count }))
        .sort((a, b) => b.count - a.count || a.family.localeCompare(b.family)),
      failed: totals.invalidationsFailed,
      topTags: state.topTags.top(TOP_TAGS).map(({ item, count, error }) => ({ tag: item, count: count - error, approximate: error > 0 })),
    },
    store: {
      entriesWritten: Object.fromEntries(totals.written),
      bytesRead: totals.bytesRead,
      bytesWritten: totals.bytesWritten,
      usedMemoryBytes: stored?.usedMemoryBytes ?? null,
      keyCount: stored?.keyCount ?? null,
      keyCountComplete: stored?.complete ?? false,
    },
  };
}

/** The families seen so far, busiest first (the dashboard's rows). */
function familiesByVolume(state: MetricsState): string[] {
  return [...state.totals.families]
    .sort(([a, x], [b, y]) => y.hits + y.misses - (x.hits + x.misses) || a.localeCompare(b))
    .map(([family]) => family);
}

function familyDelta(before: Record<string, FamilyCounts>, after: Record<string, FamilyCounts>): Record<string, FamilyCounts> {
  const out: Record<string, FamilyCounts> = {};
  for (const [family, a] of Object.entries(after)) {
    const b = before[family] ?? { hits: 0, misses: 0, stale: 0 };
    const d = { hits: a.hits - b.hits, misses: a.misses - b.misses, stale: a.stale - b.stale };
    if (d.hits > 0 || d.misses > 0 || d.stale > 0) out[family] = d;
  }
  return out;
}

function requestDelta(before: RequestCounts, after: RequestCounts): RequestCounts {
  return {
    requests: after.requests - before.requests,
    sqlStatements: after.sqlStatements - before.sqlStatements,
    roundTrips: after.roundTrips - before.roundTrips,
    durationMs: after.durationMs - before.durationMs,
  };
}
