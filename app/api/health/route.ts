import { checkHealth } from "@/lib/health/service";

export const dynamic = "force-dynamic";

/** 200 while the database answers (the cache may be down: degraded), else 503. */
export async function GET(): Promise<Response> {
  const health = await checkHealth();
  return Response.json(health, {
    status: health.db === "ok" ? 200 : 503,
    headers: { "Cache-Control": "no-store" },
  });
}
