import { assertSameOrigin, readJson, readQuery, requireViewer } from "@/lib/http/guards";
import { jsonResponse, methodNotAllowed, readResponse, route } from "@/lib/http/respond";
import { createPostSchema, pageQuerySchema } from "@/lib/posts/schemas";
import { getPostPage } from "@/lib/posts/service";
import { createPost } from "@/lib/posts/writes";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  return readResponse(req, await getPostPage(readQuery(req, pageQuerySchema)));
});

export const POST = route(async (req) => {
  assertSameOrigin(req);
  const viewer = await requireViewer(req);
  const input = await readJson(req, createPostSchema);
  return jsonResponse(req, await createPost(viewer, input), { status: 201 });
});

export const PUT = methodNotAllowed(["GET", "POST"]);
export const PATCH = methodNotAllowed(["GET", "POST"]);
export const DELETE = methodNotAllowed(["GET", "POST"]);
