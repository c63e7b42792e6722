import { createCommentSchema } from "@/lib/comments/schemas";
import { addComment, listComments } from "@/lib/comments/service";
import { assertSameOrigin, readJson, readQuery, requireViewer } from "@/lib/http/guards";
import { jsonResponse, methodNotAllowed, route } from "@/lib/http/respond";
import { pageQuerySchema, postIdParam } from "@/lib/posts/schemas";

export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ id: string }> };

export const GET = route<Ctx>(async (req, ctx) => {
  const id = await postIdParam(ctx.params);
  return jsonResponse(req, await listComments(id, readQuery(req, pageQuerySchema)));
});

export const POST = route<Ctx>(async (req, ctx) => {
  assertSameOrigin(req);
  const viewer = await requireViewer(req);
  const id = await postIdParam(ctx.params);
  const input = await readJson(req, createCommentSchema);
  return jsonResponse(req, await addComment(viewer, id, input), { status: 201 });
});

export const PUT = methodNotAllowed(["GET", "POST"]);
export const PATCH = methodNotAllowed(["GET", "POST"]);
export const DELETE = methodNotAllowed(["GET", "POST"]);
