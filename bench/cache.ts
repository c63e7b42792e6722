// Benchmark (not a test): lib/cache against raw ioredis doing the same
// commands, on the same Redis, in the same run.
//
//   npm run bench:cache            (REDIS_URL or redis://127.0.0.1:6379)
//
// Three clients per operation, each on its own connection:
// - ours: the Cache (key building + validation, JSON check + encode/decode,
//   timeout race, request-scope accounting), run inside a request scope;
// - raw: ioredis sending the same commands (GET, MGET, SET … PX, a pipeline
//   of SET … PX) with pre-serialized strings, returning strings;
// - raw+JSON: the same, plus the JSON.stringify/JSON.parse any app must do to
//   get objects in and out: the fair baseline for "what does lib/cache add".
// Each runs sequentially (one awaited op at a time: latency-bound) and with
// 50 in flight (throughput-bound). The three sides alternate in short slices
// and the ratio is the median of per-slice ratios, so load from other
// processes on the machine hits all sides alike. "×" = time per op of ours
// over the baseline; the goal is ≤ 1.3.
//
// This file may import ioredis for the raw baseline (allowed explicitly in
// lib/cache/boundaries.test.ts and eslint.config.mjs).
import { Redis } from "ioredis";
import { createCache } from "@/lib/cache/factory";
import { runInScope } from "@/lib/scope";

// A benchmark script, not app code: it reads its one setting directly.
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PREFIX = `bench-${process.pid}`;
const TTL_SECONDS = 600;
const WARMUP_MS = 400;
const SLICE_MS = 120;
const ROUNDS = 8; // per side, alternating
const CONCURRENCY = 50;
const progress = process.stderr.isTTY ? (message: string) => process.stderr.write(`\r\x1b[2K${message}`) : () => {};

/** A post summary as the list page would cache it (~400 bytes of JSON). */
function postSummary(id: number) {
  return {
    id,
    slug: `caching-strategies-part-${id}`,
    title: `Caching strategies, part ${id}: reads in front of PostgreSQL`,
    excerpt: "What to cache, for how long, and how to invalidate it without serving stale data after a write.",
    author: { id: 3, name: "Ada Lovelace", avatarUrl: null },
    tags: ["redis", "postgres", "caching"],
    likes: id * 7,
    comments: id % 13,
    publishedAt: "2025-01-15T10:00:00.000Z",
    draft: false,
  };
}

const SIDES = ["ours", "raw", "rawJson"] as const;
type Side = (typeof SIDES)[number];
type Op = (i: number) => Promise<unknown>;
type Case = { name: string } & Record<Side, Op>;

