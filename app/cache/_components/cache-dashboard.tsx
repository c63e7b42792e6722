"use client";

import { queryOptions, useQuery } from "@tanstack/react-query";
import { fetchJson } from "@/lib/query/api";
import type { CacheStats, FamilyCounts, StatsPoint } from "@/lib/metrics/types";
import { BarChart, LineChart } from "./charts";

/** The dashboard's feed, polled every 2 s while the page is open (the server keeps a snapshot every 5 s). */
export function cacheStatsQueryOptions() {
  return queryOptions({
    queryKey: ["cache-stats"] as const,
    queryFn: ({ signal }) => fetchJson<CacheStats>("/api/cache-stats", { signal }),
    refetchInterval: 2_000,
    staleTime: 0,
    // Keep polling in a background tab: the window is short, gaps would show.
    refetchIntervalInBackground: true,
  });
}

/** What each key family holds, and what a healthy hit ratio looks like for it. */
const FAMILY_NOTES: Record<string, string> = {
  "post-dto": "A post's title, author and date. Good: near 100% once warm — only an edit invalidates it.",
  "post-content": "A post's Markdown and rendered HTML. Good: near 100% — only an edit invalidates it.",
  "likes-count": "A post's likes count, the article's cached value. Good: high, with a short dip after each like.",
  "comments-count": "A post's comments count. Good: high; each new comment costs one reload.",
  comments: "A post's newest comments. Good: high; each new comment costs one reload.",
  page: "Which posts a list page shows, and the total. Good: high; a new or deleted post reloads every page once.",
  "posts-count": "The number of posts, shared by every list page. Good: high; read only when a page is rebuilt.",
  response: "A list page's whole JSON, sent as is. Good: high; any like, comment or edit on one of its posts reloads it once.",
  liked: "Whether a signed-in reader likes a post. Good: rising as readers come back; no reads while nobody is signed in.",
};

const MODE_NOTES: Record<CacheStats["mode"], string> = {
  off: "no cache: every read goes to the database",
  "per-object": "one cache call per post for its likes count",
  batched: "one multi-get for a page's likes counts",
  full: "cached posts and pages, tag invalidation",
};

