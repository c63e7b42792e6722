import { getEnv } from "@/lib/env";

/**
 * What serves the reads of this instance, as configured: the cache (Redis,
 * or this process's memory when REDIS_URL is unset; none in CACHE_MODE=off)
 * and the database (PostgreSQL, or the embedded PGlite when DATABASE_URL is
 * unset). The same for every reader, so a page stored whole may carry it.
 */
export function SiteFooter() {
  const env = getEnv();
  const database = env.DATABASE_URL ? "PostgreSQL" : "the embedded PGlite database";
  const cache = env.REDIS_URL ? "Redis" : "this process's in-memory cache";
  const text =
    env.CACHE_MODE === "off"
      ? `Every read goes to ${database} (CACHE_MODE=off: no cache).`
      : `Reads served through ${cache} in front of ${database} (CACHE_MODE=${env.CACHE_MODE}).`;
  return (
    <footer className="site-footer container">
      <p>{text}</p>
    </footer>
  );
}
