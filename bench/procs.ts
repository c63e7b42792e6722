// Every process the benchmark starts goes through here, so that every one of
// them is stopped — by its PID — when the run ends, fails or is interrupted.
// Also: the build (only when stale, never two at once), the app server, the
// bare floor server and the load generator, each pinned to its core.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { buildIsStale } from "@/scripts/lib/build";
import type { LoadJob, LoadResult, PairedResult } from "./load";

export const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

/** Where server logs and CPU profiles of this run go (outside the repository). */
export const workDir = path.join(os.tmpdir(), `blog-bench-${process.pid}`);
fs.mkdirSync(workDir, { recursive: true });

const running = new Map<number, { child: ChildProcess; name: string; group: boolean }>();

function track(child: ChildProcess, name: string, group = false): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  running.set(pid, { child, name, group });
  child.on("exit", () => running.delete(pid));
}

/** Signals one process we started (its group when we made it a group leader). */
function signal(pid: number, group: boolean, sig: NodeJS.Signals): void {
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    // already gone
  }
}

/** Stops every process still running: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopAll(graceMs = 5_000): Promise<void> {
  const entries = [...running.entries()];
  await Promise.all(entries.map(([pid, entry]) => stopProcess(pid, entry.child, entry.group, graceMs)));
}

/** Last resort on process exit: synchronous SIGKILL of whatever is left. */
export function killAllNow(): void {
  for (const [pid, entry] of running) signal(pid, entry.group, "SIGKILL");
}

function stopProcess(pid: number, child: ChildProcess, group: boolean, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => signal(pid, group, "SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    signal(pid, group, "SIGTERM");
  });
}

// --- CPU pinning ---------------------------------------------------------

const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return os.availableParallelism() >= 2;
  } catch {
    return false;
  }
})();

/** True when the app runs on core 0 and the load on core 1. */
export const pinned = hasTaskset;

function pin(core: number, command: string, args: string[]): [string, string[]] {
  return pinned ? ["taskset", ["-c", String(core), command, ...args]] : [command, args];
}

// --- ports -----------------------------------------------------------------

const taken = new Set<number>();

/** A free port in 3400-3499 (the benchmark's range), not handed out before in this run. */
export async function freePort(): Promise<number> {
  for (let port = 3400; port <= 3499; port++) {
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
  throw new Error("no free port in 3400-3499");
}

// --- the build -------------------------------------------------------------

export function buildIdStat(): fs.Stats | undefined {
  return fs.statSync(path.join(root, ".next", "BUILD_ID"), { throwIfNoEntry: false });
}

function otherBuilds(): string[] {
  try {
    return execFileSync("pgrep", ["-f", "next build"], { encoding: "utf8" }).split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** App servers of other people running from this checkout's .next (a rebuild would pull it from under them). */
function otherServers(): string[] {
  let pids: string[] = [];
  try {
    pids = execFileSync("pgrep", ["-f", "server\\.ts|next start"], { encoding: "utf8" }).split("\n").filter(Boolean);
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    if (running.has(Number(pid))) return false;
    try {
      return fs.readlinkSync(`/proc/${pid}/cwd`) === root;
    } catch {
      return false;
    }
  });
}

/**
 * `next build` when the build is missing or older than the sources (the
 * rule of scripts/lib/build.ts, which `npm start` uses) — but never while
 * another `next build` runs in this checkout (other people build here too):
 * waits for it, then checks again. A rebuild under someone's running server
 * breaks it, so a stale build also waits (5 min at most) for those to end.
 */
export async function ensureBuild(log: (line: string) => void): Promise<{ built: boolean; seconds: number }> {
  let waitedFor = "";
  const serversDeadline = Date.now() + 5 * 60_000;
  for (;;) {
    const builds = otherBuilds();
    const servers = buildIsStale() && Date.now() < serversDeadline ? otherServers() : [];
    if (builds.length === 0 && servers.length === 0) break;
    const waiting =
      builds.length > 0
        ? `another \`next build\` (pid ${builds.join(", ")}) to finish`
        : `the stale build's running app servers (pid ${servers.join(", ")}) to stop before rebuilding under them`;
    if (waiting !== waitedFor) log(`build: waiting for ${waiting}…`);
    waitedFor = waiting;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  if (!buildIsStale()) return { built: false, seconds: 0 };
  const logFile = path.join(workDir, "build.log");
  log(`build: the build is missing or older than the sources: next build (log: ${logFile})…`);
  const started = performance.now();
  const out = fs.openSync(logFile, "w");
  // Its own process group: next build starts workers, and Ctrl-C must stop them all.
  const child = spawn(bin("next"), ["build"], {
    cwd: root,
    stdio: ["ignore", out, out],
    detached: true,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
  });
  track(child, "next build", true);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (c) => resolve(c));
  });
  fs.closeSync(out);
  if (code !== 0) throw new Error(`next build failed (exit ${code}); see ${logFile}:\n${tail(logFile)}`);
  return { built: true, seconds: (performance.now() - started) / 1000 };
}

