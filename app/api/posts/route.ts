import { AppError } from "@/lib/http/errors";
import { jsonResponse, methodNotAllowed, route } from "@/lib/http/respond";
import { pageQuerySchema } from "@/lib/posts/schemas";
import { getPostPage } from "@/lib/posts/service";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const params = Object.fromEntries(new URL(req.url).searchParams);
  const parsed = pageQuerySchema.safeParse(params);
  if (!parsed.success) {
    throw new AppError(
      "validation_error",
      "Invalid query string.",
      parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })),
    );
  }
  const { data, etag } = await getPostPage(parsed.data);
  return jsonResponse(req, data, { etag });
});

export const POST = methodNotAllowed(["GET"]);
export const PUT = methodNotAllowed(["GET"]);
export const PATCH = methodNotAllowed(["GET"]);
export const DELETE = methodNotAllowed(["GET"]);
