import { assertOperator } from "@/lib/http/operator-access";
import { errorResponse, methodNotAllowed } from "@/lib/http/respond";
import { metricsText } from "@/lib/metrics/app";

export const dynamic = "force-dynamic";

/** Prometheus text exposition (docs/api.md): cache hits/misses per key family, round trips, invalidations, request histograms. Operators only. */
export async function GET(req: Request): Promise<Response> {
  try {
    await assertOperator(req, "metrics");
  } catch (error) {
    return errorResponse(error);
  }
  const { body, contentType } = await metricsText();
  return new Response(body, { headers: { "Content-Type": contentType, "Cache-Control": "no-store" } });
}

export const POST = methodNotAllowed(["GET"]);
export const PUT = methodNotAllowed(["GET"]);
export const PATCH = methodNotAllowed(["GET"]);
export const DELETE = methodNotAllowed(["GET"]);
