// The benchmark's results: their JSON shape (bench/results/<timestamp>.json),
// the Markdown tables printed on stdout (README's Performance section shows
// them as printed), and the machine they came from.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LoadResult } from "./load";
import type { WindowProfile } from "./profile";
import type { Sample } from "./sample";

export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the run started and ended. */
  loadAvgStart: number[];
  loadAvgEnd?: number[];
  /** App on core 0, load generator on core 1 (taskset). */
  pinned: boolean;
}

export function machine(pinned: boolean): Machine {
  const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  let nproc = os.availableParallelism();
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || nproc;
  } catch {
    // keep os.availableParallelism()
  }
  return { nproc, cpuModel: model, node: process.version, platform: `${os.type()} ${os.release()}`, loadAvgStart: os.loadavg().map(round2), pinned };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export interface Row {
  /** `off` … `full`, or `floor`. */
  mode: string;
  endpoint: string;
  label: string;
  load: LoadResult;
  /** Status codes that count as success here (2xx, or 304 for the conditional GET). */
  expected: string[];
  /** Responses with another status. */
  unexpected: number;
  sample: Sample | null;
  /** Throughput as a share of floor (a), the Next.js route, and floor (b), bare node:http. */
  ofNextFloor: number | null;
  ofNodeFloor: number | null;
  /** Server CPU per request (µs), from /proc over the measured run. */
  cpuPerRequestUs: number | null;
  /** Floor (a)'s CPU per request over this row's: the share by cost, which other load on the machine hardly moves. */
  cpuOfNextFloor: number | null;
}

export interface Params {
  posts: number;
  seedArgs: string[];
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  modes: string[];
}

