import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { type CacheEvent, onCacheEvent, onTagEvent, type TagEvent } from "@/lib/cache/events";
import { classifyKey, tagFamily } from "@/lib/cache/tags/families";
import { databaseAvailability } from "@/lib/db/availability";
import { getEnv } from "@/lib/env";
import type { RequestScope } from "@/lib/scope";
import { ASSET_ROUTES, MONITORING_ROUTES } from "./routes";
import { TopK } from "./top-k";
import type { FamilyCounts, RequestCounts } from "./types";

// The process's metrics: one prom-client registry, the cache listeners and
// the dashboard's ring buffer of snapshots — all on globalThis, because this
// module is loaded more than once per process (server.ts through tsx, and
// Next's server bundle; tests reload module graphs).
//
// They only COUNT what lib/cache reports: the backend's calls (round trips,
// keys found, bytes, errors) and the tag store's findings — per family of
// entries, how many reads were valid (hits), absent or stale (misses), and of
// those how many were present but stamped with an old token (stale); per tag
// family, the bumps the store confirmed or not. No knowledge of any domain's
// keys: a family is a bounded name the cache derives from a key's shape.

const INTERVAL_MS = 5_000;
const SNAPSHOTS = 120; // 10 minutes
const TOP_TAGS_CAPACITY = 200;
/** A family label is a short lowercase name; anything else (a key that does not start with a kind) counts as "other". */
const FAMILY_LABEL = /^[a-z][a-z-]{0,30}$/;

interface Snapshot {
  t: number;
  families: Record<string, FamilyCounts>;
  app: RequestCounts;
  routes: Record<string, RequestCounts>;
}

export interface MetricsState {
  readonly since: number;
  readonly registry: Registry;
  readonly m: ReturnType<typeof createMetrics>;
  /** The listener functions: subscribing them through two copies of lib/cache/events adds them once per copy's Set. */
  readonly listener: (event: CacheEvent) => void;
  readonly tagListener: (event: TagEvent) => void;
  readonly subscribedVia: WeakSet<object>;
  readonly totals: {
    families: Map<string, FamilyCounts>;
    written: Map<string, number>;
    app: RequestCounts;
    routes: Map<string, RequestCounts>;
    invalidations: Map<string, number>;
    invalidationsFailed: number;
    bytesRead: number;
    bytesWritten: number;
  };
  readonly topTags: TopK;
  readonly snapshots: Snapshot[];
  /** Set by lib/metrics/app.ts inside Next (where the cache lives): the backend, for its kind and circuit state. */
  probe: (() => { kind: string; circuitState?: () => string } | undefined) | undefined;
  /** Set by the server (`watchAdmission`): admission control's live counts. */
  admission: (() => AdmissionCounts) | undefined;
}

/** What admission control (lib/http/admission.ts) reports: requests served and waiting now, and shed so far per reason. */
export interface AdmissionCounts {
  inFlight: number;
  waiting: number;
  shed: Record<string, number>;
}

