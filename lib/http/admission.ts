import type { IncomingMessage, ServerResponse } from "node:http";
import type { Env } from "@/lib/env";
import type { Logger } from "@/lib/log";
import { MONITORING_ROUTES, normalizeRoute, watchAdmission } from "@/lib/metrics";
import { unavailableBody } from "./unavailable";

// Admission control for the production server (server.ts): past what the
// process can serve in time, a new request is answered 503 `unavailable` at
// once, instead of joining a queue in which everyone waits seconds.
//
// One process serves requests by sharing one core among all those in flight:
// with N in flight, each takes about N times its own CPU time (a page costs
// ~12 ms of CPU, so 256 at once answer after ~3 s, all of them). So:
// - at most `maxInFlight` requests are served at once;
// - the next ones wait, first come first served, for at most `maxWaitMs` —
//   a burst that drains within that is served whole (200 cheap reads at once
//   are no overload), and a request that would wait longer is answered 503
//   AT ONCE, judged from how long requests have been holding their slots
//   lately (a 503 after waiting is only for when that guess was wrong);
// - while the event loop has been late by more than `maxEventLoopDelayMs` at
//   two checks in a row (a standing backlog, not one slow tick such as a
//   garbage collection), every new request is answered 503 at once;
// - `exempt` requests (health, metrics) always go straight through and are
//   not counted: an operator must see the state of an overloaded server.
// docs/reliability.md (Overload) has the figures; docs/decisions says why a
// short, time-bounded wait rather than none.

/**
 * - `full`: every slot busy, and at the rate they have been freeing up the
 *   request would wait longer than `maxWaitMs` (answered at once);
 * - `timeout`: it waited `maxWaitMs` for a slot (the estimate was wrong);
 * - `event-loop-delay`: the event loop is persistently late;
 * - `queue-full`: MAX_WAITING requests already wait (a flood).
 */
export type ShedReason = "full" | "timeout" | "event-loop-delay" | "queue-full";

export interface AdmissionOptions {
  /** Requests served at once; 0: no bound (and no waiting). */
  maxInFlight: number;
  /** Longest wait for a slot before 503; 0: none (over the bound is 503 at once). */
  maxWaitMs: number;
  /** Event-loop delay past which new requests are shed; 0: not watched. */
  maxEventLoopDelayMs: number;
  /** Seconds for `Retry-After` on a shed request. */
  retryAfterSeconds?: number;
  /** Requests that are always served at once and not counted. */
  exempt?: (req: IncomingMessage) => boolean;
  /** Told of every request shed (metrics, logs). */
  onShed?: (reason: ShedReason, req: IncomingMessage) => void;
  /** For tests: the clock (ms), and whether to watch the event loop at all. */
  now?: () => number;
  watchEventLoop?: boolean;
}

export interface AdmissionStats {
  inFlight: number;
  waiting: number;
  /** The event loop's delay at its latest check, ms. */
  eventLoopDelayMs: number;
  shed: Record<ShedReason, number>;
}

export interface Admission {
  /**
   * Serves `req` with `serve` — now, or after a short wait for a slot — or
   * answers it 503 `unavailable` with Retry-After. A served request holds its
   * slot until its response closes.
   */
  admit(req: IncomingMessage, res: ServerResponse, serve: () => void): void;
  stats(): AdmissionStats;
  /** Stops watching the event loop. */
  close(): void;
}

/** Waiting requests beyond this are shed whatever the estimate says (memory, not time). */
const MAX_WAITING = 4_096;
/** How often the event loop is checked (ms). */
const CHECK_MS = 20;
/** Weight of the latest request in the running average of how long a request holds its slot. */
const EWMA_WEIGHT = 0.05;

interface Waiting {
  req: IncomingMessage;
  res: ServerResponse;
  serve: () => void;
  since: number;
  timer: NodeJS.Timeout;
  done: boolean;
}