function tail(file: string, lines = 25): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

// --- a private copy of the build ------------------------------------------

/** Where the app runs from: a private copy of the build (see snapshotBuild). */
export const appDir = path.join(workDir, "app");

/** Top-level .next entries a production server does not read (build cache, dev output, traces). */
const NOT_COPIED = new Set(["cache", "dev", "diagnostics", "lock", "trace", "turbopack", "types"]);

/**
 * Copies the current build (.next, ~10 MB without its caches) and server.ts
 * into a private folder whose other entries are symlinks to the checkout, and
 * runs every server of this run from there. Other people rebuild .next in
 * this checkout all the time (every e2e run does when the sources changed):
 * without a copy, a server started mid-run would find half a build, or
 * another build than the modes before it. The copy is taken only while no
 * build runs, and retaken if one started or finished meanwhile.
 */
export async function snapshotBuild(log: (line: string) => void): Promise<{ buildId: string }> {
  for (let attempt = 1; ; attempt++) {
    while (otherBuilds().length > 0) await new Promise((r) => setTimeout(r, 2_000));
    const before = buildIdStat();
    if (!before) throw new Error("there is no build to copy (.next/BUILD_ID is missing)");
    fs.rmSync(appDir, { recursive: true, force: true });
    fs.mkdirSync(appDir, { recursive: true });
    for (const entry of fs.readdirSync(root)) {
      if (entry === ".next" || entry === "server.ts" || entry === ".git") continue;
      fs.symlinkSync(path.join(root, entry), path.join(appDir, entry));
    }
    fs.copyFileSync(path.join(root, "server.ts"), path.join(appDir, "server.ts"));
    fs.cpSync(path.join(root, ".next"), path.join(appDir, ".next"), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (source) => !NOT_COPIED.has(path.relative(path.join(root, ".next"), source).split(path.sep)[0] ?? ""),
    });
    const after = buildIdStat();
    const buildId = fs.readFileSync(path.join(appDir, ".next", "BUILD_ID"), "utf8").trim();
    if (otherBuilds().length === 0 && after && after.mtimeMs === before.mtimeMs) return { buildId };
    if (attempt >= 5) throw new Error("the build kept changing while it was being copied");
    log("build: another build started while copying it; copying again…");
  }
}

// --- servers ---------------------------------------------------------------

export interface Server {
  name: string;
  pid: number;
  url: string;
  logFile: string;
  /** SIGTERM (a graceful exit: a CPU profile gets written), SIGKILL after 10 s. Resolves with the time it exited. */
  stop(): Promise<number>;
}

