// lib/metrics: Prometheus metrics (prom-client) and the /cache dashboard's feed.
// This index is safe outside Next (server.ts runs it through tsx). The parts
// that need the app's cache singleton are in "./app" (server-only):
// `metricsText`, `getCacheStats`, `ensureMetrics`.
export { ASSET_ROUTES, MONITORING_ROUTES, normalizeMethod, normalizeRoute } from "./routes";
export { countFastPath, finishRequest, metricsState, watchAdmission } from "./state";
export type { AdmissionCounts, FinishedRequest, MetricsState } from "./state";
export { TopK } from "./top-k";
export type { CacheStats, FamilyCounts, RequestCounts, RouteCounts, StatsPoint } from "./types";
