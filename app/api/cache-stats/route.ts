import { methodNotAllowed } from "@/lib/http/respond";
import { getCacheStats } from "@/lib/metrics/app";

export const dynamic = "force-dynamic";

/** The /cache dashboard's feed (lib/metrics/types.ts `CacheStats`), polled every 2 s. Not part of the public API. */
export async function GET(): Promise<Response> {
  return Response.json(await getCacheStats(), { headers: { "Cache-Control": "no-store" } });
}

export const POST = methodNotAllowed(["GET"]);
export const PUT = methodNotAllowed(["GET"]);
export const PATCH = methodNotAllowed(["GET"]);
export const DELETE = methodNotAllowed(["GET"]);
