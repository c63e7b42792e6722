// Next.js 16 Proxy (formerly middleware): a per-request nonce and the page's
// Content-Security-Policy, following Next's documented pattern
// (node_modules/next/dist/docs/01-app/02-guides/content-security-policy.md).
// Next reads the nonce from the CSP *request* header and puts it on its own
// scripts; every page here is dynamically rendered, so every page gets it.
//
// It runs for pages only. /api responses get their (static) security headers
// from next.config.mjs `headers()`: no JavaScript per request, and — because a
// request the proxy runs for has its body buffered by Next so that both the
// proxy and the handler could read it (up to 10 MB) — no buffering of API
// bodies ahead of the handlers' own 64 KiB limit. Static assets and prefetches
// are skipped as the docs recommend; they too get next.config.mjs's headers.
// The one exception: /api paths with a `%`, so that un-decodable ones get a
// 400 instead of Next's own 500 (lib/security/malformed.ts).
import { NextResponse, type NextRequest } from "next/server";
import { RENDER_NONCE_HEADER, STATIC_SECURITY_HEADERS, createNonce, pageContentSecurityPolicy } from "@/lib/security/headers";
import { fileMethodNotAllowedResponse, hasUndecodableSegment, isFilePath, undecodablePathResponse } from "@/lib/security/malformed";

export function proxy(request: NextRequest): Response {
  const { pathname } = request.nextUrl;
  const api = pathname === "/api" || pathname.startsWith("/api/");
  if (hasUndecodableSegment(pathname)) return undecodablePathResponse(api);
  // Matched only for its `%` (see config): nothing else to do for an API request.
  if (api) return NextResponse.next();
  if (request.method !== "GET" && request.method !== "HEAD" && isFilePath(pathname)) return fileMethodNotAllowedResponse();

  // The server (server.ts) gives the nonce of a page it may store whole: a
  // placeholder it replaces with a fresh nonce in every response it sends
  // (lib/http/fast-path.ts). It removes any such header a client sent, so
  // otherwise the nonce is made here, new for this request.
  const nonce = request.headers.get(RENDER_NONCE_HEADER) ?? createNonce();
  const csp = pageContentSecurityPolicy({
    nonce,
    dev: process.env.NODE_ENV === "development",
    https: request.nextUrl.protocol === "https:",
  });

  // Overwrites whatever the client sent under these names: the nonce Next
  // renders with is always ours.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.delete(RENDER_NONCE_HEADER);
  requestHeaders.set("Content-Security-Policy", csp);

  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", csp);
  for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) response.headers.set(name, value);
  return response;
}

export const config = {
  matcher: [
    {
      // Everything but /api, Next's static files and image optimizer, and the favicon.
      source: "/((?!api(?:/|$)|_next/static|_next/image|favicon\\.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
    // API paths with a percent sign (rare; never a valid post id): only to refuse un-decodable ones.
    { source: "/api/:rest(.*%.*)" },
  ],
};
