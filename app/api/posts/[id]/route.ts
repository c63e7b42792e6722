import { notFound } from "@/lib/http/errors";
import { jsonResponse, methodNotAllowed, route } from "@/lib/http/respond";
import { parsePostId } from "@/lib/posts/schemas";
import { getPost } from "@/lib/posts/service";

export const dynamic = "force-dynamic";

export const GET = route<{ params: Promise<{ id: string }> }>(async (req, { params }) => {
  const id = parsePostId((await params).id);
  if (id === null) throw notFound("Post not found");
  const { data, etag } = await getPost(id);
  return jsonResponse(req, data, { etag });
});

export const POST = methodNotAllowed(["GET"]);
export const PUT = methodNotAllowed(["GET"]);
export const PATCH = methodNotAllowed(["GET"]);
export const DELETE = methodNotAllowed(["GET"]);
