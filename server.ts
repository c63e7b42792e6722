// The production server: Next.js's request handler inside our own HTTP server,
// so that each request — page or API — runs in ONE request scope
// (lib/scope.ts). That is what lets a server-rendered page report its SQL
// statements and cache round trips in `Server-Timing`, which a server
// component cannot set itself (see docs/decisions/004-custom-server.md).
// The same scope gives each request its id (X-Request-Id), its log line and
// its observations in the route histograms of GET /api/metrics.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import next from "next";
import { getTagStore } from "@/lib/cache/process";
import { getAuthSecret, getEnv } from "@/lib/env";
import { createFastPath } from "@/lib/http/fast-path";
import { serverAdmission } from "@/lib/http/admission";
import { serverTiming } from "@/lib/http/timing";
import { degradePageStatus } from "@/lib/http/unavailable";
import { bindRequestId, configureLogger, requestIdFrom } from "@/lib/log";
import { ASSET_ROUTES, countFastPath, finishRequest, MONITORING_ROUTES, normalizeMethod, normalizeRoute } from "@/lib/metrics";
import { createScope, type RequestScope, runInScope } from "@/lib/scope";
import { RENDER_NONCE_HEADER } from "@/lib/security/headers";

const env = getEnv();
getAuthSecret(env); // at start, not at the first sign-in: refuses REDIS_URL without BETTER_AUTH_SECRET
const dev = process.argv.includes("--dev");
// Readable lines when a person reads them (a terminal, or development), JSON for pipelines.
const log = await configureLogger({ pretty: dev || process.stdout.isTTY === true });
const app = next({ dev, dir: import.meta.dirname, hostname: "0.0.0.0", port: env.PORT });
const handle = app.getRequestHandler();
await app.prepare();

// The per-view cache in front of Next (lib/http/fast-path.ts): production
// builds in full mode, unless FAST_PATH=0.
const fastPath =
  !dev && env.CACHE_MODE === "full" && env.FAST_PATH === "1"
    ? createFastPath({
        store: getTagStore,
        buildId: fs.readFileSync(path.join(import.meta.dirname, ".next", "BUILD_ID"), "utf8").trim(),
        secret: getAuthSecret(env),
        onError: (error) => log.warn({ err: error }, "could not store a page whole"),
      })
    : undefined;

// Past what this process can serve in time, new requests get 503 at once
// (lib/http/admission.ts); health and metrics are always served. Admitted
// first, so a request the fast path answers holds its slot only briefly.
const admission = serverAdmission(env, log);

const server = http.createServer((req, res) => admission.admit(req, res, () => serve(req, res)));

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const startedAt = performance.now();
  const scope = createScope();
  const requestId = requestIdFrom(req.headers["x-request-id"]);
  // Pages and handlers see the id the response carries (a malformed one is replaced).
  req.headers["x-request-id"] = requestId;
  // Rate limits key on the client's address: unless a trusted proxy sets it,
  // X-Forwarded-For is what this socket says, not what the client claims.
  if (env.TRUST_PROXY !== "1") req.headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
  res.setHeader("X-Request-Id", requestId);
  bindRequestId(scope, requestId);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    try {
      observe(req, res, scope, requestId, performance.now() - startedAt);
    } catch (error) {
      // A metrics or logging bug must not take the server down.
      log.error({ err: error, reqId: requestId }, "could not record the request");
    }
  };
  // "finish": the response was handed to the OS; "close" alone: the client went away first.
  res.once("finish", end);
  res.once("close", end);
  // A page that failed because the database is unreachable goes out as 503 + Retry-After.
  degradePageStatus(res, scope);
  if (env.ACCOUNTING_HEADERS === "1") {
    // Headers go out with the first byte of the body; by then a page (which
    // awaits its data before it renders) has done all its reads. Route
    // handlers set their own, more precise header; leave theirs alone.
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => http.ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      if (!res.hasHeader("server-timing")) res.setHeader("Server-Timing", serverTiming(scope));
      return writeHead(...args);
    }) as typeof res.writeHead;
  }
  // Only this server chooses the nonce a page renders with (the fast path's placeholder).
  delete req.headers[RENDER_NONCE_HEADER];
  runInScope(() => {
    void (async () => {
      const served = await fastPath?.serve(req, res, scope);
      if (served) countFastPath(served);
      if (served === "hit") return;
      fastPath?.prepare(req, res, scope);
      await handle(req, res);
    })().catch((error: unknown) => {
      log.error({ err: error, reqId: requestId }, "unhandled error");
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end("Internal Server Error");
    });
  }, scope);
}

/** The request's line in the log and its observations in the metrics, once its response has ended. */
function observe(req: http.IncomingMessage, res: http.ServerResponse, scope: RequestScope, requestId: string, durationMs: number): void {
  const route = normalizeRoute(req.url);
  const method = normalizeMethod(req.method);
  const aborted = !res.writableFinished;
  const status = aborted ? "aborted" : String(res.statusCode);
  finishRequest(scope, { method, route, status, durationMs });
  const { db, cache } = scope;
  const line = {
    reqId: requestId,
    method,
    route,
    // The raw path, for finding one request; bounded, without the query string.
    path: (req.url ?? "/").split("?")[0]?.slice(0, 200),
    status: aborted ? null : res.statusCode,
    ...(aborted ? { aborted: true } : {}),
    durationMs: round(durationMs),
    sqlStatements: db.queries,
    sqlMs: round(db.durationMs),
    cacheRoundTrips: cache.roundTrips,
    cacheMs: round(cache.durationMs),
    cacheHits: cache.hits,
    cacheMisses: cache.misses,
    ...(cache.errors > 0 ? { cacheErrors: cache.errors } : {}),
    ...(db.unavailable ? { dbUnavailable: true } : {}),
  };
  log[levelOf(route, res.statusCode, aborted)](line, "request");
}

/** 5xx are errors; the dashboard's polling, scrapes, health checks and static files are debug; the rest info. */
function levelOf(route: string, status: number, aborted: boolean): "error" | "debug" | "info" {
  if (!aborted && status >= 500) return "error";
  if (MONITORING_ROUTES.has(route) || ASSET_ROUTES.has(route)) return "debug";
  return "info";
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

server.listen(env.PORT, () => {
  log.info({ port: env.PORT, dev, cacheMode: env.CACHE_MODE }, `ready on http://localhost:${env.PORT}`);
  // Cache events are counted by the copy of lib/metrics inside Next's bundle
  // (the one in the cache's module graph), loaded with its first route. Load
  // it now, so counting starts at boot rather than at the first scrape.
  fetch(`http://127.0.0.1:${env.PORT}/api/metrics`, { headers: { "X-Request-Id": "startup-metrics-warmup" } }).catch(() => {});
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    // Keep-alive connections would hold close() open; do not wait forever.
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
