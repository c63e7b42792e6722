import { assertSameOrigin, requireViewer } from "@/lib/http/guards";
import { jsonResponse, methodNotAllowed, route } from "@/lib/http/respond";
import { setLike } from "@/lib/likes/service";
import { postIdParam } from "@/lib/posts/schemas";

export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ id: string }> };

function likeRoute(liked: boolean) {
  return route<Ctx>(async (req, ctx) => {
    assertSameOrigin(req);
    const viewer = await requireViewer(req);
    return jsonResponse(req, await setLike(viewer, await postIdParam(ctx.params), liked));
  });
}

/** Like (idempotent). */
export const PUT = likeRoute(true);
/** Unlike (idempotent). */
export const DELETE = likeRoute(false);
export const GET = methodNotAllowed(["PUT", "DELETE"]);
export const POST = methodNotAllowed(["PUT", "DELETE"]);
export const PATCH = methodNotAllowed(["PUT", "DELETE"]);
