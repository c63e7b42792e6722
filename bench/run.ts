// `npm run bench`: the read path under load, mode by mode, against two floors.
//
//   npm run bench                      # the four CACHE_MODEs on 2,000 posts (< 5 min on 2 cores)
//   npm run bench -- --posts 20000     # another scale (its own database, kept for next time)
//   npm run bench -- --sweep           # full and off at 2,000 / 20,000 / 200,000 posts
//   npm run bench -- --profile         # full mode under node --cpu-prof: where the time goes vs the floor
//   npm run bench -- --overload        # 256 connections, without and with admission control (bench/overload.ts)
//   npm run bench -- --chart           # redraw docs/bench.svg from the latest results
//
// What it does (docs/decisions/005-benchmark.md says why):
// 1. data: a database on the local PostgreSQL per data set, seeded once and
//    kept (bench/data.ts);
// 2. build: `next build` only when stale, never beside another build;
// 3. per mode: the production server (server.ts) pinned to core 0 with that
//    CACHE_MODE and a fresh cache prefix, warmed up for 12 s on all its
//    routes; each endpoint is loaded by autocannon in a child pinned to
//    core 1 (1 s warm-up, then 5 s measured),
//    then a sample of the same requests is sent with fetch to read what they
//    cost (X-DB-Queries, X-Cache-Round-Trips, Server-Timing);
// 4. floors, in the same run and loaded the same way: (a) app/api/bench-floor,
//    a route in this build answering the list page's bytes from one Redis GET;
//    (b) bench/floor-server.ts, bare node:http doing the same;
// 5. output: progress on stderr, Markdown tables on stdout, JSON in
//    bench/results/, the chart in docs/bench.svg.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { createCache } from "@/lib/cache/factory";
import { writeChart } from "./chart";
import { type BenchDatabase, beginWrites, DEFAULT_DATA, describeData, ensureDatabase, seedArgs, undoWrites, type WriteSnapshot } from "./data";
import {
  appDir,
  ensureBuild,
  freePort,
  killAllNow,
  pinned,
  runLoad,
  runPaired,
  type Server,
  snapshotBuild,
  startApp,
  startFloorServer,
  stopAll,
  workDir,
} from "./procs";
import { runOverload } from "./overload";
import { analyzeWindow, findProfile, loadProfile } from "./profile";
import {
  fmtInt,
  latestResult,
  machine,
  machineLine,
  modesTable,
  type ModesResult,
  type Paired,
  type Params,
  type ProfileResult,
  profileDiff,
  profileReport,
  type Row,
  type SweepPoint,
  type SweepResult,
  sweepGrowth,
  type Spread,
  spread,
  sweepTable,
  writeResult,
} from "./report";
import { sample, signIn } from "./sample";
import type { WorkloadSpec } from "./workload";

const USAGE = `Usage: npm run bench -- [options]

  --posts <n>        posts in the data set (default 2000; users 200, max 50 likes
                     and 5 comments per post, seed 42)
  --duration <s>     measured seconds per endpoint (default 5)
  --warmup <s>       warm-up seconds before each measurement (default 1; each
                     fresh server first gets 12 s over all its routes)
  --connections <n>  concurrent connections of the load generator (default 10)
  --modes <list>     comma-separated CACHE_MODEs, and full-next: full with its fast
                     path off (default off,per-object,batched,full-next,full)
  --sweep            full and off at 2,000, 20,000 and 200,000 posts
  --profile          full mode under node --cpu-prof: the floor and list page 1,
                     top self-time functions, where the difference goes
  --overload         256 connections on list page 1 and on / for 10 s, without and
                     with admission control: p50/p99 of the 200s, share shed (503),
                     health meanwhile, one request right after (bench/overload.ts)
  --chart            only redraw docs/bench.svg from the latest results
  -h, --help         this help

Needs the local PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379).
Bench databases (blog_bench_test_p<posts>_s42) are kept for the next run.`;

/**
 * The CACHE_MODEs, and `full-next`: full mode with its fast path off
 * (FAST_PATH=0), so every response goes through Next — what the fast path
 * in front of the framework adds is the difference between the two.
 */
const MODES = ["off", "per-object", "batched", "full-next", "full"] as const;
type Mode = (typeof MODES)[number];
/** The benchmark only ever talks to the local Redis (never another server's). */
const REDIS_URL = "redis://127.0.0.1:6379";
const DEMO_PASSWORD = "demo-password";
const SIGNED_IN_USERS = 8; // better-auth allows 10 sign-ins per minute per client: a margin
const SWEEP_SCALES = [2_000, 20_000, 200_000];
/**
 * Load on every route of a fresh server before its first measurement. Next.js
 * needs ~10-15 s of traffic (thousands of requests) before its CPU per
 * request settles (measured: 3.5 → 2.2 → 1.3 ms for list page 1 over the
 * first 15 s); the endpoints' own warm-ups are too short for that.
 */
