import { getCache } from "@/lib/cache";

// The benchmark's framework floor (bench/run.ts, docs/decisions/005-benchmark.md):
// a route handler in this same Next.js build that answers the list page's
// exact bytes from ONE Redis GET and does nothing else. `npm run bench`
// stores the body under the key "bench-floor" of the app's cache (the Cache
// API stores JSON, so the value is the body as a JSON string) and loads this
// route the way it loads /api/posts: the gap between the two is what the read
// path costs above the framework's own.
//
// Off unless the server was started with BENCH_FLOOR=1: a 404, as for any
// unknown path. BENCH_FLOOR is read here, directly from process.env, and not
// through lib/env.ts: it is a switch of the benchmark harness, not app
// configuration, and this route is its only reader.
const enabled = process.env.BENCH_FLOOR === "1";

export const dynamic = "force-dynamic";

const HEADERS = { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-cache", Vary: "Cookie" };

export async function GET(): Promise<Response> {
  if (!enabled) return notFound("Not found.");
  const body = await getCache().get<string>("bench-floor");
  if (typeof body !== "string") return notFound("The benchmark floor is not primed (npm run bench stores it).");
  return new Response(body, { headers: HEADERS });
}

function notFound(message: string): Response {
  return Response.json({ error: { code: "not_found", message } }, { status: 404, headers: { "Cache-Control": "no-store" } });
}
