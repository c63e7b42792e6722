import { NEXT_ROUTER_PREFETCH_HEADER, NEXT_ROUTER_SEGMENT_PREFETCH_HEADER, NEXT_ROUTER_STATE_TREE_HEADER, RSC_HEADER } from "next/dist/client/components/app-router-headers";
import { getEnv } from "@/lib/env";
import type { RequestScope } from "@/lib/scope";
import { serverTiming } from "./timing";

// The headers of the responses the cache can answer, defined once for both
// paths: the route wrapper (lib/http/respond.ts, inside Next) and the fast
// path in front of Next (lib/http/fast-path.ts). No "server-only" here:
// server.ts, which runs outside Next, imports it through the fast path.

/**
 * What Next appends to `Vary` on every App Router response (its
 * base-server's `setVaryHeader`, from its own header names): a response sent
 * without Next must say the same.
 */
export const NEXT_APP_VARY = [RSC_HEADER, NEXT_ROUTER_STATE_TREE_HEADER, NEXT_ROUTER_PREFETCH_HEADER, NEXT_ROUTER_SEGMENT_PREFETCH_HEADER].join(", ");

/**
 * A JSON response's own headers: its type, "revalidate every time" (with the
 * ETag, a repeat is a cheap 304), and `Vary: Cookie` because bodies may carry
 * per-viewer fields. Next adds NEXT_APP_VARY in front of `Vary` on its path.
 */
export function jsonHeaders(etag: string | null): [string, string][] {
  const headers: [string, string][] = [
    ["Content-Type", "application/json; charset=utf-8"],
    ["Cache-Control", "no-cache"],
    ["Vary", "Cookie"],
  ];
  if (etag) headers.push(["ETag", etag]);
  return headers;
}

/**
 * What the request cost (docs/api.md "Per-request accounting headers"): SQL
 * statements and cache round trips for JSON responses, and `Server-Timing`
 * for every response. None with ACCOUNTING_HEADERS=0.
 */
export function accountingHeaders(scope: RequestScope, kind: "json" | "page"): [string, string][] {
  if (getEnv().ACCOUNTING_HEADERS === "0") return [];
  const timing: [string, string] = ["Server-Timing", serverTiming(scope)];
  if (kind === "page") return [timing];
  return [["X-DB-Queries", String(scope.db.queries)], ["X-Cache-Round-Trips", String(scope.cache.roundTrips)], timing];
}

/** RFC 9110 If-None-Match: `*`, or a list of (possibly weak) tags; weak comparison. */
export function etagMatches(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === bare);
}