const PROCESS_WARMUP_SECONDS = 12;

interface Options {
  posts: number;
  duration: number;
  warmup: number;
  connections: number;
  modes: Mode[];
  sweep: boolean;
  profile: boolean;
  overload: boolean;
  chart: boolean;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      posts: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string" },
      modes: { type: "string" },
      sweep: { type: "boolean" },
      profile: { type: "boolean" },
      overload: { type: "boolean" },
      chart: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return null;
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const modes = (values.modes ?? MODES.join(",")).split(",").map((m) => m.trim()) as Mode[];
  for (const m of modes) if (!MODES.includes(m)) throw new Error(`--modes: unknown mode "${m}" (${MODES.join(", ")})`);
  return {
    posts: int("posts", values.posts, DEFAULT_DATA.posts, 1, 1_000_000),
    duration: int("duration", values.duration, 5, 1, 600),
    warmup: int("warmup", values.warmup, 1, 0, 600),
    connections: int("connections", values.connections, 10, 1, 1000),
    modes,
    sweep: values.sweep ?? false,
    profile: values.profile ?? false,
    overload: values.overload ?? false,
    chart: values.chart ?? false,
  };
}

// --- progress: stderr; live on a terminal, one line per phase otherwise ---------

// CI is a property of the terminal, not app configuration (as in scripts/seed.ts).
const ci = process.env.CI;
const interactive = process.stderr.isTTY === true && (ci === undefined || ci === "" || ci === "0" || ci === "false");
let live = false;

function phase(message: string): void {
  if (live) process.stderr.write("\r\x1b[2K");
  live = false;
  process.stderr.write(`[bench] ${message}\n`);
}

function detail(message: string): void {
  if (!interactive) return;
  process.stderr.write(`\r\x1b[2K[bench] ${message}`);
  live = true;
}

// --- interruption: every process we started is stopped, by PID ---------------

let interrupted: NodeJS.Signals | null = null;

function checkpoint(): void {
  if (interrupted) throw new Error(`interrupted (${interrupted})`);
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (interrupted) {
      killAllNow();
      process.exit(130);
    }
    interrupted = sig;
    phase(`${sig}: stopping every process this run started, then cleaning up (again to force)…`);
    void stopAll();
  });
}
process.on("exit", killAllNow);

// --- one run ----------------------------------------------------------------------

interface Endpoint {
  id: string;
  label: string;
  spec: WorkloadSpec;
  sampleSpec: WorkloadSpec;
  sampleCount: number;
  /** Status codes counted as success; "2xx" for any 2xx. */
  expected: string[];
}

class Bench {
  readonly secret = randomBytes(32).toString("base64url");
  readonly prefixes = new Set<string>();
  readonly notes: string[] = [];
  paired: Paired | null = null;
  appPort = 0;
  floorPort = 0;

  constructor(readonly options: Options) {}

  async init(): Promise<void> {
    this.appPort = await freePort();
    this.floorPort = await freePort();
  }

  async measure(server: Server, mode: string, endpoint: Endpoint, durationSeconds?: number): Promise<Row> {
    const url = server.url;
    checkpoint();
    const seconds = this.options.warmup + (durationSeconds ?? this.options.duration);
    const started = Date.now();
    const ticker = setInterval(() => detail(`${mode}: ${endpoint.label} (${Math.min(seconds, Math.round((Date.now() - started) / 1000))}/${seconds} s)`), 500);
    let load;
    try {
      load = await runLoad({
        url,
        workload: endpoint.spec,
        connections: this.options.connections,
        warmupSeconds: this.options.warmup,
        durationSeconds: durationSeconds ?? this.options.duration,
        serverPid: server.pid,
      });
    } finally {
      clearInterval(ticker);
    }
    checkpoint();
    detail(`${mode}: ${endpoint.label}: sampling ${endpoint.sampleCount} requests`);
    const sampled = endpoint.sampleCount > 0 ? await sample(url, endpoint.sampleSpec, endpoint.sampleCount) : null;
    const ok = (code: string) => endpoint.expected.includes(code) || (endpoint.expected.includes("2xx") && code.startsWith("2"));
    const unexpected = Object.entries(load.statusCodes).reduce((n, [code, count]) => (ok(code) ? n : n + count), 0);
    const cpuPerRequestUs = load.serverCpuMs === null || load.requests === 0 ? null : (load.serverCpuMs * 1000) / load.requests;
    return {
      mode,
      endpoint: endpoint.id,
      label: endpoint.label,
      load,
      expected: endpoint.expected,
      unexpected,
      sample: sampled,
      ofNextFloor: null,
      ofNodeFloor: null,
      cpuPerRequestUs,
      cpuOfNextFloor: null,
    };
  }

