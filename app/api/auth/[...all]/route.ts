import { toNextJsHandler } from "better-auth/next-js";
import { getAuth } from "@/lib/auth/auth";
import { assertSameOrigin } from "@/lib/http/guards";
import { errorResponse } from "@/lib/http/respond";
import { unlessDatabaseDown } from "@/lib/http/unavailable";
import { currentScope, inScope } from "@/lib/scope";

export const dynamic = "force-dynamic";

// better-auth's own routes (sign up, sign in, sign out, session). It answers
// its own errors — a 500 when the database cannot be reached — and api.md
// wants 503 `unavailable` then.
const answer = (run: () => Promise<Response>) =>
  inScope(async () => {
    try {
      return unlessDatabaseDown(await run(), currentScope());
    } catch (error) {
      return errorResponse(error);
    }
  });

export const GET = (req: Request) => answer(() => toNextJsHandler(getAuth()).GET(req));

// better-auth checks the Origin only when the request carries cookies; api.md
// refuses every cross-site mutation, so its POSTs get our check first.
export const POST = (req: Request) =>
  answer(() => {
    assertSameOrigin(req);
    return toNextJsHandler(getAuth()).POST(req);
  });