function createMetrics(registry: Registry) {
  const registers = [registry];
  const routeBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const partBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
  const countBuckets = [0, 1, 2, 3, 4, 5, 10, 20, 50, 100];
  return {
    hits: new Counter({ name: "cache_hits_total", help: "Tagged cache entries read and valid (served from the cache), per key family.", labelNames: ["family"], registers }),
    misses: new Counter({ name: "cache_misses_total", help: "Tagged cache entries read and not valid (absent, stale or unreadable, or the read failed), per key family.", labelNames: ["family"], registers }),
    stale: new Counter({ name: "cache_stale_total", help: "Of the misses: entries present in the store but stamped with an old tag token (never served).", labelNames: ["family"], registers }),
    errors: new Counter({ name: "cache_errors_total", help: "Cache backend calls that failed (the caller saw misses or a dropped write), per key family in the call (\"tag\" for tag keys) and reason.", labelNames: ["family", "reason"], registers }),
    rawHits: new Counter({ name: "cache_raw_hits_total", help: "Keys the store found (entries and tag tokens), per backend call kind.", labelNames: ["op"], registers }),
    rawMisses: new Counter({ name: "cache_raw_misses_total", help: "Keys the store did not find, or did not read because the call failed, per backend call kind.", labelNames: ["op"], registers }),
    roundTrips: new Counter({ name: "cache_round_trips_total", help: "Requests sent to the cache store (a pipeline or a script call is one), per backend call kind.", labelNames: ["op"], registers }),
    bytesRead: new Counter({ name: "cache_read_bytes_total", help: "UTF-8 bytes of the values received from the cache store.", registers }),
    bytesWritten: new Counter({ name: "cache_written_bytes_total", help: "UTF-8 bytes of the values sent to the cache store.", registers }),
    invalidations: new Counter({ name: "cache_invalidations_total", help: "Tag bumps (invalidations) the store confirmed, per tag family (\"epoch\": the last resort, a full flush).", labelNames: ["tag_family"], registers }),
    invalidationsFailed: new Counter({ name: "cache_invalidations_failed_total", help: "Tag bumps the store did not confirm after every attempt (an epoch bump is then owed), per tag family.", labelNames: ["tag_family"], registers }),
    fastPath: new Counter({ name: "http_fast_path_total", help: "Requests the server's fast path could answer from a whole cached response: answered before Next (hit), or passed to Next, which then stored it (miss).", labelNames: ["outcome"], registers }),
    bumpRetries: new Counter({ name: "cache_invalidation_retries_total", help: "Bumps sent again because the previous attempt was not confirmed (timeout, error, open circuit).", registers }),
    circuitOpen: new Gauge({
      name: "cache_circuit_open",
      help: "1 while the cache's circuit breaker refuses calls (open or half-open), 0 while closed.",
      registers,
      collect() {
        const state = globalForMetrics.blogMetrics;
        const circuit = state ? readCircuit(state) : "unknown";
        if (circuit !== "unknown") this.set(circuit === "closed" ? 0 : 1);
      },
    }),
    info: new Gauge({
      name: "cache_info",
      help: "Always 1; the labels say how reads are served (CACHE_MODE) and by which backend.",
      labelNames: ["mode", "backend"],
      registers,
      collect() {
        const state = globalForMetrics.blogMetrics;
        this.reset();
        this.set({ mode: getEnv().CACHE_MODE, backend: state ? readBackend(state) : "unknown" }, 1);
      },
    }),
    dbUp: new Gauge({
      name: "db_up",
      help: "1 while the latest statement (or health probe) reached PostgreSQL, 0 while it could not; absent before the first.",
      registers,
      collect() {
        const { up } = databaseAvailability();
        this.reset();
        if (up !== null) this.set(up ? 1 : 0);
      },
    }),
    dbFailed: new Counter({
      name: "db_statement_failures_total",
      help: "SQL statements that failed, per reason: unreachable, connection_lost, pool_timeout, statement_timeout (the database could not answer: 503), or error (it answered with an error).",
      labelNames: ["reason"],
      registers,
      collect() {
        // The counts live in lib/db/availability (the database client reports there, in whichever module copy).
        this.reset();
        for (const [reason, count] of databaseAvailability().failed) this.inc({ reason }, count);
      },
    }),
    shed: new Counter({
      name: "http_requests_shed_total",
      help: "Requests answered 503 by admission control, per reason: full (no slot in time, answered at once), timeout (waited for a slot in vain), event-loop-delay, queue-full.",
      labelNames: ["reason"],
      registers,
    }),
    inFlight: new Gauge({
      name: "http_requests_in_flight",
      help: "Requests being served now (admission control's count: health and metrics excluded).",
      registers,
      collect() {
        const stats = globalForMetrics.blogMetrics?.admission?.();
        if (stats) this.set(stats.inFlight);
      },
    }),
    waiting: new Gauge({
      name: "http_requests_waiting",
      help: "Requests waiting for a slot now (admission control).",
      registers,
      collect() {
        const stats = globalForMetrics.blogMetrics?.admission?.();
        if (stats) this.set(stats.waiting);
      },
    }),
    requestDuration: new Histogram({ name: "http_request_duration_seconds", help: "Time from the request's arrival to the end of its response, per route.", labelNames: ["method", "route", "status"], buckets: routeBuckets, registers }),
    sqlDuration: new Histogram({ name: "http_request_sql_duration_seconds", help: "Time spent in SQL statements per request (as Prisma reports it), per route.", labelNames: ["method", "route"], buckets: partBuckets, registers }),
    cacheDuration: new Histogram({ name: "http_request_cache_duration_seconds", help: "Time spent in cache calls per request, per route.", labelNames: ["method", "route"], buckets: partBuckets, registers }),
    sqlStatements: new Histogram({ name: "http_request_sql_statements", help: "SQL statements per request, per route.", labelNames: ["method", "route"], buckets: countBuckets, registers }),
    cacheRoundTrips: new Histogram({ name: "http_request_cache_round_trips", help: "Cache round trips per request, per route.", labelNames: ["method", "route"], buckets: countBuckets, registers }),
  };
}

