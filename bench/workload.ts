// What each benchmarked endpoint sends. Shared by the load generator (the
// autocannon child, bench/load.ts) and by the parent's fetch samples, so the
// requests whose SQL and cache round trips are reported are drawn the same way
// as the ones that were timed. Plain data in, plain data out: a spec crosses
// the process boundary as JSON.

/** One request, as autocannon's `setupRequest` and `fetch` both take it. */
export interface RequestData {
  method: "GET" | "PUT" | "DELETE" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What kind of request this is (the mixed workload reports its mix). */
  kind: string;
}

export type WorkloadSpec =
  /** The same request every time (list page 1, one post, its 304, `/`, the floors). */
  | { type: "fixed"; path: string; headers?: Record<string, string> }
  /** A list page drawn uniformly from 1..pages. */
  | { type: "list-random"; pages: number; seed: number }
  /** A post drawn uniformly from the ids first..last (the long tail: mostly posts nobody read lately). */
  | { type: "post-random"; first: number; last: number; seed: number }
  /** These GETs in turn (warming a fresh process up on every route it will serve). */
  | { type: "rotate"; paths: string[] }
  | MixedSpec;

/**
 * 90 % anonymous reads, 10 % writes by signed-in users:
 * - reads: 30 % list page 1, 15 % one of list pages 2..5, 45 % the JSON of
 *   one of the `hotPostIds` (the newest posts: what readers open);
 * - writes: like or unlike (half each) of a hot post by a random user, and
 *   one write in ten is a comment instead, while the user's comment budget
 *   lasts (comments are rate limited per user: 10 per minute).
 */
export interface MixedSpec {
  type: "mixed";
  hotPostIds: number[];
  /** Cookie header of each signed-in user. */
  cookies: string[];
  /** The app's own origin: mutations carry it (docs/api.md: a foreign Origin gets 403). */
  origin: string;
  commentBudgetPerUser: number;
  seed: number;
}

/** mulberry32: small, fast, seedable; the same seed gives the same requests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Workload {
  next(): RequestData;
  /** Requests drawn so far, per kind. */
  counts: Record<string, number>;
}

export function createWorkload(spec: WorkloadSpec): Workload {
  const counts: Record<string, number> = {};
  const count = (request: RequestData) => {
    counts[request.kind] = (counts[request.kind] ?? 0) + 1;
    return request;
  };
  switch (spec.type) {
    case "fixed": {
      const request: RequestData = { method: "GET", path: spec.path, headers: spec.headers ?? {}, kind: "read" };
      return { counts, next: () => count({ ...request, headers: { ...request.headers } }) };
    }
    case "list-random": {
      const random = rng(spec.seed);
      return {
        counts,
        next: () => count({ method: "GET", path: `/api/posts?page=${1 + Math.floor(random() * spec.pages)}`, headers: {}, kind: "list" }),
      };
    }
    case "post-random": {
      const random = rng(spec.seed);
      const span = spec.last - spec.first + 1;
      return {
        counts,
        next: () => count({ method: "GET", path: `/api/posts/${spec.first + Math.floor(random() * span)}`, headers: {}, kind: "post" }),
      };
    }
    case "rotate": {
      let i = 0;
      return {
        counts,
        next: () => count({ method: "GET", path: spec.paths[i++ % spec.paths.length] ?? "/", headers: {}, kind: "read" }),
      };
    }
    case "mixed":
      return mixedWorkload(spec, counts, count);
  }
}

function mixedWorkload(spec: MixedSpec, counts: Record<string, number>, count: (r: RequestData) => RequestData): Workload {
  const random = rng(spec.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const budget = spec.cookies.map(() => spec.commentBudgetPerUser);
  let comments = 0;
  return {
    counts,
    next() {
      const r = random();
      if (r < 0.3) return count({ method: "GET", path: "/api/posts?page=1", headers: {}, kind: "read list 1" });
      if (r < 0.45) return count({ method: "GET", path: `/api/posts?page=${2 + Math.floor(random() * 4)}`, headers: {}, kind: "read list 2-5" });
      if (r < 0.9) return count({ method: "GET", path: `/api/posts/${pick(spec.hotPostIds)}`, headers: {}, kind: "read post" });
      const user = Math.floor(random() * spec.cookies.length);
      const headers = { cookie: spec.cookies[user] ?? "", origin: spec.origin };
      const post = pick(spec.hotPostIds);
      if (random() < 0.1 && (budget[user] ?? 0) > 0) {
        budget[user] = (budget[user] ?? 0) - 1;
        comments += 1;
        return count({
          method: "POST",
          path: `/api/posts/${post}/comments`,
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ body: `${BENCH_COMMENT_PREFIX} ${comments}: a comment written under load.` }),
          kind: "comment",
        });
      }
      const like = random() < 0.5;
      return count({ method: like ? "PUT" : "DELETE", path: `/api/posts/${post}/like`, headers, kind: like ? "like" : "unlike" });
    },
  };
}

/** Every comment the benchmark writes starts with this; they are deleted after the run (bench/data.ts). */
export const BENCH_COMMENT_PREFIX = "[bench]";