  appEnv(db: BenchDatabase, mode: Mode, prefix: string): Record<string, string> {
    return {
      DATABASE_URL: db.url,
      REDIS_URL,
      CACHE_MODE: mode === "full-next" ? "full" : mode,
      FAST_PATH: mode === "full-next" ? "0" : "1",
      CACHE_PREFIX: prefix,
      BENCH_FLOOR: "1",
      BETTER_AUTH_SECRET: this.secret,
      BETTER_AUTH_URL: `http://127.0.0.1:${this.appPort}`,
      ACCOUNTING_HEADERS: "1",
      // The app's default is 200 ms, past which a cache read fails open (a
      // miss, then SQL). A saturated server on a shared machine stalls longer
      // than that now and then; the benchmark measures steady-state costs,
      // not fail-open (test/reliability does), so it allows 1 s.
      CACHE_TIMEOUT_MS: "1000",
      // The mixed load has 8 users like and unlike hundreds of times a minute;
      // the limit's cost (one script call per like) stays in the figures.
      LIKES_PER_MINUTE: "1000000",
      LOG_LEVEL: "warn",
    };
  }

  /** A fresh prefix for this run, mode and scale; cleared now (a stale pid's leftovers) and at the end. */
  async prefix(name: string): Promise<string> {
    const prefix = `bench-${process.pid}-${name}`;
    this.prefixes.add(prefix);
    const cache = createCache({ redisUrl: REDIS_URL, prefix });
    await cache.clear();
    await cache.close();
    return prefix;
  }

  async startApp(db: BenchDatabase, mode: Mode, prefix: string, cpuProfDir?: string): Promise<Server> {
    checkpoint();
    return startApp({ name: `app-${prefix}`, port: this.appPort, env: this.appEnv(db, mode, prefix), ...(cpuProfDir ? { cpuProfDir } : {}) });
  }

