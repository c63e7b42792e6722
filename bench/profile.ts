// Reads a V8 CPU profile (node --cpu-prof) of the app server and says where
// its CPU time went during one load window: self time per function and per
// area (Next.js, React, node core, lib/cache, …), per request.
//
// Next.js bundles and minifies the app into .next/server/chunks; each chunk
// ships a source map, read here with node's own SourceMap (no dependency), so
// frames are reported as their original file and line.
import fs from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameCost {
  /** Original location when a source map knows it: `lib/cache/tags.ts:120 readIndexed`. */
  name: string;
  area: string;
  selfMs: number;
  /** Share of the window's busy (non-idle) time. */
  share: number;
}

export interface WindowProfile {
  /** Busy (non-idle) CPU time in the window, ms. */
  busyMs: number;
  windowMs: number;
  requests: number;
  /** Busy CPU per request, µs. */
  busyPerRequestUs: number;
  areas: { area: string; selfMs: number; perRequestUs: number; share: number }[];
  top: FrameCost[];
}

const maps = new Map<string, SourceMap | null>();

function sourceMapFor(url: string): SourceMap | null {
  if (maps.has(url)) return maps.get(url) ?? null;
  let map: SourceMap | null = null;
  try {
    const file = url.startsWith("file://") ? fileURLToPath(url) : url;
    if (file.includes(`${path.sep}.next${path.sep}`) && fs.existsSync(`${file}.map`)) {
      map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, "utf8")));
    }
  } catch {
    map = null;
  }
  maps.set(url, map);
  return map;
}

/** Where the frame's code came from, as the original source path when a map knows it. */
function locate(frame: CallFrame): { source: string; line: number; name: string } {
  const map = frame.url ? sourceMapFor(frame.url) : null;
  if (map) {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number; name?: string };
    if (entry.originalSource) {
      const source = entry.originalSource
        .replace(/^turbopack:\/\/\/(\[project\]\/)?/, "")
        .replace(/^webpack:\/\/(_N_E\/)?/, "")
        .replace(/^(\.\.\/)+/, "");
      return { source, line: (entry.originalLine ?? 0) + 1, name: frame.functionName || entry.name || "(anonymous)" };
    }
  }
  const source = frame.url.startsWith("file://") ? path.relative(process.cwd(), fileURLToPath(frame.url)) : frame.url;
  return { source, line: frame.lineNumber + 1, name: frame.functionName || "(anonymous)" };
}

/** The area a source belongs to, for the roll-up. */
export function areaOf(source: string, functionName: string): string {
  if (functionName === "(garbage collector)") return "GC";
  if (functionName === "(program)") return "V8 (program)";
  if (functionName === "(idle)") return "idle";
  if (!source) return "native / builtins";
  if (source.startsWith("node:")) {
    const m = /^node:(?:internal\/)?([a-z_]+)/.exec(source);
    const mod = m?.[1] ?? "core";
    if (["http", "_http_server", "_http_outgoing", "_http_common", "_http_incoming"].includes(mod)) return "node: http";
    if (["streams", "stream", "net", "dns", "tls"].includes(mod)) return "node: streams/net";
    if (["async_hooks", "async_local_storage"].includes(mod)) return "node: async_hooks (AsyncLocalStorage)";
    if (["process", "timers"].includes(mod)) return "node: process/timers";
    if (["url", "webstreams", "deps", "bootstrap", "event_target", "abort_controller", "blob"].includes(mod)) return `node: ${mod === "deps" ? "undici (fetch Request/Response)" : mod}`;
    return "node: other";
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1];
  if (pkg) {
    if (pkg === "next") return "next";
    if (pkg.startsWith("react")) return "react";
    if (["ioredis", "redis-parser", "denque", "cluster-key-slot", "standard-as-callback", "redis-errors"].includes(pkg)) return "ioredis";
    if (pkg === "zod") return "zod";
    if (pkg === "tsx" || pkg === "esbuild") return "tsx loader";
    return `pkg: ${pkg}`;
  }
  const lib = /(?:^|\/)(lib\/[a-z-]+|app\/api|app)\//.exec(source)?.[1];
  if (lib) return lib;
  if (/(?:^|\/)server\.ts$/.test(source)) return "server.ts";
  if (source.includes(".next/")) return "next bundle (unmapped)";
  return "other";
}

export function loadProfile(file: string): CpuProfile {
  return JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
}

/**
 * Self time inside [fromMs, toMs] (epoch ms). The profile's clock is
 * monotonic, not wall time: it is anchored at the process's exit
 * (`exitedAtMs`, epoch), which is its `endTime` give or take the time to
 * write the file — hence callers trim their windows by a second or so.
 */
export function analyzeWindow(profile: CpuProfile, exitedAtMs: number, fromMs: number, toMs: number, requests: number, topN = 20): WindowProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fromUs = profile.endTime - (exitedAtMs - fromMs) * 1000;
  const toUs = profile.endTime - (exitedAtMs - toMs) * 1000;
  const frames = new Map<string, { name: string; area: string; us: number }>();
  const areas = new Map<string, number>();
  let busyUs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const node = byId.get(profile.samples[i] ?? -1);
    if (!node) continue;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const where = locate(node.callFrame);
    const area = areaOf(where.source, node.callFrame.functionName);
    if (area === "idle") continue;
    busyUs += us;
    areas.set(area, (areas.get(area) ?? 0) + us);
    const key = `${where.source}:${where.line} ${where.name}`;
    const frame = frames.get(key) ?? { name: key, area, us: 0 };
    frame.us += us;
    frames.set(key, frame);
  }
  const per = (us: number) => (requests > 0 ? us / requests : 0);
  return {
    busyMs: busyUs / 1000,
    windowMs: toMs - fromMs,
    requests,
    busyPerRequestUs: per(busyUs),
    areas: [...areas]
      .map(([area, us]) => ({ area, selfMs: us / 1000, perRequestUs: per(us), share: busyUs ? us / busyUs : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs),
    top: [...frames.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ name: f.name, area: f.area, selfMs: f.us / 1000, share: busyUs ? f.us / busyUs : 0 })),
  };
}

/**
 * The main thread's profile in `dir`. Node names them
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main
 * thread (tsx's module loader runs on another thread and gets its own file).
 */
export function findProfile(dir: string): string {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  const main = files.filter((f) => f.split(".").at(-3) === "0");
  const pick = (main.length > 0 ? main : files)
    .map((f) => ({ f, size: fs.statSync(path.join(dir, f)).size }))
    .sort((a, b) => b.size - a.size)[0];
  if (!pick) throw new Error(`no .cpuprofile in ${dir}`);
  return path.join(dir, pick.f);
}
