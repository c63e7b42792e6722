import { assertSameOrigin, findViewer, readJson, requireViewer } from "@/lib/http/guards";
import { jsonResponse, methodNotAllowed, readResponse, route } from "@/lib/http/respond";
import { postIdParam, updatePostSchema } from "@/lib/posts/schemas";
import { getPost } from "@/lib/posts/service";
import { deletePost, updatePost } from "@/lib/posts/writes";

export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ id: string }> };

export const GET = route<Ctx>(async (req, ctx) => {
  const id = await postIdParam(ctx.params);
  const viewer = await findViewer(req);
  return readResponse(req, await getPost(id, { viewerId: viewer?.id }));
});

export const PATCH = route<Ctx>(async (req, ctx) => {
  assertSameOrigin(req);
  const viewer = await requireViewer(req);
  const id = await postIdParam(ctx.params);
  const input = await readJson(req, updatePostSchema);
  return jsonResponse(req, await updatePost(viewer, id, input));
});

export const DELETE = route<Ctx>(async (req, ctx) => {
  assertSameOrigin(req);
  const viewer = await requireViewer(req);
  await deletePost(viewer, await postIdParam(ctx.params));
  return new Response(null, { status: 204 });
});

export const POST = methodNotAllowed(["GET", "PATCH", "DELETE"]);
export const PUT = methodNotAllowed(["GET", "PATCH", "DELETE"]);