  /** Runs one mode's endpoints against a fresh server. */
  async runMode(db: BenchDatabase, mode: Mode, plan: { suffix: string; floors: boolean; all: boolean }): Promise<Row[]> {
    const prefix = await this.prefix(`${mode}${plan.suffix}`);
    detail(`${mode}: starting the app (CACHE_MODE=${mode}, CACHE_PREFIX=${prefix})`);
    const server = await this.startApp(db, mode, prefix);
    const rows: Row[] = [];
    let snapshot: WriteSnapshot | undefined;
    try {
      const info = await describeData(db);
      const listRes = await fetch(`${server.url}/api/posts?page=1`);
      const listBody = await listRes.text();
      if (listRes.status !== 200) throw new Error(`GET /api/posts?page=1 answered ${listRes.status}: ${listBody.slice(0, 200)}`);
      const list = JSON.parse(listBody) as { results: { id: number; likesCount: number; commentsCount: number }[] };
      const post = list.results.find((p) => p.commentsCount >= 2 && p.likesCount >= 1) ?? list.results[0];
      if (!post) throw new Error("the list is empty");
      const fixed = (path: string, headers?: Record<string, string>): WorkloadSpec => ({ type: "fixed", path, ...(headers ? { headers } : {}) });
      const plain = (id: string, label: string, path: string): Endpoint => ({ id, label, spec: fixed(path), sampleSpec: fixed(path), sampleCount: 20, expected: ["2xx"] });

      // A fresh Next.js process loads each route's code on its first request
      // and needs thousands of requests before its JIT settles: warm it on
      // every route it will serve before measuring anything, so the first
      // endpoint measured is not the one that pays for it. The cheap floor
      // route is in every mode's mix (half the requests): the framework's
      // own code warms up by request count, and the SQL modes serve few
      // requests per second.
      await this.primeFloor(server, prefix, listBody);
      const warmPaths = ["/api/posts?page=1", `/api/posts?page=${Math.min(2, info.totalPages)}`, `/api/posts/${post.id}`, ...(plan.all ? ["/", `/posts/${post.id}`] : [])];
      detail(`${mode}: warming the process up (${PROCESS_WARMUP_SECONDS} s over ${warmPaths.length + 1} routes)`);
      await runLoad({
        url: server.url,
        workload: { type: "rotate", paths: warmPaths.flatMap((p) => [p, "/api/bench-floor"]) },
        connections: this.options.connections,
        warmupSeconds: 0,
        durationSeconds: PROCESS_WARMUP_SECONDS,
      });
      rows.push(await this.measure(server, mode, plain("list1", "list page 1", "/api/posts?page=1")));
      if (plan.floors) {
        rows.push(await this.floorNext(server, prefix, listBody));
        rows.push(await this.floorNode(prefix, listBody));
        this.paired = await this.pairedWithFloor(server);
      }
      rows.push(
        await this.measure(server, mode, {
          id: "listRandom",
          label: "list, random page",
          spec: { type: "list-random", pages: info.totalPages, seed: 1 },
          sampleSpec: { type: "list-random", pages: info.totalPages, seed: 2 },
          sampleCount: 40,
          expected: ["2xx"],
        }),
      );
      rows.push(await this.measure(server, mode, plain("post", "post JSON", `/api/posts/${post.id}`)));
      const [first, last] = info.idRange;
      rows.push(
        await this.measure(server, mode, {
          id: "postRandom",
          label: "post JSON, random post",
          spec: { type: "post-random", first, last, seed: 1 },
          sampleSpec: { type: "post-random", first, last, seed: 2 },
          sampleCount: 40,
          expected: ["2xx"],
        }),
      );
      if (plan.all) {
        const first = await fetch(`${server.url}/api/posts/${post.id}`);
        await first.arrayBuffer();
        const etag = first.headers.get("etag");
        if (!etag) throw new Error(`GET /api/posts/${post.id} carried no ETag`);
        const conditional = fixed(`/api/posts/${post.id}`, { "if-none-match": etag });
        rows.push(await this.measure(server, mode, { id: "post304", label: "post JSON, If-None-Match", spec: conditional, sampleSpec: conditional, sampleCount: 20, expected: ["304"] }));
        rows.push(await this.measure(server, mode, plain("home", "/ (server-rendered)", "/")));
        rows.push(await this.measure(server, mode, plain("postPage", "/posts/{id} (server-rendered)", `/posts/${post.id}`)));

        // The mixed workload writes: snapshot first, undo after (finally).
        const emails = Array.from({ length: Math.min(SIGNED_IN_USERS, db.spec.users) }, (_, i) => `demo${i + 1}@example.com`);
        snapshot = await beginWrites(db, emails, info.newestIds);
        detail(`${mode}: signing in ${emails.length} demo users`);
        const cookies: string[] = [];
        for (const email of emails) cookies.push(await signIn(server.url, email, DEMO_PASSWORD));
        // A signed-in reader's page: per viewer, so always rendered by Next (docs/decisions/007-fast-path.md).
        const signedIn = fixed(`/posts/${post.id}`, { cookie: cookies[0] ?? "" });
        rows.push(await this.measure(server, mode, { id: "postPageSignedIn", label: "/posts/{id}, signed in", spec: signedIn, sampleSpec: signedIn, sampleCount: 20, expected: ["2xx"] }));
        const mixed = (commentBudgetPerUser: number, seed: number): WorkloadSpec => ({
          type: "mixed",
          hotPostIds: info.newestIds,
          cookies,
          origin: server.url,
          commentBudgetPerUser,
          seed,
        });
        // 10 comments per user per minute: 7 for the load, 1 for the sample.
        rows.push(await this.measure(server, mode, { id: "mixed", label: "mixed 90 % read / 10 % write", spec: mixed(7, 3), sampleSpec: mixed(1, 4), sampleCount: 100, expected: ["2xx"] }));
      }
    } finally {
      await server.stop();
      if (snapshot) await undoWrites(db, snapshot);
    }
    return rows;
  }

  /** Stores the list page's bytes where app/api/bench-floor reads them, and checks that it answers them. */
  async primeFloor(server: Server, prefix: string, listBody: string): Promise<void> {
    const cache = createCache({ redisUrl: REDIS_URL, prefix });
    await cache.set("bench-floor", listBody, { ttl: null });
    await cache.close();
    const res = await fetch(`${server.url}/api/bench-floor`);
    if ((await res.text()) !== listBody) throw new Error("/api/bench-floor does not answer the list page's bytes");
  }