export function CacheDashboard({ initial }: { initial: CacheStats }) {
  const { data = initial, isError, dataUpdatedAt } = useQuery({
    ...cacheStatsQueryOptions(),
    initialData: initial,
    // The server's clock, so the server render and the first browser render agree.
    initialDataUpdatedAt: initial.now,
  });
  const times = data.points.map((p) => p.t);
  const requestCost = costSeries(data.points);
  const w = data.window.app;
  return (
    <div className="cache-dashboard">
      <h1 className="page-title">Cache dashboard</h1>
      <p className="cache-lede">
        How this server process serves reads, over the last {minutes(data.windowSeconds)}. Updated every 2 seconds
        {isError ? " — the last update failed, showing older numbers" : ""}.
      </p>
      <dl className="cache-facts" aria-label="Cache status">
        <div>
          <dt>Mode</dt>
          <dd>
            <code>{data.mode}</code> <span className="cache-muted">({MODE_NOTES[data.mode]})</span>
          </dd>
        </div>
        <div>
          <dt>Backend</dt>
          <dd>{data.backend === "redis" ? "Redis" : data.backend === "memory" ? "in memory (this process)" : "not used yet"}</dd>
        </div>
        <div>
          <dt>Circuit breaker</dt>
          <dd className={data.circuit === "closed" || data.circuit === "unknown" ? undefined : "cache-alert"}>
            {data.circuit === "unknown" ? "—" : data.circuit}
          </dd>
        </div>
      </dl>
      <dl className="cache-facts" aria-label="Database and load" data-testid="degraded">
        <div>
          <dt>Database</dt>
          <dd className={data.database.up === false ? "cache-alert" : undefined} data-testid="database-state">
            {data.database.up === null ? "not used yet" : data.database.up ? "reachable" : `unreachable since ${clock(data.database.since)}`}
          </dd>
        </div>
        <div>
          <dt>Failed statements</dt>
          <dd data-testid="failed-statements">{describeCounts(data.database.failedStatements)}</dd>
        </div>
        <div>
          <dt>In flight / waiting</dt>
          <dd>{data.admission ? `${data.admission.inFlight} / ${data.admission.waiting}` : "—"}</dd>
        </div>
        <div>
          <dt>Shed (503, overload)</dt>
          <dd data-testid="shed">{data.admission ? describeCounts(data.admission.shed) : "—"}</dd>
        </div>
      </dl>
      {data.database.up === false ? (
        <p className="cache-alert">
          PostgreSQL cannot be reached: reads the cache holds are still served; everything else answers 503 with Retry-After.
        </p>
      ) : null}

      <section aria-labelledby="hit-ratio-heading" className="cache-section">
        <h2 id="hit-ratio-heading">Hit ratio by key family</h2>
        <p className="cache-hint">
          Share of cached entries served from the cache rather than reloaded from the database, per 5-second interval.
        </p>
        <div className="cache-grid">
          {data.families.map((family) => {
            const total = data.window.families[family] ?? { hits: 0, misses: 0, stale: 0 };
            const values = data.points.map((p) => ratio(p.families[family]));
            return (
              <figure key={family} className="cache-card" aria-label={`${family} hit ratio`} data-family={family}>
                <figcaption className="cache-card-head">
                  <code>{family}</code>
                  <strong className="cache-ratio" data-testid={`ratio-${family}`}>
                    {formatRatio(total)}
                  </strong>
                </figcaption>
                <p className="cache-counts" data-testid={`counts-${family}`}>
                  {total.hits + total.misses === 0
                    ? "no reads yet"
                    : `${total.hits.toLocaleString("en-US")} of ${(total.hits + total.misses).toLocaleString("en-US")} from cache`}
                  {total.stale > 0 ? ` · ${total.stale.toLocaleString("en-US")} stale, reloaded` : ""}
                </p>
                <LineChart
                  label={`${family}: hit ratio per 5 seconds over the last ${minutes(data.windowSeconds)}`}
                  series={[{ name: family, color: "var(--chart-1)", values }]}
                  times={times}
                  now={data.now}
                  windowSeconds={Math.max(60, data.windowSeconds)}
                  yMax={1}
                  yTicks={[0, 0.5, 1]}
                  formatY={(v) => `${Math.round(v * 100)}%`}
                  height={96}
                />
                <p className="cache-good">{FAMILY_NOTES[family] ?? "Good: high once warm."}</p>
              </figure>
            );
          })}
        </div>
      </section>

      <section aria-labelledby="cost-heading" className="cache-section">
        <h2 id="cost-heading">What a request costs</h2>
        <figure className="cache-card cache-wide" aria-label="SQL statements and cache round trips per request">
          <figcaption className="cache-card-head">
            <span>Per request, average</span>
            <span className="cache-legend">
              <span className="cache-key cache-key-1" aria-hidden="true" /> SQL statements{" "}
              <strong data-testid="avg-sql">{average(w.sqlStatements, w.requests)}</strong>
              <span className="cache-key cache-key-2" aria-hidden="true" /> cache round trips{" "}
              <strong data-testid="avg-round-trips">{average(w.roundTrips, w.requests)}</strong>
            </span>
          </figcaption>
          <LineChart
            label={`SQL statements and cache round trips per request over the last ${minutes(data.windowSeconds)}`}
            series={[
              { name: "SQL statements", color: "var(--chart-1)", values: requestCost.sql },
              { name: "cache round trips", color: "var(--chart-2)", values: requestCost.roundTrips },
            ]}
            times={times}
            now={data.now}
            windowSeconds={Math.max(60, data.windowSeconds)}
            yMax={requestCost.max}
            yTicks={ticks(requestCost.max)}
            formatY={(v) => String(v)}
          />
          <p className="cache-good">
            Good: in <code>full</code> mode with a warm cache, 0 SQL statements and 1 round trip per read; <code>off</code> is
            2–3 statements and no round trip; writes always cost SQL.
          </p>
        </figure>
        {data.window.routes.length > 0 ? (
          <div className="cache-table-wrap">
            <table className="cache-table">
              <caption>By route, over the same window ({w.requests.toLocaleString("en-US")} requests)</caption>
              <thead>
                <tr>
                  <th scope="col">Route</th>
                  <th scope="col">Requests</th>
                  <th scope="col">SQL / req</th>
                  <th scope="col">Round trips / req</th>
                  <th scope="col">ms / req</th>
                </tr>
              </thead>
              <tbody>
                {data.window.routes.slice(0, 12).map((r) => (
                  <tr key={r.route}>
                    <th scope="row">
                      <code>{r.route}</code>
                    </th>
                    <td>{r.requests.toLocaleString("en-US")}</td>
                    <td>{average(r.sqlStatements, r.requests)}</td>
                    <td>{average(r.roundTrips, r.requests)}</td>
                    <td>{average(r.durationMs, r.requests)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="cache-muted">No page or API request yet in this window.</p>
        )}
      </section>

      <section aria-labelledby="invalidations-heading" className="cache-section">
        <h2 id="invalidations-heading">Most invalidated tags</h2>
        <figure className="cache-card cache-wide" aria-label="Invalidations per tag family">
          <figcaption className="cache-card-head">
            <span>Tag bumps per family, since the server started</span>
          </figcaption>
          <BarChart
            label="Invalidations per tag family since the server started"
            bars={data.invalidations.families.map((f) => ({ name: f.family, value: f.count }))}
          />
          <p className="cache-good">
            Good: bumps follow writes one for one — a like bumps <code>post:{"{id}"}:likes</code>, a new post bumps{" "}
            <code>posts</code>. A family that grows with no writes is invalidating too much.
          </p>
        </figure>
        {data.invalidations.failed > 0 ? (
          <p className="cache-alert">
            {data.invalidations.failed.toLocaleString("en-US")} bump(s) failed while the cache was unreachable.
          </p>
        ) : null}
        {data.invalidations.topTags.length > 0 ? (
          <ol className="cache-top-tags" aria-label="Most invalidated tags">
            {data.invalidations.topTags.map((t) => (
              <li key={t.tag}>
                <code>{t.tag}</code> <span className="cache-muted">{t.approximate ? "≥ " : ""}{t.count.toLocaleString("en-US")}</span>
              </li>
            ))}
          </ol>
        ) : null}
      </section>

      <section aria-labelledby="store-heading" className="cache-section">
        <h2 id="store-heading">What went into the store</h2>
        <p className="cache-hint">
          Since the server started: {formatBytes(data.store.bytesRead)} read, {formatBytes(data.store.bytesWritten)} written.
        </p>
        <dl className="cache-facts" aria-label="The store now" data-testid="store-now">
          <div>
            <dt>{data.backend === "memory" ? "Memory cache size" : "Redis memory (all prefixes)"}</dt>
            <dd>{data.store.usedMemoryBytes === null ? "unknown" : formatBytes(data.store.usedMemoryBytes)}</dd>
          </div>
          <div>
            <dt>Keys of this app</dt>
            <dd>
              {data.store.keyCount === null
                ? "unknown"
                : `${data.store.keyCountComplete ? "" : "≥ "}${data.store.keyCount.toLocaleString("en-US")}`}
            </dd>
          </div>
        </dl>
        <p className="cache-good">
          Good: the key count levels off once the cache is warm (entries expire; tags stay, one per post and kind). Counted with SCAN every 10 s.
        </p>
        <figure className="cache-card cache-wide" aria-label="Entries written per key family">
          <figcaption className="cache-card-head">
            <span>Entries written per key family, since the server started</span>
          </figcaption>
          <BarChart
            label="Entries written to the cache per key family since the server started"
            bars={Object.entries(data.store.entriesWritten)
              .sort((a, b) => b[1] - a[1])
              .map(([name, value]) => ({ name, value }))}
            color="var(--chart-2)"
          />
          <p className="cache-good">Good: writes level off once the cache is warm; a family that keeps growing is reloaded again and again.</p>
        </figure>
      </section>
      <p className="cache-muted cache-updated">
        Last update: <time dateTime={new Date(dataUpdatedAt || data.now).toISOString()}>{clock(dataUpdatedAt || data.now)}</time>
      </p>
    </div>
  );
}

function ratio(counts: FamilyCounts | undefined): number | null {
  if (!counts) return null;
  const total = counts.hits + counts.misses;
  return total === 0 ? null : counts.hits / total;
}

function formatRatio(counts: FamilyCounts): string {
  const r = ratio(counts);
  return r === null ? "—" : `${Math.round(r * 100)}%`;
}

function average(sum: number, n: number): string {
  if (n === 0) return "—";
  const avg = sum / n;
  return avg >= 10 ? avg.toFixed(0) : avg.toFixed(1);
}

function costSeries(points: readonly StatsPoint[]) {
  const sql = points.map((p) => (p.app.requests > 0 ? p.app.sqlStatements / p.app.requests : null));
  const roundTrips = points.map((p) => (p.app.requests > 0 ? p.app.roundTrips / p.app.requests : null));
  const top = Math.max(1, ...sql.map((v) => v ?? 0), ...roundTrips.map((v) => v ?? 0));
  return { sql, roundTrips, max: niceMax(top) };
}

function niceMax(value: number): number {
  for (const step of [1, 2, 4, 5, 10, 20, 25, 50, 100, 200, 500, 1000]) if (value <= step) return step;
  return Math.ceil(value / 1000) * 1000;
}

function ticks(max: number): number[] {
  return [0, max / 2, max];
}

function minutes(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} seconds`;
  return `${Math.round(seconds / 60)} minutes`;
}

/** "none", or "12 (wait 10, queue-full 2)" — the total, then each reason that has any. */
function describeCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return "none";
  return `${total.toLocaleString("en-US")} (${entries.map(([reason, n]) => `${reason} ${n.toLocaleString("en-US")}`).join(", ")})`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** HH:MM:SS in UTC, identical on the server and in the browser (no hydration mismatch). */
function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}
