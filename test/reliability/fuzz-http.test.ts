import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCache } from "@/lib/cache/factory";
import { createTestDatabase, dropDatabase, seedDatabase } from "../databases";
import { ROW_COUNTS_SQL, createRng, describeRequest, diffCounts, fuzzSeed, generateRequest, otherApiPaths, type FuzzContext, type FuzzRequest, type FuzzUser, type RowCounts } from "./fuzz";

// The HTTP-level fuzz pass: the built app (`npm start`, as scripts/e2e-server.ts
// runs it) on port 3600 with its own database, so that what an in-process
// call cannot reach is covered too: Node's HTTP parser, Next's router and
// proxy, pages, and raw malformed HTTP from a socket. The server must answer
// (4xx) or close the connection — never 5xx, never crash — and still serve a
// normal request afterwards. Invalid requests must not change any row count.
//
//   FUZZ_SEED=<n>        reproduce a run (printed first)
//   FUZZ_HTTP_COUNT=<n>  generated requests (default 300)

const PORT = Number(process.env.FUZZ_HTTP_PORT ?? 3600);
const HOST = "127.0.0.1";
const ORIGIN = `http://${HOST}:${PORT}`;
/** The Host header of a raw request: with the port, so that ORIGIN is this server's own origin. */
const HOSTPORT = `${HOST}:${PORT}`;
const DB_NAME = "blog_fuzz_test";
const CACHE_PREFIX = `fuzz-http-${process.pid}`;
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const root = path.resolve(import.meta.dirname, "../..");
const DEMO_PASSWORD = "demo-password";
const logFile = path.join(os.tmpdir(), `fuzz-http-server-${process.pid}.log`);


interface RawResult {
  status: number | null;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request with node:http (any method token, a body on GET, latin-1 header values). */
function send(method: string, target: string, headers: [string, string][], body?: Uint8Array, timeoutMs = 30_000): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: PORT, method, path: target, agent: false, timeout: timeoutMs });
    for (const [k, v] of headers) {
      const existing = req.getHeader(k);
      req.setHeader(k, existing === undefined ? v : [...(Array.isArray(existing) ? existing : [String(existing)]), v]);
    }
    if (body !== undefined) req.setHeader("Content-Length", String(body.length));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? null, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body === undefined ? undefined : Buffer.from(body));
  });
}

interface SocketResult {
  /** Status of the first response, or null when the server closed without one. */
  status: number | null;
  text: string;
  /** The server closed the connection (rather than us after the wait). */
  closedByServer: boolean;
}

/**
 * Raw bytes on a fresh socket. `halfClose` ends our side after writing (the
 * server sees the client finish early). Waits for the server to close, or
 * gives up after `waitMs` and closes itself.
 */
function rawSocket(data: (Buffer | string)[], opts: { halfClose?: boolean; waitMs?: number } = {}): Promise<SocketResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port: PORT });
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : null, text, closedByServer });
    };
    const timer = setTimeout(finish, opts.waitMs ?? 3_000);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => {
      closedByServer = true;
      finish();
    });
    socket.on("close", () => {
      closedByServer = closedByServer || !settled;
      finish();
    });
    socket.on("error", () => {
      closedByServer = true;
      finish();
    });
    socket.on("connect", () => {
      for (const d of data) socket.write(d);
      if (opts.halfClose) socket.end();
    });
  });
}