  /** Floor (a): the list page's bytes from one Redis GET, in a route of this same build. */
  async floorNext(server: Server, prefix: string, listBody: string, durationSeconds?: number): Promise<Row> {
    await this.primeFloor(server, prefix, listBody);
    const spec: WorkloadSpec = { type: "fixed", path: "/api/bench-floor" };
    const endpoint: Endpoint = { id: "floor-next", label: "Next.js route, 1 Redis GET", spec, sampleSpec: spec, sampleCount: 5, expected: ["2xx"] };
    return this.measure(server, "floor", endpoint, durationSeconds);
  }

  /**
   * list page 1 and floor (a) in alternating 1 s slices on the same server:
   * whatever else runs on the machine hits both alike, so the median of the
   * per-pair ratios is the steadier "share of the floor".
   */
  async pairedWithFloor(server: Server, pairs = 8, sliceSeconds = 1): Promise<Paired> {
    checkpoint();
    detail(`floor: list page 1 and the Next.js floor in ${pairs} alternating pairs of ${sliceSeconds} s slices`);
    const result = await runPaired({
      url: server.url,
      workload: { type: "fixed", path: "/api/posts?page=1" },
      connections: this.options.connections,
      warmupSeconds: 1,
      durationSeconds: 0,
      serverPid: server.pid,
      paired: { other: { type: "fixed", path: "/api/bench-floor" }, pairs, sliceSeconds },
    });
    const perRequest = (s: { serverCpuMs: number | null; requests: number }) => (s.serverCpuMs && s.requests ? s.serverCpuMs / s.requests : null);
    const cpu = result.pairs.map((p) => {
      const a = perRequest(p.a);
      const b = perRequest(p.b);
      return a && b ? b / a : null;
    });
    return {
      pairs,
      sliceSeconds,
      rpsShare: spread(result.pairs.map((p) => (p.b.rps ? p.a.rps / p.b.rps : 0))),
      cpuShare: cpu.every((c) => c !== null) ? spread(cpu as number[]) : null,
    };
  }

  /** Floor (b): bare node:http, the same GET and bytes. */
  async floorNode(prefix: string, listBody: string): Promise<Row> {
    checkpoint();
    const cache = createCache({ redisUrl: REDIS_URL, prefix });
    const key = cache.makeKey("bench-floor");
    await cache.close();
    const server = await startFloorServer(this.floorPort, REDIS_URL, key);
    try {
      const res = await fetch(server.url);
      if ((await res.text()) !== listBody) throw new Error("the bare floor server does not answer the list page's bytes");
      const spec: WorkloadSpec = { type: "fixed", path: "/" };
      return await this.measure(server, "floor", { id: "floor-node", label: "bare node:http, 1 Redis GET", spec, sampleSpec: spec, sampleCount: 5, expected: ["2xx"] });
    } finally {
      await server.stop();
    }
  }

  async cleanup(): Promise<void> {
    await stopAll();
    for (const prefix of this.prefixes) {
      const cache = createCache({ redisUrl: REDIS_URL, prefix });
      try {
        await cache.clear();
      } finally {
        await cache.close();
      }
    }
  }
}

function withFloorShares(rows: Row[]): Row[] {
  const nextRow = rows.find((r) => r.endpoint === "floor-next");
  const next = nextRow?.load.rps;
  const node = rows.find((r) => r.endpoint === "floor-node")?.load.rps;
  const nextCpu = nextRow?.cpuPerRequestUs;
  return rows.map((r) => ({
    ...r,
    ofNextFloor: next ? r.load.rps / next : null,
    ofNodeFloor: node ? r.load.rps / node : null,
    cpuOfNextFloor: nextCpu && r.cpuPerRequestUs ? nextCpu / r.cpuPerRequestUs : null,
  }));
}

async function prepare(posts: number): Promise<{ db: BenchDatabase; build: { built: boolean; seconds: number; buildId: string } }> {
  const db = await ensureDatabase({ ...DEFAULT_DATA, posts }, phase);
  checkpoint();
  const build = await ensureBuild(phase);
  checkpoint();
  const { buildId } = await snapshotBuild(phase);
  phase(`build: ${build.built ? `built in ${build.seconds.toFixed(0)} s` : "up to date"}; running build ${buildId} from a private copy`);
  return { db, build: { ...build, buildId } };
}

function params(options: Options, posts: number): Params {
  return {
    posts,
    seedArgs: seedArgs({ ...DEFAULT_DATA, posts }),
    durationSeconds: options.duration,
    warmupSeconds: options.warmup,
    connections: options.connections,
    modes: options.modes,
  };
}

