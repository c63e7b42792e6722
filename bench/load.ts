// The load generator: autocannon runs (a warm-up, then the measured run) in
// their own process, so that bench/run.ts can pin it to another core than the
// app (`taskset -c 1`). Jobs come as JSON (argv[2], or lines on stdin with
// --serve); results go to stdout as JSON, and nothing else does.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import readline from "node:readline";
import autocannon, { type AutocannonResult } from "autocannon";
import { createWorkload, type WorkloadSpec } from "./workload";

export interface LoadJob {
  /** http://127.0.0.1:PORT */
  url: string;
  workload: WorkloadSpec;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** The server's pid: its CPU time over the measured run is read from /proc. */
  serverPid?: number;
  /**
   * Paired mode: instead of one measured run, `pairs` × (a slice of
   * `workload`, a slice of `other`), alternating which goes first, after a
   * warm-up of each. Other load on the machine then hits both sides alike,
   * and the median of the per-pair ratios is a steadier comparison than two
   * runs seconds apart.
   */
  paired?: { other: WorkloadSpec; pairs: number; sliceSeconds: number };
  /** See LoadResult.latency2xxSteady. */
  steadyAfterSeconds?: number;
}

/** One slice of a paired run. */
export interface Slice {
  requests: number;
  seconds: number;
  rps: number;
  serverCpuMs: number | null;
}

export interface PairedResult {
  /** `a` is the job's workload, `b` the other. */
  pairs: { a: Slice; b: Slice }[];
}

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  /** Completed requests per second over the measured run. */
  rps: number;
  /** Milliseconds. */
  latency: { mean: number; p50: number; p90: number; p99: number; p99_9: number; max: number };
  /** The same, over the responses with a 2xx status only (an overloaded server's fast 503s left out: bench/overload.ts). */
  latency2xx: { p50: number; p99: number; max: number };
  /**
   * The 2xx responses to requests sent `steadyAfterSeconds` or more into the
   * run (bench/overload.ts: once every connection has been accepted), or null.
   */
  latency2xxSteady: { p50: number; p99: number; count: number } | null;
  /** Socket errors and timeouts. */
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** Bytes read per response, headers included (autocannon's throughput / requests). */
  bytesPerResponse: number;
  /** Requests drawn per kind (mixed workload), warm-up included. */
  kinds: Record<string, number>;
  /**
   * CPU time the server process used during the measured run (user + system,
   * all its threads; from /proc, 10 ms resolution), or null when unknown.
   * Unlike requests/s it hardly moves when other work shares the machine.
   */
  serverCpuMs: number | null;
  /** When the measured run started and ended (epoch ms): the window a CPU profile is cut to. */
  startedAtMs: number;
  endedAtMs: number;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of `pid` in ms, or null when /proc cannot tell. */
function cpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces; fields 14 and 15 are utime and stime.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

async function run(
  job: LoadJob,
  seconds: number,
  workload: ReturnType<typeof createWorkload>,
  onLatency?: (ms: number, status: number) => void,
): Promise<AutocannonResult> {
  const instance = autocannon({
    url: job.url,
    connections: job.connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        // Keep what autocannon put in `request` (host, port: it builds the
        // Host header from them) and override method, path, headers, body.
        setupRequest: (request) => {
          const r = workload.next();
          return {
            ...request,
            method: r.method,
            path: r.path,
            headers: { ...request.headers, ...r.headers },
            ...(r.body !== undefined ? { body: r.body } : {}),
          };
        },
      },
    ],
  });
  if (onLatency) instance.on("response", (_client, status, _bytes, ms) => onLatency(ms, status));
  return instance;
}

async function slice(job: LoadJob, workload: ReturnType<typeof createWorkload>, seconds: number): Promise<Slice> {
  const before = cpuMs(job.serverPid);
  const r = await run(job, seconds, workload);
  const after = cpuMs(job.serverPid);
  return { requests: r.latency.totalCount, seconds: r.duration, rps: r.latency.totalCount / r.duration, serverCpuMs: before === null || after === null ? null : after - before };
}

