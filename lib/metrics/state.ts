import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { type CacheEvent, onCacheEvent } from "@/lib/cache/events";
import { EPOCH_TAG } from "@/lib/cache/tags";
import { databaseAvailability } from "@/lib/db/availability";
import { commentsCountSpec, likesCountSpec, postBaseSpec } from "@/lib/posts/cache-keys";
import { getEnv } from "@/lib/env";
import { currentScope, type RequestScope } from "@/lib/scope";
import { classifyKey, type EntryFamily, entryFamily, keyFamily, logicalKey, tagFamily, type TagFamily } from "./families";
import { ASSET_ROUTES, MONITORING_ROUTES } from "./routes";
import { TopK } from "./top-k";
import type { FamilyCounts, RequestCounts } from "./types";

// The process's metrics: one prom-client registry, the cache-event listener,
// per-request ledgers and the dashboard's ring buffer of snapshots — all on
// globalThis, because this module is loaded more than once per process
// (server.ts through tsx, and Next's server bundle; tests reload module graphs).
//
// How a tagged entry is counted (per key family):
// - The cache events say which KEYS a call read, but only how MANY keys were
//   found, not which. So a family's hits and misses are not taken from the
//   store's answer; they come from what the request did next: every entry a
//   request reads and then fills (a `fillTagged` script call lists the entry
//   keys it writes) was a miss — absent, stale or unreadable — and every entry
//   it read and did not fill was served from the cache (a hit). That is
//   settled when the request ends (server.ts), or, for calls made outside a
//   request opened by server.ts (tests calling route handlers, scripts), when
//   the metrics are next read.
// - "Stale" (present in the store but stamped with an old tag token, so
//   reloaded — never served) is derived per request: fills beyond the keys
//   the store did not find were stale. Exact when the request's reads found
//   every key (tags are created by the read scripts, so only entries can be
//   missing); otherwise a lower bound, attributed to a family only when the
//   request's fills were all of one family ("unattributed" else). Not counted
//   for a request whose read failed (nothing is known of what it would have found).

const INTERVAL_MS = 5_000;
const SNAPSHOTS = 120; // 10 minutes
const TOP_TAGS_CAPACITY = 200;
const MAX_PENDING_LEDGERS = 10_000;

/**
 * The list page reads its rows inside one script (`readIndexed`), whose event
 * lists only the page's own keys (its whole response, its entry and its
 * tags): for each post id on the page, the script reads these entries and the
 * tokens of their tags, the implicit epoch tag included (lib/posts/service.ts
 * ROW_SPECS, lib/cache/tags.ts `withEpoch`). When the whole response is valid
 * it reads nothing else (one key read). Kept in step by test/metrics.test.ts
 * (a warm page counts one response hit; a page rebuilt from its pieces one
 * hit per row and family); if they drift, rows are not counted rather than
 * miscounted.
 */
const PAGE_ROW_SPECS = [postBaseSpec, likesCountSpec, commentsCountSpec];
const PAGE_ROW_FAMILIES = PAGE_ROW_SPECS.map((spec) => entryFamily(spec.key));
const PAGE_ROW_KEYS = PAGE_ROW_SPECS.length + new Set([...PAGE_ROW_SPECS.flatMap((spec) => spec.tags), EPOCH_TAG]).size;