/** Waits while a `next build` of anyone's runs here (its process title is "next-build (vX)"). */
async function waitForOtherBuilds(timeoutMs = 10 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let running = false;
    try {
      running = execFileSync("pgrep", ["-f", "next-build|next build"], { encoding: "utf8" }).trim().length > 0;
    } catch {
      running = false; // pgrep exits 1 when nothing matches
    }
    if (!running) return;
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

async function waitForHealth(server: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}:\n${output().slice(-3_000)}`);
    try {
      const res = await send("GET", "/api/health", [], undefined, 5_000);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`the server did not become healthy in ${timeoutMs} ms:\n${output().slice(-3_000)}`);
}

async function signInOverHttp(email: string): Promise<string> {
  const res = await send(
    "POST",
    "/api/auth/sign-in/email",
    [
      ["Content-Type", "application/json"],
      ["Origin", ORIGIN],
    ],
    new TextEncoder().encode(JSON.stringify({ email, password: DEMO_PASSWORD })),
  );
  if (res.status !== 200) throw new Error(`sign-in of ${email}: ${res.status} ${res.body.toString()}`);
  const setCookie = res.headers["set-cookie"] ?? [];
  const cookie = setCookie.map((c) => c.split(";")[0]).join("; ");
  if (!cookie.includes("session_token")) throw new Error(`sign-in of ${email} set no session cookie`);
  return cookie;
}

const PAGE_TARGETS = [
  "/",
  "/?page=2",
  "/?page=0",
  "/?page=abc",
  "/?page=%zz",
  "/?page=99999",
  "/posts/1",
  "/posts/2",
  "/posts/abc",
  "/posts/999999",
  "/posts/%zz",
  "/posts/1/edit",
  "/posts/new",
  "/sign-in",
  "/sign-in?next=https://evil.example",
  "/sign-in?next=//evil.example",
  "/sign-in?next=/%5Cevil.example",
  "/sign-up?next=javascript:alert(1)",
  "/nope",
  "/robots.txt",
  "/%zz",
  "/posts/1?__proto__=x",
  "/" + "a".repeat(3_000),
];

describe("fuzz: the running server over HTTP", () => {
  let server: ChildProcess | undefined;
  let output = "";
  let db: pg.Client;
  let users: FuzzUser[] = [];
  let authoredBy: Map<string, Set<number>>;
  let postIds: number[] = [];

  beforeAll(async () => {
    const url = await createTestDatabase(DB_NAME);
    await seedDatabase(url, ["--users", "30", "--posts", "45", "--max-likes", "12", "--max-comments", "5", "--seed", "11"]);
    db = new pg.Client({ connectionString: url });
    await db.connect();

    // The environment of `npm start` as Playwright gives it (not vitest's:
    // NODE_ENV=test would make `next build` and better-auth behave differently).
    const env: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(NODE_ENV|VITEST.*|TEST|FUZZ_.*)$/.test(k)) env[k] = v;
    Object.assign(env, {
      PORT: String(PORT),
      DATABASE_URL: url,
      REDIS_URL,
      CACHE_PREFIX,
      BETTER_AUTH_URL: ORIGIN,
      BETTER_AUTH_SECRET: "fuzz-secret-fuzz-secret-fuzz-secret-fuzz",
      NEXT_TELEMETRY_DISABLED: "1",
    });
    // `npm start` builds first when the sources changed. Next refuses a second
    // concurrent build in one folder, and other runs (e2e, other suites) build
    // too: wait for theirs, and try again if one started in between.
    for (let attempt = 1; ; attempt++) {
      await waitForOtherBuilds();
      output = "";
      // Its own process group, so that stopping it (by its pid) stops the server it starts.
      const child = spawn(path.join(root, "node_modules", ".bin", "tsx"), ["scripts/start.ts"], {
        cwd: root,
        env: env as NodeJS.ProcessEnv,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      server = child;
      child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
      try {
        await waitForHealth(child, () => output, 12 * 60_000);
        break;
      } catch (error) {
        if (attempt >= 3 || !output.includes("Another next build process is already running")) throw error;
      }
    }

    users = [];
    for (const n of [3, 7, 11]) {
      const email = `demo${n}@example.com`;
      const { rows } = await db.query<{ id: string }>(`SELECT id FROM "user" WHERE email = $1`, [email]);
      users.push({ id: rows[0]!.id, email, cookie: await signInOverHttp(email) });
    }
    // Posts none of the signed-in users wrote: editing or deleting one must be refused.
    const { rows } = await db.query<{ id: number; authorId: string }>(`SELECT id, "authorId" FROM "post" ORDER BY id`);
    authoredBy = new Map(users.map((u) => [u.id, new Set(rows.filter((r) => r.authorId === u.id).map((r) => r.id))]));
    postIds = rows.filter((r) => !users.some((u) => u.id === r.authorId)).map((r) => r.id);
  });

  afterAll(async () => {
    await stopServer(server);
    fs.writeFileSync(logFile, output);
    console.log(`[fuzz] http: the server's output is in ${logFile}`);
    await db?.end();
    await dropDatabase(DB_NAME);
    const cache = createCache({ redisUrl: REDIS_URL, prefix: CACHE_PREFIX });
    await cache.clear();
    await cache.close();
  });

  const counts = async () => (await db.query<RowCounts>(ROW_COUNTS_SQL)).rows[0]!;

  it("fuzzed requests and pages: no 5xx, security headers everywhere, no write from an invalid request", async () => {
    expect(postIds.length).toBeGreaterThan(0);
    expect(authoredBy.size).toBe(users.length);
    const seed = fuzzSeed();
    const total = Number(process.env.FUZZ_HTTP_COUNT ?? 300);
    console.log(`[fuzz] http: FUZZ_SEED=${seed} FUZZ_HTTP_COUNT=${total} against ${ORIGIN}`);
    const rng = createRng(seed);
    const otherPaths = otherApiPaths(path.join(root, "app"), postIds[0]!);
    const ctx: FuzzContext = { origin: ORIGIN, postIds, users, allowValidWrites: false, http: true, otherPaths };
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let current = await counts();
    const start = current;
    let pages = 0;
    const outputBefore = output.length;

    for (let i = 0; i < total; i++) {
      let r: FuzzRequest;
      if (rng.chance(0.15)) {
        // A page: the proxy's CSP and nonce must be on it.
        const cookie = rng.chance(0.33) ? rng.pick(users).cookie : rng.pick(["", "better-auth.session_token=forged.value", "x=y"]);
        const method = rng.pick(["GET", "GET", "GET", "HEAD", "POST"]);
        r = {
          index: i,
          method,
          target: rng.pick(PAGE_TARGETS),
          headers: cookie ? [["Cookie", cookie]] : [],
          expect: { kind: "read" },
          defects: [],
          label: `${method} page`,
        };
        if (method === "POST") r.headers.push(["Content-Type", "application/json"], ["Origin", "https://evil.example"]);
        if (method === "POST") r.body = new TextEncoder().encode("{}");
        pages++;
      } else {
        r = generateRequest(ctx, rng, i);
      }
      let res: RawResult;
      const logFrom = output.length;
      try {
        res = await send(r.method, r.target, r.headers, r.body);
      } catch (error) {
        // The server may refuse at the parser level and close: that is an answer, as long as it stays up.
        failures.push(`no HTTP answer (${String(error)}): ${describeRequest(r)}`);
        continue;
      }
      const status = res.status ?? 0;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const after = await counts();
      const delta = diffCounts(current, after);
      current = after;
      const problems: string[] = [];
      if (status >= 500) problems.push(`${status}`);
      if (Object.keys(delta).length > 0) problems.push(`row counts changed by ${JSON.stringify(delta)}`);
      if (r.expect.kind === "invalid" && (status < 400 || status >= 500)) problems.push(`an invalid mutation got ${status} (defects: ${r.defects.join("; ")})`);
      const location = res.headers.location;
      if (location && new URL(location, ORIGIN).origin !== ORIGIN) problems.push(`redirects off-site to ${location}`);
      // Security headers: next.config.mjs on everything, the proxy's CSP on
      // pages. Not on what Next answers before its header rules: Node's parser
      // errors (400, 431) and Next's slash-normalizing redirects (308, no body).
      if (status !== 431 && status !== 400 && status !== 308) {
        if (res.headers["x-content-type-options"] !== "nosniff") problems.push("no X-Content-Type-Options: nosniff");
        if (!res.headers["referrer-policy"]) problems.push("no Referrer-Policy");
        const csp = String(res.headers["content-security-policy"] ?? "");
        if (!csp.includes("frame-ancestors 'none'")) problems.push(`no CSP with frame-ancestors 'none' (${csp || "none"})`);
        const html = String(res.headers["content-type"] ?? "").startsWith("text/html");
        if (html && !r.target.startsWith("/api")) problems.push(...nonceProblems(csp, res.body.toString("utf8")));
      }
      if (problems.length > 0) {
        // Give the server a moment to flush what it logged about this request.
        if (status >= 500) await new Promise((resolve) => setTimeout(resolve, 200));
        const log = output.slice(logFrom).trim();
        failures.push(`${problems.join("; ")}: ${describeRequest(r)} → ${res.body.toString("utf8").slice(0, 300)}${status >= 500 && log ? `\n      server log: ${log.slice(0, 3_000)}` : ""}`);
      }
    }

    const serverErrors = output.slice(outputBefore).split("\n").filter((l) => /unhandled error|"level":50|\bERROR\b/.test(l) && !/Better Auth/.test(l));
    console.log(
      [
        `[fuzz] http: FUZZ_SEED=${seed}: ${total} requests (${pages} to pages)`,
        `  statuses: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(" ")}`,
        `  row counts: ${JSON.stringify(start)} → ${JSON.stringify(current)}`,
        `  server error log lines: ${serverErrors.length}`,
        ...serverErrors.slice(0, 10).map((l) => `    ${l.slice(0, 1_000)}`),
        `  failures: ${failures.length}`,
        ...failures.slice(0, 30).map((f) => `    ${f.slice(0, 4_000)}`),
        `  server output: ${logFile}`,
      ].join("\n"),
    );
    expect(server?.exitCode).toBeNull();
    expect(failures).toEqual([]);
  });

  it("malformed HTTP on a raw socket: an answer (4xx) or a clean close, and the server keeps serving", async () => {
    const cookie = users[0]!.cookie;
    const before = await counts();
    const cases: { name: string; data: (Buffer | string)[]; halfClose?: boolean; waitMs?: number }[] = [
      { name: "100 KB header", data: [`GET /api/health HTTP/1.1\r\nHost: ${HOSTPORT}\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`] },
      { name: "100 KB request line", data: [`GET /api/posts?${"a".repeat(100_000)} HTTP/1.1\r\nHost: ${HOSTPORT}\r\n\r\n`] },
      { name: "3,000 headers", data: [`GET /api/health HTTP/1.1\r\nHost: ${HOSTPORT}\r\n${Array.from({ length: 3_000 }, (_, i) => `X-H${i}: v`).join("\r\n")}\r\n\r\n`] },
      {
        name: "truncated body, lying Content-Length, client finishes",
        data: [`POST /api/posts HTTP/1.1\r\nHost: ${HOSTPORT}\r\nOrigin: ${ORIGIN}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"title":"trunc`],
        halfClose: true,
      },
      {
        name: "truncated body, lying Content-Length, client stalls then drops",
        data: [`POST /api/posts/1/comments HTTP/1.1\r\nHost: ${HOSTPORT}\r\nOrigin: ${ORIGIN}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"body":"tru`],
        waitMs: 2_000,
      },
      {
        name: "Content-Length shorter than the body",
        data: [`POST /api/posts HTTP/1.1\r\nHost: ${HOSTPORT}\r\nOrigin: ${ORIGIN}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{"title":"t","content":"c"}`],
      },
      {
        name: "10 MB declared body",
        data: [`POST /api/posts HTTP/1.1\r\nHost: ${HOSTPORT}\r\nOrigin: ${ORIGIN}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{"title":"${"x".repeat(200_000)}`],
      },
      {
        name: "10 MB chunked body",
        data: [
          `POST /api/posts HTTP/1.1\r\nHost: ${HOSTPORT}\r\nOrigin: ${ORIGIN}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
          ...Array.from({ length: 10 }, () => `100000\r\n${"x".repeat(0x100000)}\r\n`),
          "0\r\n\r\n",
        ],
        waitMs: 10_000,
      },
      { name: "invalid chunk size", data: [`POST /api/posts HTTP/1.1\r\nHost: ${HOSTPORT}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`] },
      { name: "Content-Length and Transfer-Encoding", data: [`POST /api/posts HTTP/1.1\r\nHost: ${HOSTPORT}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`] },
      { name: "invalid percent-encoding in an API path", data: [`GET /api/posts/%zz HTTP/1.1\r\nHost: ${HOSTPORT}\r\nConnection: close\r\n\r\n`] },
      { name: "invalid percent-encoding in a page path", data: [`GET /posts/%zz HTTP/1.1\r\nHost: ${HOSTPORT}\r\nConnection: close\r\n\r\n`] },
      { name: "invalid percent-encoding at the root", data: [`GET /%zz%E0%A4%A HTTP/1.1\r\nHost: ${HOSTPORT}\r\nConnection: close\r\n\r\n`] },
      { name: "invalid percent-encoding in the query", data: [`GET /api/posts?page=%zz&%%=1 HTTP/1.1\r\nHost: ${HOSTPORT}\r\nConnection: close\r\n\r\n`] },
      { name: "raw invalid UTF-8 in the path", data: [Buffer.concat([Buffer.from("GET /api/posts/"), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from(` HTTP/1.1\r\nHost: ${HOSTPORT}\r\nConnection: close\r\n\r\n`)])] },
      { name: "raw invalid UTF-8 in a page path", data: [Buffer.concat([Buffer.from("GET /posts/"), Buffer.from([0xff, 0xfe]), Buffer.from(` HTTP/1.1\r\nHost: ${HOSTPORT}\r\nConnection: close\r\n\r\n`)])] },
      { name: "garbage request line", data: ["BLAH\r\n\r\n"] },
      { name: "unknown HTTP version", data: [`GET / HTTP/9.9\r\nHost: ${HOSTPORT}\r\n\r\n`] },
      { name: "lowercase method", data: [`get /api/health HTTP/1.1\r\nHost: ${HOSTPORT}\r\nConnection: close\r\n\r\n`] },
      { name: "NUL in a header value", data: [`GET /api/health HTTP/1.1\r\nHost: ${HOSTPORT}\r\nX-A: a\0b\r\n\r\n`] },
      { name: "header line without a colon", data: [`GET /api/health HTTP/1.1\r\nHost: ${HOSTPORT}\r\nGarbage\r\n\r\n`] },
      { name: "no Host header", data: ["GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n"] },
      { name: "invalid Host header", data: [`GET /posts/1 HTTP/1.1\r\nHost: evil.example:99999\r\nConnection: close\r\n\r\n`] },
      { name: "Host with a space", data: [`GET / HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n`] },
      { name: "absolute-form target on another host", data: [`GET http://evil.example/api/health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`] },
      { name: "HTTP/1.0 without Host", data: ["GET /api/posts HTTP/1.0\r\n\r\n"] },
      { name: "headers cut off mid-way", data: [`GET /api/health HTTP/1.1\r\nHost: ${HOSTPORT}\r\nX-A: `], halfClose: true },
      { name: "pipelined: a valid request after an invalid JSON one", data: [`POST /api/posts HTTP/1.1\r\nHost: ${HOSTPORT}\r\nOrigin: ${ORIGIN}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n{GET /api/health HTTP/1.1\r\nHost: ${HOSTPORT}\r\nConnection: close\r\n\r\n`] },
      { name: "Expect: 100-continue with an oversized body", data: [`POST /api/posts HTTP/1.1\r\nHost: ${HOSTPORT}\r\nOrigin: ${ORIGIN}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nContent-Length: 999999\r\nExpect: 100-continue\r\n\r\n`] },
    ];
    const results: string[] = [];
    const problems: string[] = [];
    const rawLogFrom = output.length;
    for (const c of cases) {
      const logFrom = output.length;
      const res = await rawSocket(c.data, { halfClose: c.halfClose, waitMs: c.waitMs });
      const statusLines = [...res.text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      results.push(`${c.name}: ${res.status ?? (res.closedByServer ? "closed" : "no answer (we closed)")}${statusLines.length > 1 ? ` then ${statusLines.slice(1).join(",")}` : ""}`);
      const final = statusLines.filter((s) => s !== 100);
      if (final.some((s) => s >= 500)) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        problems.push(`${c.name}: ${final.join(",")} ${res.text.slice(0, 300)}\n  server log: ${output.slice(logFrom).trim().slice(0, 3_000)}`);
      }
      // Still serving?
      const health = await send("GET", "/api/health", []).catch((e: unknown) => ({ status: `error ${String(e)}` }));
      if (health.status !== 200) problems.push(`after "${c.name}", GET /api/health → ${health.status}`);
      if (server?.exitCode !== null) problems.push(`the server exited after "${c.name}"`);
    }
    // Known and not mitigated: a write to one of Next's own static files. Next
    // answers it by rendering a `/405` page an App Router app does not have,
    // hence a 500 — the proxy could refuse it first only by running for every
    // static asset, which it must not. Reported, not failed; the server must
    // still keep serving.
    const home = await send("GET", "/", []);
    const asset = /<script[^>]*\ssrc="(\/_next\/static\/[^"]+)"/.exec(home.body.toString("utf8"))?.[1];
    const known: string[] = [];
    if (asset) {
      const res = await send("POST", asset, [["Content-Type", "application/json"]], new TextEncoder().encode("{}"));
      known.push(`POST ${asset} → ${res.status} (Next.js; see above)`);
      const health = await send("GET", "/api/health", []);
      if (health.status !== 200) problems.push(`after a POST to a static asset, GET /api/health → ${health.status}`);
    }
    // What the server logged as an error meanwhile (a client that drops a
    // request mid-body surfaces as an "unhandled error" in the route wrapper:
    // nothing is answered or written, but it is logged as a 500).
    const logged = output
      .slice(rawLogFrom)
      .split("\n")
      .filter((l) => /unhandled error|"level":"error"/.test(l));
    console.log(
      [
        `[fuzz] http raw socket:`,
        ...results.map((r) => `  ${r}`),
        `  then GET / → ${home.status}`,
        ...(known.length ? [`  known, not failed: ${known.join("; ")}`] : []),
        `  server error log lines: ${logged.length}`,
        ...logged.slice(0, 10).map((l) => `    ${l.slice(0, 300)}`),
      ].join("\n"),
    );
    expect(home.status).toBe(200);
    expect(diffCounts(before, await counts())).toEqual({});
    expect(problems).toEqual([]);
  });
});

/** Every script on the page carries the CSP's nonce (Next applied it); no script is without one. */
function nonceProblems(csp: string, html: string): string[] {
  const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
  if (!nonce) return [`a page without a nonce in its CSP (${csp || "no CSP"})`];
  const problems: string[] = [];
  if (!/'strict-dynamic'/.test(csp) || /script-src[^;]*'unsafe-inline'/.test(csp)) problems.push(`weak script-src: ${csp}`);
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
    if (!tag.includes(`nonce="${nonce}"`)) problems.push(`a script without this request's nonce: ${tag.slice(0, 200)}`);
  }
  return problems;
}

async function stopServer(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // The group of the process we started (start.ts and the server it runs).
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 15_000));
  if ((await Promise.race([exited, timer])) === "timeout") {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
