// `npm run bench -- --overload`: the production server past what it can serve
// in time, without admission control and with it (lib/http/admission.ts).
//
// For each endpoint (list page 1, `/`): 256 connections for 10 s (autocannon
// pinned to core 1, the app to core 0, as every benchmark here), while this
// process asks /api/health every 100 ms; then ONE request right after the
// burst. Reported: p50/p99 of the requests answered 200 (a shed request's fast
// 503 is not a served one), the share shed with 503, whether health answered
// every time, and the request after the burst against the same request alone
// before it. The issue's bounds (docs/reliability.md, Overload): with
// admission control, p99 of the 200s under 1 s on list page 1 and under 2 s
// on `/`, health answering throughout, the request after the burst in normal
// time.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchDatabase } from "./data";
import type { LoadResult } from "./load";
import { pinned, runLoad, type Server, startApp } from "./procs";
import { fmtInt, fmtMs, machine, machineLine, resultsDir } from "./report";

/** What bench/run.ts lends this file (its Bench class and helpers). */
export interface OverloadHost {
  readonly appPort: number;
  /** A fresh cache prefix, cleared now and at the end of the run. */
  prefix(name: string): Promise<string>;
  appEnv(db: BenchDatabase, mode: "full", prefix: string): Record<string, string>;
}

export interface OverloadHooks {
  prepare(posts: number): Promise<{ db: BenchDatabase; build: { buildId: string } }>;
  phase(message: string): void;
  checkpoint(): void;
}

const CONNECTIONS = 256;
const SECONDS = 10;
const HEALTH_EVERY_MS = 100;
/**
 * A busy Node process accepts about one new connection per turn of its event
 * loop (measured here: libuv under load), so the 256 connections opened at
 * the start of a burst wait in the kernel's accept queue for seconds, before
 * the server — and its admission control — can see their first request.
 * The 200s of requests sent after this many seconds are also reported apart.
 */
const STEADY_AFTER_SECONDS = 5;
const WARMUP_SECONDS = 12;
const ENDPOINTS = [
  { id: "list1", label: "list page 1", path: "/api/posts?page=1" },
  { id: "home", label: "/ (server-rendered)", path: "/" },
] as const;

/** Admission control off (the server before it: every request queues) and as configured by default. */
const CONFIGS = [
  { id: "off", label: "none (before)", env: { SHED_MAX_IN_FLIGHT: "0", SHED_EVENT_LOOP_DELAY_MS: "0" } },
  { id: "default", label: "default bounds (after)", env: {} },
] as const;

interface HealthPolls {
  total: number;
  ok: number;
  /** Polls with no answer within 5 s, or a status other than 200. */
  failed: number;
  p99Ms: number;
  maxMs: number;
}

export interface OverloadRow {
  admission: string;
  endpoint: string;
  label: string;
  load: LoadResult;
  answered: number;
  shed: number;
  otherNon2xx: number;
  health: HealthPolls;
  aloneMs: number;
  afterBurst: { status: number; ms: number };
}