export function createAdmission(options: AdmissionOptions): Admission {
  const now = options.now ?? (() => performance.now());
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const shedCounts: Record<ShedReason, number> = { full: 0, timeout: 0, "event-loop-delay": 0, "queue-full": 0 };
  let inFlight = 0;
  const queue: Waiting[] = [];
  // How long a request holds its slot, on average lately (ms): with every
  // slot busy, one frees every `heldMs / maxInFlight`. Measured while serving,
  // so it already includes how much slower each request is when many share
  // the core; undefined until a request has finished.
  let heldMs: number | undefined;

  // --- the event loop: a timer that measures how late it fires ------------
  let lastDelay = 0;
  let previousDelay = 0;
  let expected = now() + CHECK_MS;
  let loopTimer: NodeJS.Timeout | undefined;
  const check = () => {
    const at = now();
    previousDelay = lastDelay;
    lastDelay = Math.max(0, at - expected);
    expected = at + CHECK_MS;
    loopTimer = setTimeout(check, CHECK_MS);
    loopTimer.unref();
  };
  if (options.maxEventLoopDelayMs > 0 && options.watchEventLoop !== false) {
    loopTimer = setTimeout(check, CHECK_MS);
    loopTimer.unref();
  }
  const loopLate = () => options.maxEventLoopDelayMs > 0 && lastDelay > options.maxEventLoopDelayMs && previousDelay > options.maxEventLoopDelayMs;

  // --- slots ----------------------------------------------------------------
  const shed = (reason: ShedReason, req: IncomingMessage, res: ServerResponse) => {
    shedCounts[reason] += 1;
    options.onShed?.(reason, req);
    writeShed(req, res, retryAfter);
  };

  const start = (req: IncomingMessage, res: ServerResponse, serve: () => void) => {
    inFlight += 1;
    const startedAt = now();
    let freed = false;
    const release = () => {
      if (freed) return;
      freed = true;
      inFlight -= 1;
      const held = now() - startedAt;
      heldMs = heldMs === undefined ? held : heldMs + EWMA_WEIGHT * (held - heldMs);
      next();
    };
    res.once("close", release);
    serve();
  };

  /** Hands free slots to the oldest waiting requests. */
  const next = () => {
    while (queue.length > 0 && (options.maxInFlight === 0 || inFlight < options.maxInFlight)) {
      const entry = queue.shift()!;
      if (entry.done) continue;
      entry.done = true;
      clearTimeout(entry.timer);
      start(entry.req, entry.res, entry.serve);
    }
  };

  const wait = (req: IncomingMessage, res: ServerResponse, serve: () => void, at: number) => {
    const entry: Waiting = {
      req,
      res,
      serve,
      since: at,
      done: false,
      timer: setTimeout(() => {
        if (entry.done) return;
        entry.done = true;
        dropWaiting(entry);
        shed("timeout", req, res);
      }, options.maxWaitMs),
    };
    queue.push(entry);
    // A client that gives up while waiting frees its place.
    res.once("close", () => {
      if (entry.done) return;
      entry.done = true;
      clearTimeout(entry.timer);
      dropWaiting(entry);
    });
  };

  const dropWaiting = (entry: Waiting) => {
    const i = queue.indexOf(entry);
    if (i >= 0) queue.splice(i, 1);
  };

  return {
    admit(req, res, serve) {
      if (options.exempt?.(req)) {
        serve();
        return;
      }
      if (loopLate()) return shed("event-loop-delay", req, res);
      const full = options.maxInFlight > 0 && (inFlight >= options.maxInFlight || queue.length > 0);
      if (!full) return start(req, res, serve);
      if (options.maxWaitMs <= 0) return shed("full", req, res);
      if (queue.length >= MAX_WAITING) return shed("queue-full", req, res);
      // Would it get a slot in time? Behind `queue.length` others, with a
      // slot freeing every heldMs / maxInFlight. Before any request has
      // finished: let it wait; the deadline still holds.
      if (heldMs !== undefined && ((queue.length + 1) * heldMs) / options.maxInFlight > options.maxWaitMs) return shed("full", req, res);
      wait(req, res, serve, now());
    },
    stats() {
      return { inFlight, waiting: queue.length, eventLoopDelayMs: lastDelay, shed: { ...shedCounts } };
    },
    close() {
      if (loopTimer) clearTimeout(loopTimer);
      loopTimer = undefined;
    },
  };
}

/**
 * The 503: docs/api.md's JSON for the API (and any client that asks for JSON), a
 * few lines of HTML for a page. Nothing of the request is read; the
 * connection stays open for the client's next try.
 */
export function writeShed(req: IncomingMessage, res: ServerResponse, retryAfterSeconds: string): void {
  if (res.headersSent || res.writableEnded) return;
  const path = req.url ?? "/";
  const json = path.startsWith("/api/") || (req.headers.accept ?? "").includes("application/json");
  const body = json
    ? unavailableBody("The server is too busy to answer in time. Try again in a moment.")
    : SHED_PAGE;
  res.writeHead(503, {
    "Content-Type": json ? "application/json; charset=utf-8" : "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "Retry-After": retryAfterSeconds,
  });
  res.end(body);
}

const SHED_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
  "<title>Temporarily unavailable · Cached Blog</title></head><body>" +
  "<h1>Temporarily unavailable</h1><p>The server is too busy to answer in time. Try again in a moment.</p></body></html>";

/**
 * Admission control as the production server runs it: bounds from the
 * environment (SHED_*), the monitoring routes exempt, shed requests counted
 * in the metrics (`http_requests_shed_total`) and logged once a second at
 * most (one line per shed request would add to the overload it reports).
 */
export function serverAdmission(env: Pick<Env, "SHED_MAX_IN_FLIGHT" | "SHED_MAX_WAIT_MS" | "SHED_EVENT_LOOP_DELAY_MS">, log: Logger): Admission {
  let pending: Record<string, number> = {};
  let flush: NodeJS.Timeout | undefined;
  const countShed = watchAdmission(() => admission.stats());
  const admission: Admission = createAdmission({
    maxInFlight: env.SHED_MAX_IN_FLIGHT,
    maxWaitMs: env.SHED_MAX_WAIT_MS,
    maxEventLoopDelayMs: env.SHED_EVENT_LOOP_DELAY_MS,
    exempt: (req) => MONITORING_ROUTES.has(normalizeRoute(req.url)),
    onShed: (reason) => {
      countShed(reason);
      pending[reason] = (pending[reason] ?? 0) + 1;
      flush ??= setTimeout(() => {
        const { inFlight, waiting, eventLoopDelayMs } = admission.stats();
        log.warn({ shed: pending, inFlight, waiting, eventLoopDelayMs: Math.round(eventLoopDelayMs) }, "overloaded: requests answered 503");
        pending = {};
        flush = undefined;
      }, 1_000);
      flush.unref();
    },
  });
  return admission;
}
