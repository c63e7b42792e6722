import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CODE_OF_STATUS } from "@/lib/http/errors";
import { createUsers, deleteUsers, type TestUser } from "../session";
import {
  FUZZ_DEFAULT_COUNT,
  ROW_COUNTS_SQL,
  createRng,
  describeRequest,
  diffCounts,
  fuzzSeed,
  generateRequest,
  otherApiPaths,
  type FuzzContext,
  type FuzzRequest,
  type RowCounts,
} from "./fuzz";

// The seeded in-process fuzz run: every app/api/**/route.ts module, called the
// way Next.js calls it (test/http.ts), on the real PostgreSQL and Redis.
// After EVERY request the row counts are read again: an invalid request must
// leave them as they were; the few valid writes move them exactly as expected.
//
//   FUZZ_SEED=<n>   reproduce a run (the seed is printed first)
//   FUZZ_COUNT=<n>  requests that reach a handler (default 2,000)

const ORIGIN = "http://localhost:3000";
const root = path.resolve(import.meta.dirname, "../..");
const apiDir = path.join(root, "app", "api");
const NEXT_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH"];

type Handler = (req: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Response | Promise<Response>;
interface RouteModule {
  file: string;
  segments: string[];
  handlers: Partial<Record<string, Handler>>;
}

/** Every route module under app/api, with its path segments (`[id]`, `[...all]` kept as written). */
async function loadRouteModules(): Promise<RouteModule[]> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === "route.ts") files.push(full);
    }
  };
  walk(apiDir);
  const modules: RouteModule[] = [];
  for (const file of files.sort()) {
    const rel = path.relative(path.join(root, "app"), path.dirname(file));
    const mod = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
    const handlers: Partial<Record<string, Handler>> = {};
    for (const m of NEXT_METHODS) if (typeof mod[m] === "function") handlers[m] = mod[m] as Handler;
    // Route groups "(x)" are not part of the URL.
    modules.push({ file: path.relative(root, file), segments: rel.split(path.sep).filter((s) => !/^\(.*\)$/.test(s)), handlers });
  }
  return modules;
}

type Routing =
  | { kind: "handler"; module: RouteModule; params: Record<string, string | string[]> }
  /** Next answers without calling any handler (redirect, 400, 404, auto OPTIONS/405). */
  | { kind: "next"; status: number; why: string };

/** Which module Next would call for `pathname`, and with what params (static beats dynamic beats catch-all). */
function route(modules: RouteModule[], rawPathname: string): Routing {
  if (rawPathname.length > 1 && rawPathname.endsWith("/")) return { kind: "next", status: 308, why: "trailing slash redirect" };
  if (rawPathname.includes("//")) return { kind: "next", status: 308, why: "repeated slash redirect" };
  const parts = rawPathname.split("/").slice(1);
  let best: { module: RouteModule; params: Record<string, string | string[]>; score: number } | undefined;
  for (const candidate of modules) {
    const params: Record<string, string | string[]> = {};
    let score = 0;
    let ok = true;
    let i = 0;
    for (const seg of candidate.segments) {
      const catchAll = /^\[\[?\.\.\.(\w+)\]\]?$/.exec(seg);
      if (catchAll) {
        const rest = parts.slice(i);
        if (rest.length === 0 && !seg.startsWith("[[")) ok = false;
        params[catchAll[1]!] = rest;
        i = parts.length;
        score = score * 3;
        break;
      }
      const part = parts[i++];
      if (part === undefined) {
        ok = false;
        break;
      }
      const dynamic = /^\[(\w+)\]$/.exec(seg);
      if (dynamic) {
        params[dynamic[1]!] = part;
        score = score * 3 + 1;
      } else if (seg === part) {
        score = score * 3 + 2;
      } else {
        ok = false;
        break;
      }
    }
    if (!ok || i !== parts.length) continue;
    if (!best || score > best.score) best = { module: candidate, params, score };
  }
  if (!best) return { kind: "next", status: 404, why: "no route" };
  // Params reach the handler decoded; a segment that does not decode is a 400 from Next.
  try {
    const decoded: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(best.params)) decoded[k] = Array.isArray(v) ? v.map(decodeURIComponent) : decodeURIComponent(v);
    return { kind: "handler", module: best.module, params: decoded };
  } catch {
    return { kind: "next", status: 400, why: "undecodable path segment" };
  }
}


interface Failure {
  request: string;
  problems: string[];
  status?: number;
  body?: string;
  /**
   * What was written to console.error while answering. (The route wrapper's
   * own log of a 500, with its stack, goes through lib/log straight to
   * stdout, where it shows in the run's output next to the failure.)
   */
  log?: string;
}