async function paired(job: LoadJob, spec: NonNullable<LoadJob["paired"]>): Promise<PairedResult> {
  const a = createWorkload(job.workload);
  const b = createWorkload(spec.other);
  if (job.warmupSeconds > 0) {
    await run(job, job.warmupSeconds, a);
    await run(job, job.warmupSeconds, b);
  }
  const pairs: PairedResult["pairs"] = [];
  for (let i = 0; i < spec.pairs; i++) {
    if (i % 2 === 0) {
      const sa = await slice(job, a, spec.sliceSeconds);
      pairs.push({ a: sa, b: await slice(job, b, spec.sliceSeconds) });
    } else {
      const sb = await slice(job, b, spec.sliceSeconds);
      pairs.push({ a: await slice(job, a, spec.sliceSeconds), b: sb });
    }
  }
  return { pairs };
}

async function measure(job: LoadJob): Promise<LoadResult | PairedResult> {
  if (job.paired) return paired(job, job.paired);
  // One workload for warm-up and measurement: the mixed workload's comment
  // budget spans both (comments are rate limited per user per minute).
  const workload = createWorkload(job.workload);
  if (job.warmupSeconds > 0) await run(job, job.warmupSeconds, workload);
  // autocannon's histogram keeps whole milliseconds, too coarse for a warm
  // read; percentiles come from every response's own (float) latency instead.
  const latencies: number[] = [];
  const ok: number[] = [];
  const steady: number[] = [];
  const cpuBefore = cpuMs(job.serverPid);
  const startedAtMs = Date.now();
  const steadyFrom = job.steadyAfterSeconds === undefined ? Infinity : performance.now() + job.steadyAfterSeconds * 1000;
  const r = await run(job, job.durationSeconds, workload, (ms, status) => {
    latencies.push(ms);
    if (status < 200 || status >= 300) return;
    ok.push(ms);
    if (performance.now() - ms >= steadyFrom) steady.push(ms);
  });
  const endedAtMs = Date.now();
  const cpuAfter = cpuMs(job.serverPid);
  const sorted = Float64Array.from(latencies).sort();
  const sortedOk = Float64Array.from(ok).sort();
  const mean = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : 0;
  const completed = r.latency.totalCount;
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count]));
  const result: LoadResult = {
    requests: completed,
    durationSeconds: r.duration,
    rps: completed / r.duration,
    latency: {
      mean,
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
      p99_9: quantile(sorted, 0.999),
      max: quantile(sorted, 1),
    },
    latency2xx: { p50: quantile(sortedOk, 0.5), p99: quantile(sortedOk, 0.99), max: quantile(sortedOk, 1) },
    latency2xxSteady:
      job.steadyAfterSeconds === undefined
        ? null
        : (() => {
            const sortedSteady = Float64Array.from(steady).sort();
            return { p50: quantile(sortedSteady, 0.5), p99: quantile(sortedSteady, 0.99), count: sortedSteady.length };
          })(),
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCodes,
    bytesPerResponse: completed > 0 ? r.throughput.total / completed : 0,
    kinds: workload.counts,
    serverCpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
    startedAtMs,
    endedAtMs,
  };
  return result;
}

/**
 * `load.ts '<job>'`: one job, its result on stdout. `load.ts --serve`: one
 * job per line on stdin, one `{ ok, result | error }` line per job on stdout,
 * until stdin closes — bench/run.ts keeps one such process for the whole run
 * (a process start per endpoint cost ~1 s each, 30 s a run).
 */
async function main(): Promise<void> {
  if (process.argv[2] !== "--serve") {
    process.stdout.write(JSON.stringify(await measure(JSON.parse(process.argv[2] ?? "") as LoadJob)) + "\n");
    return;
  }
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    try {
      process.stdout.write(JSON.stringify({ ok: true, result: await measure(JSON.parse(line) as LoadJob) }) + "\n");
    } catch (error) {
      process.stdout.write(JSON.stringify({ ok: false, error: error instanceof Error ? error.message : String(error) }) + "\n");
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