export interface ModesResult {
  kind: "modes";
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  params: Params;
  data: { database: string; reused: boolean; seedSeconds: number };
  build: { built: boolean; seconds: number; buildId: string };
  rows: Row[];
  /** full mode's list page 1 and floor (a) in alternating slices: the steadier share of the floor. */
  paired: Paired | null;
  notes: string[];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface Paired {
  pairs: number;
  sliceSeconds: number;
  /** list page 1's requests/s over the floor's, per pair. */
  rpsShare: Spread;
  /** The floor's server CPU per request over list page 1's, per pair (null without /proc). */
  cpuShare: Spread | null;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? (sorted[Math.floor(mid)] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

export interface SweepPoint {
  posts: number;
  mode: string;
  endpoint: string;
  label: string;
  rps: number;
  /** Requests completed in the measured run (0: every one took longer than the run). */
  requests: number;
  cpuPerRequestUs: number | null;
  /** Median latency of the sample's requests sent one at a time (no queueing), ms. */
  aloneP50: number | null;
  p50: number;
  p99: number;
  p99_9: number;
  unexpected: number;
  errors: number;
  sqlPerRequest: number | null;
  roundTripsPerRequest: number | null;
}

export interface SweepResult {
  kind: "sweep";
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  params: Omit<Params, "posts" | "modes"> & { scales: number[]; modes: string[] };
  points: SweepPoint[];
  notes: string[];
}

export interface ProfileResult {
  kind: "profile";
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  params: Params;
  profileFile: string;
  floor: { rps: number; window: WindowProfile };
  list: { rps: number; window: WindowProfile };
  notes: string[];
}

export type BenchResult = ModesResult | SweepResult | ProfileResult;

export const resultsDir = path.resolve(import.meta.dirname, "results");

export function writeResult(result: BenchResult): string {
  fs.mkdirSync(resultsDir, { recursive: true });
  const stamp = result.startedAt.replace(/[:]/g, "-").replace(/\.\d+Z$/, "Z");
  const file = path.join(resultsDir, `${stamp}${result.kind === "modes" ? "" : `-${result.kind}`}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  return file;
}

/** The newest result of `kind` in bench/results, if any. */
export function latestResult<K extends BenchResult["kind"]>(kind: K): Extract<BenchResult, { kind: K }> | undefined {
  if (!fs.existsSync(resultsDir)) return undefined;
  const files = fs.readdirSync(resultsDir).filter((f) => f.endsWith(".json")).sort().reverse();
  for (const f of files) {
    try {
      const data = JSON.parse(fs.readFileSync(path.join(resultsDir, f), "utf8")) as BenchResult;
      if (data.kind === kind) return data as Extract<BenchResult, { kind: K }>;
    } catch {
      // not ours
    }
  }
  return undefined;
}

// --- formatting ------------------------------------------------------------------

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function fmtMs(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function fmtPct(n: number | null): string {
  return n === null ? "–" : `${Math.round(n * 100)} %`;
}

function table(header: string[], rows: string[][], align: ("l" | "r")[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const pad = (cell: string, i: number) => (align[i] === "r" ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0));
  const line = (cells: string[]) => `| ${cells.map(pad).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (align[i] === "r" ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

export function modesTable(rows: Row[]): string {
  const header = ["mode", "endpoint", "req/s", "of Next floor", "of node floor", "CPU µs/req", "of Next floor, by CPU", "p50 ms", "p99 ms", "p99.9 ms", "alone ms", "errors", "non-2xx", "SQL/req", "cache RT/req", "bytes/resp"];
  const body = rows.map((r) => [
    r.mode,
    r.label,
    fmtInt(r.load.rps),
    fmtPct(r.ofNextFloor),
    fmtPct(r.ofNodeFloor),
    r.cpuPerRequestUs === null ? "–" : fmtInt(r.cpuPerRequestUs),
    fmtPct(r.cpuOfNextFloor),
    fmtMs(r.load.latency.p50),
    fmtMs(r.load.latency.p99),
    fmtMs(r.load.latency.p99_9),
    r.sample ? fmtMs(r.sample.aloneMs.p50) : "–",
    String(r.load.errors + r.load.timeouts),
    String(r.unexpected),
    fmtCount(r.sample?.sqlPerRequest),
    fmtCount(r.sample?.roundTripsPerRequest),
    r.sample ? fmtInt(r.sample.bodyBytes) : "–",
  ]);
  return table(header, body, ["l", "l", ...header.slice(2).map(() => "r" as const)]);
}

export function sweepTable(points: SweepPoint[]): string {
  const header = ["posts", "mode", "endpoint", "alone ms", "req/s", "CPU µs/req", "p50 ms", "p99 ms", "p99.9 ms", "non-2xx", "SQL/req", "cache RT/req"];
  const none = (p: SweepPoint) => p.requests === 0;
  const body = points.map((p) => [
    fmtInt(p.posts),
    p.mode,
    p.label,
    p.aloneP50 === null ? "–" : fmtMs(p.aloneP50),
    fmtInt(p.rps),
    p.cpuPerRequestUs === null ? "–" : fmtInt(p.cpuPerRequestUs),
    none(p) ? "none done" : fmtMs(p.p50),
    none(p) ? "–" : fmtMs(p.p99),
    none(p) ? "–" : fmtMs(p.p99_9),
    String(p.unexpected + p.errors),
    fmtCount(p.sqlPerRequest),
    fmtCount(p.roundTripsPerRequest),
  ]);
  return table(header, body, ["r", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"]);
}

/** "list page 1, off: alone 2.10 → 3.40 → 12.0 ms (×5.7), under load p50 …" per mode and endpoint. */
export function sweepGrowth(points: SweepPoint[]): string[] {
  const lines: string[] = [];
  const keys = [...new Set(points.map((p) => `${p.endpoint}\u0000${p.mode}`))];
  for (const key of keys) {
    const [endpoint, mode] = key.split("\u0000");
    const series = points.filter((p) => p.endpoint === endpoint && p.mode === mode).sort((a, b) => a.posts - b.posts);
    const first = series[0];
    const last = series[series.length - 1];
    if (!first || !last) continue;
    const ms = (v: number | null) => (v === null ? "–" : fmtMs(v));
    const growth = first.aloneP50 && last.aloneP50 ? ` (×${(last.aloneP50 / first.aloneP50).toFixed(1)})` : "";
    lines.push(
      `${first.label}, ${mode}, over ${series.map((p) => fmtInt(p.posts)).join(" / ")} posts: ` +
        `alone ${series.map((p) => ms(p.aloneP50)).join(" → ")} ms${growth}; ` +
        `under load p50 ${series.map((p) => (p.requests ? `${fmtMs(p.p50)} ms` : "none done in the run")).join(" → ")}, ` +
        `${series.map((p) => fmtInt(p.rps)).join(" → ")} req/s`,
    );
  }
  return lines;
}

export function machineLine(m: Machine): string {
  return (
    `${m.nproc} cores (${m.cpuModel}), Node ${m.node}, ${m.platform}; ` +
    `load average at start ${m.loadAvgStart.join(" / ")}` +
    (m.loadAvgEnd ? `, at end ${m.loadAvgEnd.join(" / ")}` : "") +
    (m.pinned ? "; app pinned to core 0, load generator to core 1" : "; not pinned (no taskset or < 2 cores)")
  );
}

export function profileReport(name: string, rps: number, w: WindowProfile): string {
  const lines = [
    `${name}: ${fmtInt(rps)} req/s; ${(w.busyMs / 1000).toFixed(2)} s busy CPU in a ${(w.windowMs / 1000).toFixed(1)} s window = ${fmtInt(w.busyPerRequestUs)} µs per request`,
    "",
    table(
      ["area", "self ms", "µs/req", "share"],
      w.areas.slice(0, 14).map((a) => [a.area, fmtInt(a.selfMs), fmtInt(a.perRequestUs), fmtPct(a.share)]),
      ["l", "r", "r", "r"],
    ),
    "",
    table(
      ["top self time", "area", "self ms", "share"],
      w.top.map((f) => [f.name.length > 90 ? `…${f.name.slice(-89)}` : f.name, f.area, fmtInt(f.selfMs), `${(f.share * 100).toFixed(1)} %`]),
      ["l", "l", "r", "r"],
    ),
  ];
  return lines.join("\n");
}

/** Per area: µs per request in the floor and in the list page, and the difference. */
export function profileDiff(floor: WindowProfile, list: WindowProfile): string {
  const areas = new Set([...floor.areas.map((a) => a.area), ...list.areas.map((a) => a.area)]);
  const get = (w: WindowProfile, area: string) => w.areas.find((a) => a.area === area)?.perRequestUs ?? 0;
  const rows = [...areas]
    .map((area) => ({ area, floor: get(floor, area), list: get(list, area) }))
    .sort((a, b) => b.list - b.floor - (a.list - a.floor));
  return table(
    ["area", "floor µs/req", "list µs/req", "extra µs/req"],
    [
      ...rows.filter((r) => Math.abs(r.list - r.floor) >= 1).map((r) => [r.area, fmtInt(r.floor), fmtInt(r.list), fmtInt(r.list - r.floor)]),
      ["total (busy CPU)", fmtInt(floor.busyPerRequestUs), fmtInt(list.busyPerRequestUs), fmtInt(list.busyPerRequestUs - floor.busyPerRequestUs)],
    ],
    ["l", "r", "r", "r"],
  );
}