describe("fuzz: the route handlers, in-process", () => {
  let db: pg.Client;
  let users: TestUser[] = [];
  let modules: RouteModule[];

  beforeAll(async () => {
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    modules = await loadRouteModules();
    users = await createUsers(db, 6, "fuzz");
  });

  afterAll(async () => {
    if (db) {
      await deleteUsers(db, users);
      await db.end();
    }
  });

  it("no 5xx, no exception, and no write from an invalid request", async () => {
    const seed = fuzzSeed();
    const count = Number(process.env.FUZZ_COUNT ?? FUZZ_DEFAULT_COUNT);
    const rng = createRng(seed);
    const postIds = (await db.query<{ id: number }>(`SELECT id FROM "post" ORDER BY id`)).rows.map((r) => r.id);
    expect(postIds.length).toBeGreaterThan(0);
    const otherPaths = otherApiPaths(path.join(root, "app"), postIds[0]!);
    console.log(
      `[fuzz] in-process: FUZZ_SEED=${seed} FUZZ_COUNT=${count} (route modules: ${modules.map((m) => m.file).join(", ")}; fuzzed without knowing their semantics: ${otherPaths.join(", ") || "none"})`,
    );
    const ctx: FuzzContext = { origin: ORIGIN, postIds, users, allowValidWrites: true, http: false, otherPaths };

    const counts = async () => (await db.query<RowCounts>(ROW_COUNTS_SQL)).rows[0]!;
    const start = await counts();
    let current = start;
    const expectedDelta: Partial<Record<keyof RowCounts, number>> = {};
    const liked = new Set<string>();
    const failures: Failure[] = [];
    const statuses = new Map<string, number>();
    const byNext = new Map<string, number>();
    const validWrites = { created: 0, commented: 0, likes: 0, refused: 0 };
    let dispatched = 0;
    let generated = 0;
    let signedIn = 0;
    const began = Date.now();

    while (dispatched < count) {
      const r: FuzzRequest = generateRequest(ctx, rng, generated++);
      const url = new URL(r.target, ORIGIN);
      const routing = route(modules, url.pathname);
      const method = r.method;
      if (routing.kind === "next") {
        byNext.set(`${routing.status} ${routing.why}`, (byNext.get(`${routing.status} ${routing.why}`) ?? 0) + 1);
        continue;
      }
      // Next's method resolution (auto HEAD from GET, auto OPTIONS, 405, 400 for a non-HTTP method).
      if (!NEXT_METHODS.includes(method.toUpperCase()) || (method !== method.toUpperCase() && !["get", "post", "put", "delete", "head", "options"].includes(method))) {
        byNext.set("400 not an HTTP method", (byNext.get("400 not an HTTP method") ?? 0) + 1);
        continue;
      }
      const normalized = method.toUpperCase();
      const handler = routing.module.handlers[normalized] ?? (normalized === "HEAD" ? routing.module.handlers.GET : undefined);
      if (!handler) {
        const why = normalized === "OPTIONS" ? "204 auto OPTIONS" : "405 method not exported";
        byNext.set(why, (byNext.get(why) ?? 0) + 1);
        continue;
      }

      let req: Request;
      try {
        req = new Request(url, { method, headers: r.headers, ...(r.body !== undefined ? { body: r.body as BodyInit } : {}) });
      } catch (error) {
        failures.push({ request: describeRequest(r), problems: [`the generator made a request fetch cannot build: ${String(error)}`] });
        continue;
      }
      dispatched++;
      if (r.headers.some(([k, v]) => k === "Cookie" && users.some((u) => v.includes(u.cookie)))) signedIn++;

      let res: Response | undefined;
      let text = "";
      const logged: string[] = [];
      const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
        logged.push(args.map((a) => (a instanceof Error ? (a.stack ?? String(a)) : typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      });
      try {
        res = await withTimeout(Promise.resolve(handler(req, { params: Promise.resolve(routing.params) })), 30_000);
        text = await withTimeout(res.text(), 30_000);
      } catch (error) {
        logged.push(error instanceof Error ? (error.stack ?? String(error)) : String(error));
      } finally {
        spy.mockRestore();
      }
      const after = await counts();
      const delta = diffCounts(current, after);
      current = after;
      const problems: string[] = [];
      if (!res) {
        failures.push({ request: describeRequest(r), problems: ["the handler threw (Next would answer 500)"], log: logged.join("\n") });
        continue;
      }
      const status = res.status;
      statuses.set(`${status}`, (statuses.get(`${status}`) ?? 0) + 1);
      const fail = (problem: string) => problems.push(problem);

      if (status >= 500) fail(`${status}`);
      // A redirect never leaves the site (no open redirect through ?callbackURL= and the like).
      const location = res.headers.get("location");
      if (status >= 300 && status < 400 && location !== null && new URL(location, ORIGIN).origin !== ORIGIN) fail(`redirects off-site to ${location}`);

      // What the database may have done.
      const e = r.expect;
      let allowed: Partial<RowCounts> = {};
      if (e.kind === "invalid" && (status < 400 || status >= 500)) fail(`an invalid mutation got ${status} (defects: ${r.defects.join("; ")})`);
      if (e.kind === "valid-create-post") {
        if (status === 201) allowed = { post: 1 };
        else if (status < 400 || status >= 500) fail(`a valid create got ${status}`);
        if (status === 201) validWrites.created++;
        else validWrites.refused++;
      }
      if (e.kind === "valid-comment") {
        if (status === 201) allowed = { comment: 1 };
        else if (status < 400 || status >= 500) fail(`a valid comment got ${status}`);
        if (status === 201) validWrites.commented++;
        else validWrites.refused++;
      }
      if (e.kind === "valid-like") {
        const key = `${e.user}:${e.postId}`;
        const had = liked.has(key);
        if (status !== 200) fail(`a valid ${e.liked ? "like" : "unlike"} got ${status}`);
        else {
          if (e.liked && !had) allowed = { like: 1 };
          if (!e.liked && had) allowed = { like: -1 };
          if (e.liked) liked.add(key);
          else liked.delete(key);
          validWrites.likes++;
        }
      }
      if (JSON.stringify(sorted(delta)) !== JSON.stringify(sorted(allowed))) {
        fail(`row counts changed by ${JSON.stringify(delta)}, expected ${JSON.stringify(allowed)}`);
      }
      for (const [t, n] of Object.entries(allowed)) expectedDelta[t as keyof RowCounts] = (expectedDelta[t as keyof RowCounts] ?? 0) + n;

      // docs/api.md's error shape on our own routes.
      const ours = !routing.module.file.includes("/auth/");
      if (ours && status >= 400 && status < 500 && normalized !== "HEAD") {
        let code: unknown;
        try {
          code = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error?.code;
        } catch {
          code = undefined;
        }
        if (code !== CODE_OF_STATUS[status]) fail(`error body is not docs/api.md's shape for ${status} (code ${JSON.stringify(code)})`);
        if (status === 405 && !res.headers.get("allow")) fail("405 without an Allow header");
        if (status === 429 && !res.headers.get("retry-after")) fail("429 without Retry-After");
      }
      if (problems.length > 0) {
        failures.push({ request: describeRequest(r), problems, status, body: text.slice(0, 500), log: logged.join("\n").slice(0, 3_000) });
      }
    }

    const end = await counts();
    const total = diffCounts(start, end);
    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    console.log(
      [
        `[fuzz] in-process: FUZZ_SEED=${seed}: ${dispatched} requests reached a handler (${signedIn} with a real session) of ${generated} generated in ${seconds}s`,
        `  statuses: ${[...statuses].sort().map(([s, n]) => `${s}×${n}`).join(" ")}`,
        `  answered by Next before any handler: ${[...byNext].map(([s, n]) => `${s}×${n}`).join(", ") || "none"}`,
        `  valid writes: ${validWrites.created} posts, ${validWrites.commented} comments, ${validWrites.likes} like/unlike; ${validWrites.refused} refused (4xx)`,
        `  row counts: ${JSON.stringify(start)} → ${JSON.stringify(end)}; change ${JSON.stringify(total)}, from valid writes ${JSON.stringify(expectedDelta)}`,
        `  failures: ${failures.length}`,
      ].join("\n"),
    );
    // One example per kind of failure (same problems, same first log line), with how often it happened.
    const kinds = new Map<string, { count: number; example: Failure }>();
    for (const f of failures) {
      const key = `${f.problems.join("; ")} | ${f.log?.split("\n")[1]?.trim() ?? f.log?.split("\n")[0] ?? ""}`;
      const kind = kinds.get(key) ?? { count: 0, example: f };
      kind.count++;
      kinds.set(key, kind);
    }
    for (const { count: n, example: f } of kinds.values()) {
      console.log(
        `[fuzz] FAILURE ×${n}: ${f.problems.join("; ")} (status ${f.status ?? "-"})\n  first request: ${f.request}\n  body: ${f.body ?? ""}${f.log ? `\n  server log: ${f.log}` : ""}`,
      );
    }
    expect(JSON.stringify(sorted(total))).toBe(JSON.stringify(sorted(expectedDelta)));
    expect(failures.map((f) => `${f.problems.join("; ")}: ${f.request.slice(0, 300)}`)).toEqual([]);
  });
});

function sorted(o: Partial<Record<string, number>>): [string, number][] {
  return Object.entries(o)
    .filter((e): e is [string, number] => e[1] !== undefined && e[1] !== 0)
    .sort(([a], [b]) => a.localeCompare(b));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
