import { assertOperator } from "@/lib/http/operator-access";
import { errorResponse, methodNotAllowed } from "@/lib/http/respond";
import { getCacheStats } from "@/lib/metrics/app";

export const dynamic = "force-dynamic";

/**
 * The /cache dashboard's feed (lib/metrics/types.ts `CacheStats`), polled every
 * 2 s. Not part of the public API: for the dashboard's admins or the metrics
 * token (lib/http/operator-access.ts).
 */
export async function GET(req: Request): Promise<Response> {
  try {
    await assertOperator(req, "feed");
  } catch (error) {
    return errorResponse(error);
  }
  return Response.json(await getCacheStats(), { headers: { "Cache-Control": "no-store" } });
}

export const POST = methodNotAllowed(["GET"]);
export const PUT = methodNotAllowed(["GET"]);
export const PATCH = methodNotAllowed(["GET"]);
export const DELETE = methodNotAllowed(["GET"]);
