import { toNextJsHandler } from "better-auth/next-js";
import { getAuth } from "@/lib/auth/auth";
import { assertSameOrigin } from "@/lib/http/guards";
import { errorResponse } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

// better-auth's own routes (sign up, sign in, sign out, session).
export const GET = (req: Request) => toNextJsHandler(getAuth()).GET(req);

// better-auth checks the Origin only when the request carries cookies; api.md
// refuses every cross-site mutation, so its POSTs get our check first.
export const POST = (req: Request) => {
  try {
    assertSameOrigin(req);
  } catch (error) {
    return errorResponse(error);
  }
  return toNextJsHandler(getAuth()).POST(req);
};