/** What one request did with tagged entries, settled when it ends. */
interface Ledger {
  lookups: Map<EntryFamily, number>;
  fills: Map<EntryFamily, number>;
  /** Keys (entries and tags) the store did not find, over the request's tagged reads. */
  rawMisses: number;
  /** A tagged read failed: what it would have found is unknown, so no stale count for this request. */
  readFailed: boolean;
}

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
  /** The one listener function: subscribing it through two copies of lib/cache/events adds it once per copy's Set. */
  readonly listener: (event: CacheEvent) => void;
  readonly subscribedVia: WeakSet<object>;
  readonly ledgers: WeakMap<object, Ledger>;
  /** Ledgers of calls outside a request opened by server.ts; settled when metrics are read. Insertion-ordered. */
  readonly unowned: Map<object, Ledger>;
  readonly owned: WeakSet<object>;
  /** Calls with no request scope at all share this ledger. */
  readonly unscoped: object;
  readonly totals: {
    families: Map<string, FamilyCounts>;
    written: Map<string, number>;
    app: RequestCounts;
    routes: Map<string, RequestCounts>;
    invalidations: Map<TagFamily, number>;
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
    hits: new Counter({ name: "cache_hits_total", help: "Tagged cache entries served from the cache (present and valid), per key family. Counted when the request ends.", labelNames: ["family"], registers }),
    misses: new Counter({ name: "cache_misses_total", help: "Tagged cache entries loaded from the database and written back (absent, stale or unreadable), per key family.", labelNames: ["family"], registers }),
    stale: new Counter({ name: "cache_stale_total", help: "Of the misses: entries present in the store but stamped with an old tag token (never served, reloaded). A lower bound; family \"unattributed\" when a request's fills mixed families.", labelNames: ["family"], registers }),
    errors: new Counter({ name: "cache_errors_total", help: "Cache backend calls that failed (the caller saw misses or a dropped write), per key family in the call (\"tag\" for tag keys) and reason.", labelNames: ["family", "reason"], registers }),
    rawHits: new Counter({ name: "cache_raw_hits_total", help: "Keys the store found (entries and tag tokens), per backend call kind.", labelNames: ["op"], registers }),
    rawMisses: new Counter({ name: "cache_raw_misses_total", help: "Keys the store did not find, or did not read because the call failed, per backend call kind.", labelNames: ["op"], registers }),
    roundTrips: new Counter({ name: "cache_round_trips_total", help: "Requests sent to the cache store (a pipeline or a script call is one), per backend call kind.", labelNames: ["op"], registers }),
    bytesRead: new Counter({ name: "cache_read_bytes_total", help: "UTF-8 bytes of the values received from the cache store.", registers }),
    bytesWritten: new Counter({ name: "cache_written_bytes_total", help: "UTF-8 bytes of the values sent to the cache store.", registers }),
    invalidations: new Counter({ name: "cache_invalidations_total", help: "Tag bumps (invalidations) the store took, per tag family.", labelNames: ["tag_family"], registers }),
    invalidationsFailed: new Counter({ name: "cache_invalidations_failed_total", help: "Tag bumps the store did not take (the call failed), per tag family.", labelNames: ["tag_family"], registers }),
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
  }
  return state;
}

function createState(): MetricsState {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = createMetrics(registry);
  const unscoped = {};
  const self: MetricsState = {
    since: Date.now(),
    registry,
    m,
    listener: (event) => onEvent(self, event),
    subscribedVia: new WeakSet(),
    ledgers: new WeakMap(),
    unowned: new Map(),
    owned: new WeakSet(),
    unscoped,
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
    settleUnowned(state);
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
    for (const family of new Set(event.keys.map(keyFamily))) m.errors.inc({ family, reason });
  }

  if (event.op === "mget" || (event.op === "eval" && event.script === "readTagged")) {
    // A tagged read (TagStore.read: the `readTagged` script, or an MGET) asks
    // for tag tokens with its entries; a plain Cache.get/getMany does not, and
    // is no lookup of a tagged entry.
    let entries: EntryFamily[] | undefined;
    let tagged = false;
    for (const key of event.keys) {
      const kind = classifyKey(key);
      if (kind.tag) tagged = true;
      else (entries ??= []).push(kind.family);
    }
    if (!tagged) return;
    const ledger = ledgerFor(state);
    ledger.rawMisses += event.misses;
    if (event.error) ledger.readFailed = true;
    for (const family of entries ?? []) add(ledger.lookups, family, 1);
  } else if (event.op === "eval" && event.script === "readIndexed") {
    const ledger = ledgerFor(state);
    ledger.rawMisses += event.misses;
    if (event.error) ledger.readFailed = true;
    // KEYS: [the whole response,] the index entry, its tags.
    let keys = event.keys;
    const first = keys[0];
    if (first !== undefined && keyFamily(first) === "response") {
      add(ledger.lookups, "response", 1);
      // Served whole: the script read that one key and nothing else.
      if (event.keysRead === 1 && event.hits === 1) return;
      keys = keys.slice(1);
    }
    const index = keys[0];
    if (index !== undefined) add(ledger.lookups, keyFamily(index) as EntryFamily, 1);
    // The reply: one value per key of the call, then PAGE_ROW_KEYS values per post id.
    const derived = event.keysRead - event.keys.length;
    if (derived > 0 && derived % PAGE_ROW_KEYS === 0) {
      const rows = derived / PAGE_ROW_KEYS;
      for (const family of PAGE_ROW_FAMILIES) add(ledger.lookups, family, rows);
    }
  } else if (event.op === "eval" && event.script === "fillTagged") {
    // KEYS: the tag keys, then the entry keys being written, then the leases it releases.
    const ledger = ledgerFor(state);
    for (const key of event.keys) {
      const kind = classifyKey(key);
      if (kind.tag || logicalKey(key).startsWith("lease:")) continue;
      add(ledger.fills, kind.family, 1);
      if (!event.error) add(totals.written, kind.family, 1);
    }
  } else if (event.op === "mset") {
    // TagStore.invalidate writes new tokens to tag keys: each one is a bump.
    for (const key of event.keys) {
      const kind = classifyKey(key);
      if (!kind.tag) continue;
      const family = tagFamily(kind.tagName);
      if (event.error) {
        m.invalidationsFailed.inc({ tag_family: family });
        totals.invalidationsFailed += 1;
      } else {
        m.invalidations.inc({ tag_family: family });
        add(totals.invalidations, family, 1);
        state.topTags.add(kind.tagName.slice(0, 100));
      }
    }
  }
}