async function timed(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

function pollHealth(url: string): { stop(): Promise<HealthPolls> } {
  let running = true;
  const times: number[] = [];
  let ok = 0;
  let failed = 0;
  const loop = (async () => {
    while (running) {
      const { status, ms } = await timed(`${url}/api/health`);
      times.push(ms);
      if (status === 200) ok += 1;
      else failed += 1;
      await new Promise((r) => setTimeout(r, HEALTH_EVERY_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const sorted = [...times].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
      return { total: times.length, ok, failed, p99Ms: at(0.99), maxMs: at(1) };
    },
  };
}

async function median(url: string, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push((await timed(url)).ms);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

export async function runOverload(host: OverloadHost, hooks: OverloadHooks, posts: number): Promise<void> {
  const startedAt = new Date().toISOString();
  const m = machine(pinned);
  hooks.phase(`machine: ${machineLine(m)}`);
  const { db, build } = await hooks.prepare(posts);
  const rows: OverloadRow[] = [];
  for (const config of CONFIGS) {
    hooks.checkpoint();
    const prefix = await host.prefix(`overload-${config.id}`);
    hooks.phase(`overload, admission control ${config.label}: starting the app, ${WARMUP_SECONDS} s warm-up`);
    const server: Server = await startApp({ name: `app-${prefix}`, port: host.appPort, env: { ...host.appEnv(db, "full", prefix), ...config.env } });
    try {
      await runLoad({
        url: server.url,
        workload: { type: "rotate", paths: ENDPOINTS.map((e) => e.path) },
        connections: 10,
        warmupSeconds: 0,
        durationSeconds: WARMUP_SECONDS,
      });
      for (const endpoint of ENDPOINTS) {
        hooks.checkpoint();
        const url = server.url + endpoint.path;
        const aloneMs = await median(url, 9);
        hooks.phase(`overload, ${config.label}: ${endpoint.label}, ${CONNECTIONS} connections × ${SECONDS} s`);
        const health = pollHealth(server.url);
        let load: LoadResult;
        try {
          load = await runLoad({
            url: server.url,
            workload: { type: "fixed", path: endpoint.path },
            connections: CONNECTIONS,
            warmupSeconds: 0,
            durationSeconds: SECONDS,
            serverPid: server.pid,
            steadyAfterSeconds: STEADY_AFTER_SECONDS,
          });
        } catch (error) {
          await health.stop();
          throw error;
        }
        const afterBurst = await timed(url);
        const polls = await health.stop();
        const answered = load.statusCodes["200"] ?? 0;
        const shed = load.statusCodes["503"] ?? 0;
        const otherNon2xx = Object.entries(load.statusCodes).reduce((n, [code, count]) => (code === "200" || code === "503" ? n : n + count), 0);
        rows.push({ admission: config.id, endpoint: endpoint.id, label: endpoint.label, load, answered, shed, otherNon2xx, health: polls, aloneMs, afterBurst });
        // Let whatever the burst left behind finish before the next one.
        await new Promise((r) => setTimeout(r, 3_000));
      }
    } finally {
      await server.stop();
    }
  }
  m.loadAvgEnd = os.loadavg().map((n) => Math.round(n * 100) / 100);
  const result = { kind: "overload", startedAt, finishedAt: new Date().toISOString(), machine: m, build, posts, connections: CONNECTIONS, seconds: SECONDS, rows };
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${startedAt.replace(/[:]/g, "-").replace(/\.\d+Z$/, "Z")}-overload.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  process.stdout.write(
    [
      `## npm run bench -- --overload — ${startedAt.slice(0, 16).replace("T", " ")} UTC`,
      "",
      `Machine: ${machineLine(m)}.`,
      `Load: autocannon, ${CONNECTIONS} connections × ${SECONDS} s per endpoint, full mode, on a server warmed up for ${WARMUP_SECONDS} s; /api/health asked every ${HEALTH_EVERY_MS} ms meanwhile (5 s timeout); "alone": median of 9 requests one at a time before the burst; "right after": one request as soon as the burst ended.`,
      "",
      overloadTable(rows),
      "",
      ...verdict(rows),
      `Results: ${file}.`,
    ].join("\n") + "\n",
  );
}

function overloadTable(rows: OverloadRow[]): string {
  const head = ["admission", "endpoint", "answered 200", "200/s", "p50 of 200s ms", "p99 of 200s ms", `p99 of 200s sent after ${STEADY_AFTER_SECONDS} s`, "shed 503", "other non-2xx, errors", "health ok", "health p99 ms", "alone ms", "right after ms"];
  const lines = rows.map((r) => {
    const total = r.answered + r.shed + r.otherNon2xx;
    const share = total === 0 ? "–" : `${((100 * r.shed) / total).toFixed(1)} %`;
    return [
      r.admission === "off" ? "none (before)" : "default (after)",
      r.label,
      fmtInt(r.answered),
      fmtInt(r.answered / r.load.durationSeconds),
      fmtMs(r.load.latency2xx.p50),
      fmtMs(r.load.latency2xx.p99),
      r.load.latency2xxSteady && r.load.latency2xxSteady.count > 0 ? fmtMs(r.load.latency2xxSteady.p99) : "–",
      `${fmtInt(r.shed)} (${share})`,
      fmtInt(r.otherNon2xx + r.load.errors + r.load.timeouts),
      `${r.health.ok}/${r.health.total}`,
      fmtMs(r.health.p99Ms),
      fmtMs(r.aloneMs),
      `${fmtMs(r.afterBurst.ms)}${r.afterBurst.status === 200 ? "" : ` (${r.afterBurst.status})`}`,
    ];
  });
  const all = [head, ...lines];
  const width = head.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => `| ${l.map((c, i) => (i < 2 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join(" | ")} |`;
  return [fmt(head), `|${width.map((w, i) => (i < 2 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`, ...lines.map(fmt)].join("\n");
}

/** The issue's bounds, checked on the rows with admission control. */
function verdict(rows: OverloadRow[]): string[] {
  const out: string[] = [];
  for (const r of rows.filter((row) => row.admission === "default")) {
    const bound = r.endpoint === "list1" ? 1_000 : 2_000;
    const steady = r.load.latency2xxSteady;
    const checks = [
      `p99 of the 200s ${fmtMs(r.load.latency2xx.p99)} ms ${r.load.latency2xx.p99 < bound ? "<" : "≥"} ${fmtInt(bound)} ms` +
        (steady && steady.count > 0 ? ` (of those sent after ${STEADY_AFTER_SECONDS} s, every connection accepted: ${fmtMs(steady.p99)} ms)` : ""),
      `health ${r.health.failed === 0 ? "answered every time" : `failed ${r.health.failed} of ${r.health.total} times`}`,
      `the request right after ${fmtMs(r.afterBurst.ms)} ms (alone ${fmtMs(r.aloneMs)} ms)`,
    ];
    out.push(`${r.label}, with admission control: ${checks.join("; ")}.`);
  }
  return out;
}