const globalForMetrics = globalThis as unknown as { blogMetrics?: MetricsState };

/** The process's metrics state, created on first use; subscribes this copy of lib/cache/events. */
export function metricsState(): MetricsState {
  let state = globalForMetrics.blogMetrics;
  if (!state) {
    state = createState();
    globalForMetrics.blogMetrics = state;
  }
  // Once per copy of lib/cache/events (the function object identifies the copy).
  if (!state.subscribedVia.has(onCacheEvent)) {
    state.subscribedVia.add(onCacheEvent);
    onCacheEvent(state.listener);
    onTagEvent(state.tagListener);
  }
  return state;
}

function createState(): MetricsState {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = createMetrics(registry);
  const self: MetricsState = {
    since: Date.now(),
    registry,
    m,
    listener: (event) => onEvent(self, event),
    tagListener: (event) => onTag(self, event),
    subscribedVia: new WeakSet(),
    totals: {
      families: new Map(),
      written: new Map(),
      app: emptyRequests(),
      routes: new Map(),
      invalidations: new Map(),
      invalidationsFailed: 0,
      bytesRead: 0,
      bytesWritten: 0,
    },
    topTags: new TopK(TOP_TAGS_CAPACITY),
    snapshots: [],
    probe: undefined,
    admission: undefined,
  };
  const state = self;
  state.snapshots.push(snapshot(state, state.since));
  // The dashboard's history. unref: a process that is otherwise done exits.
  setInterval(() => {
    state.snapshots.push(snapshot(state, Date.now()));
    if (state.snapshots.length > SNAPSHOTS + 1) state.snapshots.shift();
  }, INTERVAL_MS).unref();
  return state;
}

export const SNAPSHOT_INTERVAL_MS = INTERVAL_MS;

/**
 * Admission control reports here: `stats` for the gauges and the dashboard,
 * and the returned function counts one shed request.
 */
export function watchAdmission(stats: () => AdmissionCounts): (reason: string) => void {
  const state = metricsState();
  state.admission = stats;
  return (reason) => state.m.shed.inc({ reason });
}

export function emptyRequests(): RequestCounts {
  return { requests: 0, sqlStatements: 0, roundTrips: 0, durationMs: 0 };
}

/** The backend's kind ("redis" or "memory"), once lib/metrics/app.ts told us where the cache is. */
export function readBackend(state: MetricsState): "redis" | "memory" | "unknown" {
  try {
    const kind = state.probe?.()?.kind;
    return kind === "redis" || kind === "memory" ? kind : "unknown";
  } catch {
    return "unknown";
  }
}

/** The circuit breaker's state, when the backend has one and lib/metrics/app.ts told us where it is. */
export function readCircuit(state: MetricsState): "closed" | "open" | "half-open" | "unknown" {
  try {
    const value = state.probe?.()?.circuitState?.();
    return value === "closed" || value === "open" || value === "half-open" ? value : "unknown";
  } catch {
    return "unknown";
  }
}

// --- cache events ---

const SCRIPT_NAME = /^[A-Za-z][\w-]{0,39}$/;

/** The `op` label: the backend method, and the script for `eval` (names come from code, bounded anyway). */
function opLabel(event: CacheEvent): string {
  if (event.op !== "eval") return event.op;
  return `eval:${event.script !== undefined && SCRIPT_NAME.test(event.script) ? event.script : "other"}`;
}

/** The family label of a raw key: its kind, or "tag" for a tag's token. */
function keyFamilyLabel(rawKey: string): string {
  const kind = classifyKey(rawKey);
  if (kind.tag) return "tag";
  return FAMILY_LABEL.test(kind.family) ? kind.family : "other";
}

