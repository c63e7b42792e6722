// What a request costs, read from the app's own accounting (docs/api.md): after
// each load, a sample of the same requests is sent one at a time with fetch
// and their `X-DB-Queries` / `X-Cache-Round-Trips` headers are averaged.
// Pages have no X-* headers; their `Server-Timing` carries the same counts
// (`db;…;desc="N queries", cache;…;desc="K round trips, …"`).
import { createWorkload, type RequestData, type WorkloadSpec } from "./workload";

export interface Sample {
  requests: number;
  /** Mean SQL statements per request (null when the response carried no accounting). */
  sqlPerRequest: number | null;
  /** Mean cache round trips per request. */
  roundTripsPerRequest: number | null;
  /** Mean response body bytes. */
  bodyBytes: number;
  /** Latency of a request sent alone (one at a time, no queueing): mean and median, ms. */
  aloneMs: { mean: number; p50: number };
  statusCodes: Record<string, number>;
  /** Where the counts came from. */
  source: "X-headers" | "Server-Timing" | "none";
  /** Per kind of request (the mixed workload). */
  kinds: Record<string, { requests: number; sqlPerRequest: number | null; roundTripsPerRequest: number | null }>;
}

export interface Accounting {
  sql: number | null;
  roundTrips: number | null;
  source: Sample["source"];
}

export function readAccounting(headers: Headers): Accounting {
  const sql = headers.get("x-db-queries");
  const roundTrips = headers.get("x-cache-round-trips");
  if (sql !== null && roundTrips !== null) return { sql: Number(sql), roundTrips: Number(roundTrips), source: "X-headers" };
  const timing = headers.get("server-timing") ?? "";
  const q = /desc="(\d+) quer/.exec(timing);
  const rt = /desc="(\d+) round trip/.exec(timing);
  if (q || rt) return { sql: q ? Number(q[1]) : null, roundTrips: rt ? Number(rt[1]) : null, source: "Server-Timing" };
  return { sql: null, roundTrips: null, source: "none" };
}

export async function send(baseUrl: string, request: RequestData): Promise<Response> {
  return fetch(baseUrl + request.path, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    redirect: "manual",
    signal: AbortSignal.timeout(15_000),
  });
}

const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);

/**
 * Sends `count` requests drawn from `spec` (its own seed), one at a time, and
 * averages their accounting; stops early after `maxMs` (a slow endpoint).
 */
export async function sample(baseUrl: string, spec: WorkloadSpec, count: number, maxMs = 20_000): Promise<Sample> {
  const workload = createWorkload(spec);
  const sql: number[] = [];
  const roundTrips: number[] = [];
  const bytes: number[] = [];
  const statusCodes: Record<string, number> = {};
  const perKind = new Map<string, { sql: number[]; roundTrips: number[]; requests: number }>();
  const times: number[] = [];
  let source: Sample["source"] = "none";
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < count && (i === 0 || performance.now() < deadline); i++) {
    const request = workload.next();
    const started = performance.now();
    const res = await send(baseUrl, request);
    const body = await res.arrayBuffer();
    times.push(performance.now() - started);
    const accounting = readAccounting(res.headers);
    if (accounting.source !== "none") source = accounting.source;
    bytes.push(body.byteLength);
    statusCodes[res.status] = (statusCodes[res.status] ?? 0) + 1;
    const kind = perKind.get(request.kind) ?? { sql: [], roundTrips: [], requests: 0 };
    kind.requests += 1;
    if (accounting.sql !== null) {
      sql.push(accounting.sql);
      kind.sql.push(accounting.sql);
    }
    if (accounting.roundTrips !== null) {
      roundTrips.push(accounting.roundTrips);
      kind.roundTrips.push(accounting.roundTrips);
    }
    perKind.set(request.kind, kind);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    requests: times.length,
    aloneMs: { mean: mean(times) ?? 0, p50: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0 },
    sqlPerRequest: mean(sql),
    roundTripsPerRequest: mean(roundTrips),
    bodyBytes: mean(bytes) ?? 0,
    statusCodes,
    source,
    kinds: Object.fromEntries(
      [...perKind].map(([kind, k]) => [kind, { requests: k.requests, sqlPerRequest: mean(k.sql), roundTripsPerRequest: mean(k.roundTrips) }]),
    ),
  };
}

/**
 * Signs a demo user in (better-auth: POST /api/auth/sign-in/email, with the
 * app's own Origin) and returns the Cookie header its Set-Cookie asks for.
 */
export async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baseUrl },
    body: JSON.stringify({ email, password }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`sign-in of ${email} failed: ${res.status} ${text.slice(0, 200)}`);
  const cookies = res.headers.getSetCookie().map((c) => c.split(";")[0] ?? "").filter(Boolean);
  if (!cookies.some((c) => c.includes("session_token"))) throw new Error(`sign-in of ${email} set no session cookie`);
  return cookies.join("; ");
}