/** Runs `op` for `ms` with `concurrency` in flight: ops/s (wall) and this process's CPU µs per op. */
async function measure(op: Op, ms: number, concurrency: number): Promise<{ rate: number; cpu: number }> {
  let ops = 0;
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + ms;
  const worker = async () => {
    while (performance.now() < end) {
      await op(next++);
      ops += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  return { rate: (ops / (performance.now() - started)) * 1000, cpu: (cpu.user + cpu.system) / ops };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? (sorted[Math.floor(mid)] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function compare(test: Case, concurrency: number) {
  for (const side of SIDES) await measure(test[side], WARMUP_MS, concurrency);
  const rates: Record<Side, number[]> = { ours: [], raw: [], rawJson: [] };
  const cpu: Record<Side, number[]> = { ours: [], raw: [], rawJson: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of SIDES) {
      const result = await measure(test[side], SLICE_MS, concurrency);
      rates[side].push(result.rate);
      cpu[side].push(result.cpu);
    }
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    ours: mean(rates.ours),
    raw: mean(rates.raw),
    rawJson: mean(rates.rawJson),
    // time/op ratio = baseline rate ÷ our rate, slice by slice
    vsRaw: median(rates.raw.map((rate, i) => rate / (rates.ours[i] ?? rate))),
    vsRawJson: median(rates.rawJson.map((rate, i) => rate / (rates.ours[i] ?? rate))),
    cpuOurs: median(cpu.ours),
    cpuRawJson: median(cpu.rawJson),
  };
}

async function main() {
  const cache = createCache({ redisUrl: REDIS_URL, prefix: PREFIX, defaultTtl: TTL_SECONDS });
  const raw = new Redis(REDIS_URL);
  const rawJson = new Redis(REDIS_URL);
  const ttlMs = TTL_SECONDS * 1000;
  try {
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    const keys = ids.map((id) => `post:${id}:summary`);
    const fullKeys = keys.map((key) => cache.makeKey(key));
    const values = ids.map(postSummary);
    const texts = values.map((value) => JSON.stringify(value));
    await cache.setMany(keys.map((key, i) => [key, values[i]] as const));

    const keys20 = keys.slice(0, 20);
    const fullKeys20 = fullKeys.slice(0, 20);
    const at = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;
    const writeKey = (i: number) => `write:${i % 100}`;
    const writeFullKeys = ids.map((_, i) => cache.makeKey(writeKey(i)));
    const parseAll = (list: (string | null)[]) => list.map((text) => (text === null ? undefined : (JSON.parse(text) as unknown)));

    const cases: Case[] = [
      {
        name: "get",
        ours: (i) => cache.get(at(keys, i)),
        raw: (i) => raw.get(at(fullKeys, i)),
        rawJson: async (i) => {
          const text = await rawJson.get(at(fullKeys, i));
          return text === null ? undefined : (JSON.parse(text) as unknown);
        },
      },
      {
        name: "getMany 20",
        ours: () => cache.getMany(keys20),
        raw: () => raw.mget(fullKeys20),
        rawJson: async () => parseAll(await rawJson.mget(fullKeys20)),
      },
      {
        name: "getMany 100",
        ours: () => cache.getMany(keys),
        raw: () => raw.mget(fullKeys),
        rawJson: async () => parseAll(await rawJson.mget(fullKeys)),
      },
      {
        name: "set",
        ours: (i) => cache.set(writeKey(i), at(values, i)),
        raw: (i) => raw.set(at(writeFullKeys, i), at(texts, i), "PX", ttlMs),
        rawJson: (i) => rawJson.set(at(writeFullKeys, i), JSON.stringify(at(values, i)), "PX", ttlMs),
      },
      {
        name: "setMany 20",
        ours: (i) => cache.setMany(keys20.map((key, j) => [`${key}:w`, at(values, i + j)] as const)),
        raw: (i) => {
          const pipeline = raw.pipeline();
          for (let j = 0; j < 20; j++) pipeline.set(`${at(fullKeys20, j)}:w`, at(texts, i + j), "PX", ttlMs);
          return pipeline.exec();
        },
        rawJson: (i) => {
          const pipeline = rawJson.pipeline();
          for (let j = 0; j < 20; j++) pipeline.set(`${at(fullKeys20, j)}:w`, JSON.stringify(at(values, i + j)), "PX", ttlMs);
          return pipeline.exec();
        },
      },
    ];

    const rows: string[][] = [];
    for (const concurrency of [1, CONCURRENCY]) {
      for (const test of cases) {
        const mode = concurrency === 1 ? "sequential" : `${concurrency} in flight`;
        progress(`bench: ${test.name}, ${mode}…`);
        // Everything runs inside a request scope, as in the app: our accounting is included.
        const r = await runInScope(() => compare(test, concurrency));
        rows.push([test.name, mode, fmt(r.ours), fmt(r.raw), fmt(r.rawJson), r.vsRaw.toFixed(2), r.vsRawJson.toFixed(2), `${r.cpuOurs.toFixed(1)} / ${r.cpuRawJson.toFixed(1)}`]);
      }
    }
    progress("");

    const server = ((await raw.info("server")).match(/redis_version:(\S+)/) ?? [])[1] ?? "?";
    console.log(`lib/cache vs raw ioredis — Node ${process.version}, Redis ${server} at ${new URL(REDIS_URL).host}, value ${texts[0]?.length ?? 0} B of JSON`);
    console.log(`ops/s: mean of ${ROUNDS} alternating ${SLICE_MS} ms slices per side after a ${WARMUP_MS} ms warm-up; × = our time per op ÷ the baseline's (median of per-slice ratios; goal ≤ 1.3)`);
    console.log("client CPU µs/op: this process's CPU time per op (user + system), ours / raw+JSON — steadier than wall time on a busy machine\n");
    printTable(["operation", "mode", "ours ops/s", "raw ops/s", "raw+JSON ops/s", "× raw", "× raw+JSON", "client CPU µs/op"], rows);
  } finally {
    await cache.clear();
    await cache.close();
    await raw.quit();
    await rawJson.quit();
  }
}

function fmt(opsPerSecond: number): string {
  return Math.round(opsPerSecond).toLocaleString("en-US");
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`;
  console.log(line(header));
  console.log(`| ${widths.map((width, i) => (i < 2 ? "-".repeat(width) : `${"-".repeat(width - 1)}:`)).join(" | ")} |`);
  for (const row of rows) console.log(line(row));
}

await main();