async function runModes(bench: Bench, options: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  const m = machine(pinned);
  phase(`machine: ${machineLine(m)}`);
  const { db, build } = await prepare(options.posts);
  const floorsIn: Mode = options.modes.includes("full") ? "full" : (options.modes[options.modes.length - 1] ?? "full");
  const endpoints = 9;
  let rows: Row[] = [];
  for (const mode of options.modes) {
    phase(`mode ${mode}: ${mode === floorsIn ? "floors and " : ""}${endpoints} endpoints × ${options.warmup + options.duration} s`);
    rows.push(...(await bench.runMode(db, mode, { suffix: "", floors: mode === floorsIn, all: true })));
  }
  const floors = rows.filter((r) => r.mode === "floor");
  rows = withFloorShares([...floors, ...rows.filter((r) => r.mode !== "floor")]);
  m.loadAvgEnd = os.loadavg().map((n) => Math.round(n * 100) / 100);
  const result: ModesResult = {
    kind: "modes",
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: m,
    params: params(options, options.posts),
    data: { database: db.name, reused: db.reused, seedSeconds: db.seedSeconds },
    build,
    rows,
    paired: bench.paired,
    notes: bench.notes,
  };
  const file = writeResult(result);
  const chart = writeChart(result, latestResult("sweep"));
  phase(`results: ${file}; chart: ${chart}`);

  const out: string[] = [];
  out.push(`## npm run bench — ${startedAt.slice(0, 16).replace("T", " ")} UTC`, "");
  out.push(`Machine: ${machineLine(m)}.`);
  out.push(`Data: ${db.name} (${seedArgs(db.spec).join(" ")}), ${db.reused ? "reused from an earlier run" : `seeded in ${db.seedSeconds.toFixed(1)} s`}; kept for the next run.`);
  out.push(
    `Load: autocannon, ${options.connections} connections; each server first warmed up for ${PROCESS_WARMUP_SECONDS} s on all its routes, then ${options.warmup} s warm-up + ${options.duration} s measured per endpoint; ` +
      "SQL and cache round trips per request, and \"alone\" latency, from a sample of the same requests sent one at a time after each load.",
    "",
  );
  out.push(modesTable(rows), "");
  out.push(...floorVerdict(rows, bench.paired));
  for (const note of bench.notes) out.push(`Note: ${note}.`);
  out.push(`Results: ${file}. Chart: docs/bench.svg. Bench database ${db.name} is kept so the next run starts at once (drop it with: psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE ${db.name}').`);
  process.stdout.write(out.join("\n") + "\n");
}

/**
 * The targets of the per-view cache (docs/decisions/007-fast-path.md), in
 * full mode's separate runs: warm list page 1 and post JSON at ≥ 3× the
 * Next.js route floor and ≥ 25 % of the bare node:http floor; the anonymous
 * pages at ≥ 2× the Next.js floor. And, from the paired slices, list page 1
 * against the Next.js floor on the same server (the steadier ratio).
 */
function floorVerdict(rows: Row[], paired: Paired | null): string[] {
  const pct = (n: number | null) => (n === null ? "–" : `${Math.round(n * 100)} %`);
  const times = (n: number | null) => (n === null ? "–" : `${n.toFixed(2)}×`);
  const range = (s: Spread) => `${times(s.median)} (${times(s.min)}–${times(s.max)})`;
  const lines: string[] = [];
  const targets: [string, number, number | null][] = [
    ["list1", 3, 0.25],
    ["post", 3, 0.25],
    ["home", 2, null],
    ["postPage", 2, null],
  ];
  for (const [endpoint, next, node] of targets) {
    const row = rows.find((r) => r.mode === "full" && r.endpoint === endpoint);
    if (!row) continue;
    const okNext = row.ofNextFloor !== null && row.ofNextFloor >= next;
    const okNode = node === null || (row.ofNodeFloor !== null && row.ofNodeFloor >= node);
    lines.push(
      `full, ${row.label}: ${times(row.ofNextFloor)} the Next.js floor (target ≥ ${next}×)` +
        (node === null ? "" : `, ${pct(row.ofNodeFloor)} of the bare node:http floor (target ≥ ${pct(node)})`) +
        ` — ${okNext && okNode ? "meets the target" : "BELOW the target"}.`,
    );
  }
  if (paired) {
    lines.push(
      `full, list page 1 vs the Next.js floor, ${paired.pairs} alternating pairs of ${paired.sliceSeconds} s slices on the same server: ` +
        `${range(paired.rpsShare)} its requests/s` +
        (paired.cpuShare ? `, ${range(paired.cpuShare)} by server CPU per request` : "") +
        " (median, range).",
    );
  }
  return lines;
}