function onEvent(state: MetricsState, event: CacheEvent): void {
  const { m, totals } = state;
  const op = opLabel(event);
  if (event.roundTrips > 0) m.roundTrips.inc({ op }, event.roundTrips);
  if (event.hits > 0) m.rawHits.inc({ op }, event.hits);
  if (event.misses > 0) m.rawMisses.inc({ op }, event.misses);
  if (event.bytesRead > 0) {
    m.bytesRead.inc(event.bytesRead);
    totals.bytesRead += event.bytesRead;
  }
  if (event.bytesWritten > 0) {
    m.bytesWritten.inc(event.bytesWritten);
    totals.bytesWritten += event.bytesWritten;
  }
  if (event.error) {
    const reason = event.error.reason;
    for (const family of new Set(event.keys.map(keyFamilyLabel))) m.errors.inc({ family, reason });
  }
  if (event.op === "eval" && event.script === "fillTagged" && !event.error) {
    // KEYS: the tag keys, then the entry keys being written, then the leases it releases.
    for (const key of event.keys) {
      const family = keyFamilyLabel(key);
      if (family !== "tag" && family !== "lease") add(totals.written, family, 1);
    }
  }
}

function onTag(state: MetricsState, event: TagEvent): void {
  const { m, totals } = state;
  if (event.type === "entries") {
    const family = FAMILY_LABEL.test(event.family) ? event.family : "other";
    const counts = familyTotals(state, family);
    if (event.hits > 0) {
      m.hits.inc({ family }, event.hits);
      counts.hits += event.hits;
    }
    if (event.misses > 0) {
      m.misses.inc({ family }, event.misses);
      counts.misses += event.misses;
    }
    if (event.stale > 0) {
      m.stale.inc({ family }, event.stale);
      counts.stale += event.stale;
    }
    return;
  }
  if (event.attempts > 1) m.bumpRetries.inc(event.attempts - 1);
  for (const tag of event.tags) {
    const family = tagFamily(tag);
    if (event.ok) {
      m.invalidations.inc({ tag_family: family });
      add(totals.invalidations, family, 1);
      state.topTags.add(tag.slice(0, 100));
    } else {
      m.invalidationsFailed.inc({ tag_family: family });
      totals.invalidationsFailed += 1;
    }
  }
}

function add<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function familyTotals(state: MetricsState, family: string): FamilyCounts {
  let counts = state.totals.families.get(family);
  if (!counts) state.totals.families.set(family, (counts = { hits: 0, misses: 0, stale: 0 }));
  return counts;
}

// --- requests (server.ts) ---

/** Counts what the fast path in front of Next did with a request it could answer (server.ts). */
export function countFastPath(outcome: "hit" | "miss"): void {
  metricsState().m.fastPath.inc({ outcome });
}

export interface FinishedRequest {
  method: string;
  route: string;
  /** The status code, or "aborted" when the client went away before the response ended. */
  status: string;
  durationMs: number;
}

/** Records a request that ended: its route's histograms and the dashboard's totals. */
export function finishRequest(scope: RequestScope, request: FinishedRequest): void {
  const state = metricsState();
  const { m } = state;
  const { method, route, status, durationMs } = request;
  m.requestDuration.observe({ method, route, status }, durationMs / 1000);
  m.sqlDuration.observe({ method, route }, scope.db.durationMs / 1000);
  m.cacheDuration.observe({ method, route }, scope.cache.durationMs / 1000);
  m.sqlStatements.observe({ method, route }, scope.db.queries);
  m.cacheRoundTrips.observe({ method, route }, scope.cache.roundTrips);
  if (MONITORING_ROUTES.has(route) || ASSET_ROUTES.has(route)) return;
  for (const counts of [state.totals.app, routeTotals(state, route)]) {
    counts.requests += 1;
    counts.sqlStatements += scope.db.queries;
    counts.roundTrips += scope.cache.roundTrips;
    counts.durationMs += durationMs;
  }
}

function routeTotals(state: MetricsState, route: string): RequestCounts {
  let counts = state.totals.routes.get(route);
  if (!counts) state.totals.routes.set(route, (counts = emptyRequests()));
  return counts;
}

// --- snapshots (the dashboard) ---

export function snapshot(state: MetricsState, t: number): Snapshot {
  const families: Record<string, FamilyCounts> = {};
  for (const [family, counts] of state.totals.families) families[family] = { ...counts };
  const routes: Record<string, RequestCounts> = {};
  for (const [route, counts] of state.totals.routes) routes[route] = { ...counts };
  return { t, families, app: { ...state.totals.app }, routes };
}

export type { Snapshot };
