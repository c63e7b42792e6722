import type { RequestScope } from "@/lib/scope";

/**
 * The Server-Timing value for a request scope: what it cost in SQL and cache
 * round trips, shown by the browser's devtools. Used by the route wrapper for
 * the API and by the server for pages.
 */
export function serverTiming(scope: RequestScope): string {
  const { db, cache } = scope;
  return [
    `db;dur=${db.durationMs.toFixed(1)};desc="${db.queries} queries"`,
    `cache;dur=${cache.durationMs.toFixed(1)};desc="${cache.roundTrips} round trips, ${cache.hits} hits, ${cache.misses} misses"`,
  ].join(", ");
}