async function runSweep(bench: Bench, options: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  const m = machine(pinned);
  phase(`machine: ${machineLine(m)}`);
  const points: SweepPoint[] = [];
  const databases: string[] = [];
  for (const scale of SWEEP_SCALES) {
    const { db } = await prepare(scale);
    databases.push(db.name);
    for (const mode of ["off", "full"] as const) {
      phase(`sweep: ${fmtInt(scale)} posts, mode ${mode}: 4 endpoints × ${options.warmup + options.duration} s`);
      const rows = await bench.runMode(db, mode, { suffix: `-p${scale}`, floors: false, all: false });
      for (const r of rows) {
        points.push({
          posts: scale,
          mode,
          endpoint: r.endpoint,
          label: r.label,
          rps: r.load.rps,
          requests: r.load.requests,
          cpuPerRequestUs: r.cpuPerRequestUs,
          aloneP50: r.sample?.aloneMs.p50 ?? null,
          p50: r.load.latency.p50,
          p99: r.load.latency.p99,
          p99_9: r.load.latency.p99_9,
          unexpected: r.unexpected,
          errors: r.load.errors + r.load.timeouts,
          sqlPerRequest: r.sample?.sqlPerRequest ?? null,
          roundTripsPerRequest: r.sample?.roundTripsPerRequest ?? null,
        });
      }
    }
  }
  m.loadAvgEnd = os.loadavg().map((n) => Math.round(n * 100) / 100);
  const { posts: _posts, ...rest } = params(options, 0);
  const result: SweepResult = {
    kind: "sweep",
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: m,
    params: { ...rest, scales: SWEEP_SCALES, modes: ["off", "full"] },
    points,
    notes: bench.notes,
  };
  const file = writeResult(result);
  const chart = writeChart(latestResult("modes"), result);
  phase(`results: ${file}; chart: ${chart}`);
  const out = [
    `## npm run bench -- --sweep — ${startedAt.slice(0, 16).replace("T", " ")} UTC`,
    "",
    `Machine: ${machineLine(m)}.`,
    `Load: autocannon, ${options.connections} connections; each scale and mode on a fresh server with an empty cache, warmed up for ${PROCESS_WARMUP_SECONDS} s, then ${options.warmup} s warm-up + ${options.duration} s measured per endpoint; "alone": median latency of requests sent one at a time after the load.`,
    "",
    sweepTable(points),
    "",
    ...sweepGrowth(points),
    "",
    ...coldVerdict(points),
    ...bench.notes.map((n) => `Note: ${n}.`),
    "",
    `Results: ${file}. Bench databases kept for the next run: ${databases.join(", ")}.`,
  ];
  process.stdout.write(out.join("\n") + "\n");
}

/**
 * The long tail must not pay for the cache (docs/decisions/007-fast-path.md):
 * at each scale, a random list page and a random post (mostly cold at large
 * scales) in full cost at most 1.3× the server CPU per request of off.
 */
function coldVerdict(points: SweepPoint[]): string[] {
  const lines: string[] = [];
  for (const posts of [...new Set(points.map((p) => p.posts))].sort((a, b) => a - b)) {
    for (const endpoint of ["listRandom", "postRandom"]) {
      const full = points.find((p) => p.posts === posts && p.mode === "full" && p.endpoint === endpoint);
      const off = points.find((p) => p.posts === posts && p.mode === "off" && p.endpoint === endpoint);
      if (!full?.cpuPerRequestUs || !off?.cpuPerRequestUs) continue;
      const ratio = full.cpuPerRequestUs / off.cpuPerRequestUs;
      lines.push(
        `${fmtInt(posts)} posts, ${full.label}: full ${fmtInt(full.cpuPerRequestUs)} µs of CPU per request, off ${fmtInt(off.cpuPerRequestUs)} µs: ` +
          `${ratio.toFixed(2)}× (target ≤ 1.3×) — ${ratio <= 1.3 ? "meets it" : "ABOVE it"}.`,
      );
    }
  }
  return lines;
}

