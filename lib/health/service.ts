import "server-only";
import { getCache } from "@/lib/cache";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";

export interface Health {
  status: "ok" | "degraded";
  db: "ok" | "down";
  cache: "ok" | "down" | "disabled";
}

/**
 * Probes the database and the cache; never throws. The cache probe goes to the
 * backend directly: the Cache API fails open (a down Redis reads as a miss),
 * which is right for reads and wrong for a health check.
 */
export async function checkHealth(): Promise<Health> {
  const [db, cache] = await Promise.all([
    getDb()
      .$queryRaw`SELECT 1`.then(() => "ok" as const)
      .catch(() => "down" as const),
    getEnv().CACHE_MODE === "off"
      ? ("disabled" as const)
      : getCache()
          .backend.exists(getCache().makeKey("health"))
          .then(() => "ok" as const)
          .catch(() => "down" as const),
  ]);
  return { status: db === "ok" && cache !== "down" ? "ok" : "degraded", db, cache };
}
