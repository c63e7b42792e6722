import { vi } from "vitest";
import type { CacheMode } from "@/lib/posts/service";

export const MODES: CacheMode[] = ["off", "per-object", "batched", "full"];

/**
 * The post routes as a server started with `CACHE_MODE=mode` would have them:
 * the module graph is loaded afresh so lib/env reads the mode at "start".
 * The Prisma client and the cache connection live on globalThis and are shared.
 */
export async function loadRoutes(mode: CacheMode) {
  vi.stubEnv("CACHE_MODE", mode);
  vi.resetModules();
  const list = await import("@/app/api/posts/route");
  const detail = await import("@/app/api/posts/[id]/route");
  const cache = await import("@/lib/cache");
  const store = cache.getTagStore();
  return { list: list.GET, detail: detail.GET, cache: cache.getCache(), store, invalidate: (tags: readonly string[]) => store.invalidate(tags) };
}