async function runProfile(bench: Bench, options: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  const m = machine(pinned);
  phase(`machine: ${machineLine(m)}`);
  const { db } = await prepare(options.posts);
  const prefix = await bench.prefix("full-profile");
  const dir = `${workDir}/profile`;
  fs.mkdirSync(dir, { recursive: true });
  const seconds = Math.max(options.duration, 10);
  phase(`profile: full mode under node --cpu-prof; the floor, then list page 1, ${options.warmup} + ${seconds} s each`);
  const server = await bench.startApp(db, "full", prefix, dir);
  let floorRow: Row;
  let listRow: Row;
  let exitedAt: number;
  try {
    const listBody = await (await fetch(`${server.url}/api/posts?page=1`)).text();
    await bench.primeFloor(server, prefix, listBody);
    await runLoad({
      url: server.url,
      workload: { type: "rotate", paths: ["/api/posts?page=1", "/api/bench-floor"] },
      connections: options.connections,
      warmupSeconds: 0,
      durationSeconds: PROCESS_WARMUP_SECONDS,
    });
    floorRow = await bench.floorNext(server, prefix, listBody, seconds);
    await new Promise((r) => setTimeout(r, 1_000));
    const listSpec: WorkloadSpec = { type: "fixed", path: "/api/posts?page=1" };
    listRow = await bench.measure(server, "full", { id: "list1", label: "list page 1", spec: listSpec, sampleSpec: listSpec, sampleCount: 0, expected: ["2xx"] }, seconds);
  } finally {
    exitedAt = await server.stop();
  }
  const file = findProfile(dir);
  const profile = loadProfile(file);
  // Trim a second off each end: the profile's clock is anchored at the process exit (see analyzeWindow).
  const window = (row: Row) => {
    const from = row.load.startedAtMs + 1_000;
    const to = row.load.endedAtMs - 1_000;
    return analyzeWindow(profile, exitedAt, from, to, (row.load.rps * (to - from)) / 1000);
  };
  const floorWindow = window(floorRow);
  const listWindow = window(listRow);
  m.loadAvgEnd = os.loadavg().map((n) => Math.round(n * 100) / 100);
  const result: ProfileResult = {
    kind: "profile",
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: m,
    params: { ...params(options, options.posts), durationSeconds: seconds, modes: ["full"] },
    profileFile: file,
    floor: { rps: floorRow.load.rps, window: floorWindow },
    list: { rps: listRow.load.rps, window: listWindow },
    notes: bench.notes,
  };
  const resultFile = writeResult(result);
  const share = listRow.load.rps / floorRow.load.rps;
  const extra = listWindow.areas
    .map((a) => ({ area: a.area, extra: a.perRequestUs - (floorWindow.areas.find((f) => f.area === a.area)?.perRequestUs ?? 0) }))
    .sort((a, b) => b.extra - a.extra)
    .slice(0, 5)
    .map((a) => `${a.area} +${fmtInt(a.extra)} µs`);
  const out = [
    `## npm run bench -- --profile — ${startedAt.slice(0, 16).replace("T", " ")} UTC`,
    "",
    `Machine: ${machineLine(m)}.`,
    `Profile: ${file} (open it in Chrome DevTools › Performance, or speedscope).`,
    "",
    profileReport("floor (a): Next.js route, 1 Redis GET", floorRow.load.rps, floorWindow),
    "",
    profileReport("full mode, list page 1 (warm)", listRow.load.rps, listWindow),
    "",
    "Where the list page's extra CPU per request goes (self time by area, µs per request):",
    "",
    profileDiff(floorWindow, listWindow),
    "",
    `list page 1 ran at ${Math.round(share * 100)} % of the floor here; the biggest extras per request: ${extra.join(", ")}.`,
    `Results: ${resultFile}.`,
  ];
  process.stdout.write(out.join("\n") + "\n");
}

async function main(): Promise<number> {
  let options: Options | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (options.chart) {
    const modes = latestResult("modes");
    const sweep = latestResult("sweep");
    if (!modes && !sweep) {
      process.stderr.write("No results in bench/results yet: run npm run bench first.\n");
      return 1;
    }
    phase(`chart: ${writeChart(modes, sweep)}`);
    return 0;
  }
  const bench = new Bench(options);
  let failed = false;
  try {
    await bench.init();
    if (options.profile) await runProfile(bench, options);
    else if (options.overload) await runOverload(bench, { prepare, phase, checkpoint }, options.posts);
    else if (options.sweep) await runSweep(bench, options);
    else await runModes(bench, options);
  } catch (error) {
    failed = true;
    if (interrupted) phase(`interrupted (${interrupted})`);
    else {
      phase(`failed: ${error instanceof Error ? error.message : String(error)}`);
      phase(`server and build logs: ${workDir}`);
    }
  } finally {
    phase("cleanup: stopping processes, clearing this run's cache prefixes");
    try {
      await bench.cleanup();
    } catch (error) {
      phase(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // The build copy is never needed again; logs only matter when something
  // failed; a profile is kept for its reader.
  fs.rmSync(appDir, { recursive: true, force: true });
  if ((!failed || interrupted) && !options.profile) fs.rmSync(workDir, { recursive: true, force: true });
  return interrupted ? 130 : failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
