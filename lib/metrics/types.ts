// The JSON feed of the /cache dashboard (GET /api/cache-stats). Types only:
// client components import them with `import type`.

/** Tagged entries of one family: served from the cache, loaded and refilled, and (of those) found stale. */
export interface FamilyCounts {
  hits: number;
  misses: number;
  stale: number;
}

/** What the requests of the app (pages and API, not the monitoring routes) cost, summed. */
export interface RequestCounts {
  requests: number;
  sqlStatements: number;
  roundTrips: number;
  durationMs: number;
}

/** The change over one interval that ends at `t` (ms since the epoch). */
export interface StatsPoint {
  t: number;
  families: Record<string, FamilyCounts>;
  app: RequestCounts;
}

export interface RouteCounts extends RequestCounts {
  route: string;
}

export interface CacheStats {
  /** ms since the epoch, when this was built. */
  now: number;
  /** When this process started counting (ms since the epoch). */
  since: number;
  mode: "off" | "per-object" | "batched" | "full";
  backend: "redis" | "memory" | "unknown";
  circuit: "closed" | "open" | "half-open" | "unknown";
  /** PostgreSQL as this process's statements found it (lib/db/availability). */
  database: {
    /** The latest statement's outcome: reached it, or could not; null before any. */
    up: boolean | null;
    /** When `up` last changed (ms since the epoch). */
    since: number;
    /** Failed statements since the process started, per reason ("error": the database answered with an error). */
    failedStatements: Record<string, number>;
  };
  /** Admission control (production server only; null under `next dev` or in tests that call routes directly). */
  admission: {
    inFlight: number;
    waiting: number;
    /** Requests answered 503 since the process started, per reason. */
    shed: Record<string, number>;
  } | null;
  intervalSeconds: number;
  windowSeconds: number;
  /** The families of tagged entries seen so far, busiest first. */
  families: string[];
  /** Oldest first; the last point is the interval in progress (ends at `now`). */
  points: StatsPoint[];
  /** Totals over the points (the last `windowSeconds` at most). */
  window: {
    families: Record<string, FamilyCounts>;
    app: RequestCounts;
    /** Busiest routes first. */
    routes: RouteCounts[];
  };
  /** Since `since`. */
  invalidations: {
    families: { family: string; count: number }[];
    /** Bumps the store did not take (cache down): entries stamped before may still be served. */
    failed: number;
    /**
     * The most bumped tags (a bounded top-k). `count` is exact, or — when
     * `approximate` — a lower bound (the tag was evicted once and came back).
     */
    topTags: { tag: string; count: number; approximate: boolean }[];
  };
  /** What the metrics know of the store, since `since`. */
  store: {
    /** Entries sent to the store by fills, per family. */
    entriesWritten: Record<string, number>;
    bytesRead: number;
    bytesWritten: number;
    /** The store's memory use (Redis `used_memory`, all prefixes); null when it did not answer. Refreshed every 10 s. */
    usedMemoryBytes: number | null;
    /** Keys of this app's prefix (SCAN); null when the store did not answer. */
    keyCount: number | null;
    /** False when the SCAN stopped early (a very large keyspace): `keyCount` is then a lower bound. */
    keyCountComplete: boolean;
  };
}