async function waitUntilReady(child: ChildProcess, url: string, logFile: string, name: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited before it was ready (${child.exitCode ?? child.signalCode}); see ${logFile}:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} was not ready within ${timeoutMs / 1000} s; see ${logFile}`);
}

function startServer(name: string, cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv, port: number, readyPath: string): Promise<Server> {
  const logFile = path.join(workDir, `${name}.log`);
  const out = fs.openSync(logFile, "w");
  const [cmd, argv] = pin(0, command, args);
  const child = spawn(cmd, argv, { cwd, stdio: ["ignore", out, out], env });
  fs.closeSync(out);
  track(child, name);
  const pid = child.pid ?? -1;
  const url = `http://127.0.0.1:${port}`;
  const server: Server = {
    name,
    pid,
    url,
    logFile,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => signal(pid, false, "SIGKILL"), 10_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          signal(pid, false, "SIGTERM");
        });
      }
      return Date.now();
    },
  };
  return waitUntilReady(child, url + readyPath, logFile, name).then(
    () => server,
    async (error: unknown) => {
      await server.stop();
      throw error;
    },
  );
}

export interface AppOptions {
  name: string;
  port: number;
  env: Record<string, string>;
  /** Write a V8 CPU profile into this folder (node --cpu-prof). */
  cpuProfDir?: string;
}

/** The production server (server.ts, what `npm start` ends with), from the private copy of the build, pinned to core 0. */
export function startApp(options: AppOptions): Promise<Server> {
  const nodeArgs = options.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", PORT: String(options.port) };
  return startServer(options.name, appDir, process.execPath, [...nodeArgs, "--import", "tsx", "server.ts"], env, options.port, "/api/health");
}

/** Floor (b): the bare node:http server, pinned to core 0. */
export function startFloorServer(port: number, redisUrl: string, key: string): Promise<Server> {
  const env = { ...process.env, BENCH_FLOOR_PORT: String(port), BENCH_FLOOR_REDIS: redisUrl, BENCH_FLOOR_KEY: key };
  return startServer("floor-node", root, process.execPath, ["--import", "tsx", "bench/floor-server.ts"], env, port, "/");
}

// --- load ------------------------------------------------------------------

/** Runs bench/load.ts (autocannon) pinned to core 1 and returns its result. */
export async function runLoad(job: LoadJob & { paired?: undefined }): Promise<LoadResult> {
  return (await runLoadChild(job)) as LoadResult;
}

/** The paired mode of bench/load.ts (see LoadJob.paired). */
export async function runPaired(job: LoadJob & { paired: NonNullable<LoadJob["paired"]> }): Promise<PairedResult> {
  return (await runLoadChild(job)) as PairedResult;
}

/**
 * One load generator for the whole run (bench/load.ts --serve, pinned to
 * core 1), fed one job at a time over stdin.
 */
let loader: { child: ChildProcess; lines: AsyncIterator<string>; stderr: string[] } | undefined;

function startLoader(): NonNullable<typeof loader> {
  const [cmd, argv] = pin(1, process.execPath, ["--import", "tsx", "bench/load.ts", "--serve"]);
  const child = spawn(cmd, argv, { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
  track(child, "load");
  const stderr: string[] = [];
  child.stderr?.on("data", (d: Buffer) => stderr.push(d.toString()));
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  child.on("exit", () => {
    if (loader?.child === child) loader = undefined;
  });
  return { child, lines, stderr };
}

async function runLoadChild(job: LoadJob): Promise<unknown> {
  loader ??= startLoader();
  const { child, lines, stderr } = loader;
  child.stdin?.write(JSON.stringify(job) + "\n");
  const next = await lines.next();
  if (next.done) throw new Error(`load generator exited (${child.exitCode ?? child.signalCode}): ${stderr.join("").trim().split("\n").slice(-10).join("\n")}`);
  const reply = JSON.parse(next.value) as { ok: true; result: unknown } | { ok: false; error: string };
  if (!reply.ok) throw new Error(`load generator failed: ${reply.error}`);
  return reply.result;
}
