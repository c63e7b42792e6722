// A mixed load for the reliability tests: anonymous readers of list pages and
// posts, and signed-in writers who like and unlike, each on posts of its own,
// so that the count a write answers is exactly what every later read must
// show (no other writer touches that post in between). A read that shows
// less is STALE: a value older than an acknowledged write.
import type { PostDetail } from "@/lib/posts/types";
import type { Instance } from "./instances";

export interface MixedLoadOptions {
  /** Where requests go, round robin; a write's checks read every instance. */
  instances: readonly Instance[];
  /** One signed-in writer per cookie. */
  cookies: readonly string[];
  /** The posts to read; writer w writes the ones at positions ≡ w (mod writers). */
  postIds: readonly number[];
  /** How long the load runs, and readers per writer. */
  durationMs: number;
  readersPerWriter?: number;
  /** The list page sizes readers ask for (default 5, 10, 20). */
  pageSizes?: readonly number[];
}

export interface MixedLoadResult {
  reads: number;
  writes: number;
  /** Reads that showed a likes count other than the one an acknowledged write answered. */
  stale: string[];
  /** Requests that failed: a network error or a 5xx (429 is a rate limit doing its job: counted apart). */
  errors: string[];
  rateLimited: number;
}

export async function mixedLoad(options: MixedLoadOptions): Promise<MixedLoadResult> {
  const { instances, cookies, postIds } = options;
  const pageSizes = options.pageSizes ?? [5, 10, 20];
  const result: MixedLoadResult = { reads: 0, writes: 0, stale: [], errors: [], rateLimited: 0 };
  const deadline = performance.now() + options.durationMs;
  let turn = 0;
  const pick = () => instances[turn++ % instances.length]!;
  const random = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)]!;

  const get = async (url: string): Promise<Response | undefined> => {
    try {
      const res = await fetch(url);
      if (res.status >= 500) result.errors.push(`GET ${url}: ${res.status} ${await res.text()}`);
      return res;
    } catch (error) {
      result.errors.push(`GET ${url}: ${String(error)}`);
      return undefined;
    }
  };

  const reader = async () => {
    while (performance.now() < deadline) {
      const base = pick().url;
      const url =
        Math.random() < 0.5
          ? `${base}/api/posts/${random(postIds)}`
          : `${base}/api/posts?page=${1 + Math.floor(Math.random() * 3)}&pageSize=${random(pageSizes)}`;
      const res = await get(url);
      if (res) await res.arrayBuffer();
      result.reads += 1;
    }
  };

  const writer = async (w: number) => {
    const cookie = cookies[w]!;
    const own = postIds.filter((_, i) => i % cookies.length === w);
    const liked = new Map<number, boolean>();
    while (performance.now() < deadline) {
      const id = random(own);
      const like = !(liked.get(id) ?? false);
      const instance = pick();
      let res: Response;
      try {
        res = await fetch(`${instance.url}/api/posts/${id}/like`, { method: like ? "PUT" : "DELETE", headers: { Cookie: cookie } });
      } catch (error) {
        result.errors.push(`like ${id}: ${String(error)}`);
        continue;
      }
      if (res.status === 429) {
        result.rateLimited += 1;
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (res.status !== 200) {
        result.errors.push(`like ${id}: ${res.status} ${await res.text()}`);
        continue;
      }
      const { likesCount } = (await res.json()) as { likesCount: number };
      liked.set(id, like);
      result.writes += 1;
      // Acknowledged: from now on every read, on every instance, must show it.
      for (const target of instances) {
        const post = await get(`${target.url}/api/posts/${id}`);
        if (post?.status === 200) {
          const shown = ((await post.json()) as PostDetail).likesCount;
          if (shown !== likesCount) result.stale.push(`post ${id} on ${target.port}: ${shown}, acknowledged ${likesCount}`);
        }
        const page = await get(`${target.url}/api/posts?pageSize=100`);
        if (page?.status === 200) {
          const row = ((await page.json()) as { results: { id: number; likesCount: number }[] }).results.find((p) => p.id === id);
          if (row && row.likesCount !== likesCount) result.stale.push(`list row ${id} on ${target.port}: ${row.likesCount}, acknowledged ${likesCount}`);
        }
      }
    }
  };

  const readers = cookies.length * (options.readersPerWriter ?? 1);
  await Promise.all([...cookies.map((_, w) => writer(w)), ...Array.from({ length: readers }, reader)]);
  return result;
}

/** The value of a Prometheus series in `/api/metrics` text (the sum over its label sets that match). */
export async function metric(instance: Instance, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${instance.url}/api/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const body = match[2] ?? "";
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) sum += Number(match[3]);
  }
  return sum;
}