function add<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function ledgerFor(state: MetricsState): Ledger {
  const scope: object = currentScope() ?? state.unscoped;
  let ledger = state.ledgers.get(scope);
  if (!ledger) {
    ledger = { lookups: new Map(), fills: new Map(), rawMisses: 0, readFailed: false };
    state.ledgers.set(scope, ledger);
    if (!state.owned.has(scope)) {
      state.unowned.set(scope, ledger);
      if (state.unowned.size > MAX_PENDING_LEDGERS) {
        const oldest = state.unowned.keys().next().value;
        if (oldest !== undefined) settle(state, oldest);
      }
    }
  }
  return ledger;
}

/** Counts what a request did with tagged entries, once. */
function settle(state: MetricsState, scope: object): void {
  const ledger = state.ledgers.get(scope);
  state.unowned.delete(scope);
  if (!ledger) return;
  state.ledgers.delete(scope);
  const { m } = state;
  let fills = 0;
  for (const family of new Set([...ledger.lookups.keys(), ...ledger.fills.keys()])) {
    const looked = ledger.lookups.get(family) ?? 0;
    const filled = ledger.fills.get(family) ?? 0;
    fills += filled;
    const hits = Math.max(0, looked - filled);
    const counts = familyTotals(state, family);
    if (hits > 0) {
      m.hits.inc({ family }, hits);
      counts.hits += hits;
    }
    if (filled > 0) {
      m.misses.inc({ family }, filled);
      counts.misses += filled;
    }
  }
  const stale = fills - ledger.rawMisses;
  if (stale <= 0 || ledger.readFailed) return;
  if (ledger.rawMisses === 0) {
    for (const [family, filled] of ledger.fills) addStale(state, family, filled);
  } else {
    const only = ledger.fills.size === 1 ? [...ledger.fills.keys()][0] : undefined;
    addStale(state, only ?? "unattributed", stale);
  }
}

function addStale(state: MetricsState, family: string, n: number): void {
  if (n <= 0) return;
  state.m.stale.inc({ family }, n);
  familyTotals(state, family).stale += n;
}

function familyTotals(state: MetricsState, family: string): FamilyCounts {
  let counts = state.totals.families.get(family);
  if (!counts) state.totals.families.set(family, (counts = { hits: 0, misses: 0, stale: 0 }));
  return counts;
}

/** Settles the ledgers of calls made outside a request opened by server.ts (see the top of this file). */
export function settleUnowned(state: MetricsState): void {
  for (const scope of [...state.unowned.keys()]) settle(state, scope);
}

// --- requests (server.ts) ---

/** Marks a request scope as the server's: its ledger is settled when the response ends, not when metrics are read. */
export function beginRequest(scope: RequestScope): void {
  metricsState().owned.add(scope);
}

export interface FinishedRequest {
  method: string;
  route: string;
  /** The status code, or "aborted" when the client went away before the response ended. */
  status: string;
  durationMs: number;
}

/** Records a request that ended: route histograms from its scope, and its cache ledger. */
export function finishRequest(scope: RequestScope, request: FinishedRequest): void {
  const state = metricsState();
  settle(state, scope);
  // Calls still made for this scope (work after the response) are settled later.
  state.owned.delete(scope);
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
