// lib/metrics: Prometheus metrics (prom-client) and the /cache dashboard's feed.
// This index is safe outside Next (server.ts runs it through tsx). The parts
// that need the app's cache singleton are in "./app" (server-only):
// `metricsText`, `getCacheStats`, `ensureMetrics`.
export { ENTRY_FAMILIES, TAG_FAMILIES, TAGGED_FAMILIES, classifyKey, entryFamily, keyFamily, logicalKey, tagFamily } from "./families";
export type { EntryFamily, KeyKind, TagFamily } from "./families";
export { ASSET_ROUTES, MONITORING_ROUTES, normalizeMethod, normalizeRoute } from "./routes";
export { beginRequest, finishRequest, metricsState, settleUnowned, watchAdmission } from "./state";
export type { AdmissionCounts, FinishedRequest, MetricsState } from "./state";
export { TopK } from "./top-k";
export type { CacheStats, FamilyCounts, RequestCounts, RouteCounts, StatsPoint } from "./types";
