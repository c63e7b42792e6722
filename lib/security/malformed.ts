// Requests Next.js 16.4 itself answers with a 500 (found by
// test/reliability/fuzz-http.test.ts), refused in proxy.ts with a 4xx before
// Next gets to them. docs/api.md: "A malformed request never yields a 500."
//
// - A path segment that does not percent-decode (`/posts/%zz`,
//   `/api/posts/%C0%AF/like`): Next's dynamic-route matcher throws a
//   DecodeError, and in production its router then tries to render a `/400`
//   page that an App Router app does not have → 500 "Internal Server Error".
//   vercel/next.js#92527 (open; fix proposed in #92557).
// - Any method but GET/HEAD on a file from public/ (`POST /robots.txt`):
//   Next answers 405 by rendering a `/405` page, which does not exist either → 500.

import { API_CONTENT_SECURITY_POLICY, STATIC_SECURITY_HEADERS } from "./headers";

/** Whether some segment of a raw (still encoded) path does not percent-decode. Cheap when there is no `%`. */
export function hasUndecodableSegment(pathname: string): boolean {
  if (!pathname.includes("%")) return false;
  for (const segment of pathname.split("/")) {
    if (!segment.includes("%")) continue;
    try {
      decodeURIComponent(segment);
    } catch {
      return true;
    }
  }
  return false;
}

/** A path whose last segment has a file extension (`/robots.txt`): a static file, never a page of this app. */
export function isFilePath(pathname: string): boolean {
  return /\/[^/]*\.[A-Za-z0-9]{1,8}$/.test(pathname);
}

const errorHeaders = (contentType: string): Record<string, string> => ({
  ...STATIC_SECURITY_HEADERS,
  "Content-Security-Policy": API_CONTENT_SECURITY_POLICY,
  "Content-Type": contentType,
  "Cache-Control": "no-store",
});

/** 400 for an un-decodable path: the docs/api.md error body under /api, plain text elsewhere. */
export function undecodablePathResponse(api: boolean): Response {
  const message = "The URL path is not valid percent-encoding.";
  if (api) {
    return new Response(JSON.stringify({ error: { code: "validation_error", message } }), {
      status: 400,
      headers: errorHeaders("application/json; charset=utf-8"),
    });
  }
  return new Response(`Bad Request: ${message}\n`, { status: 400, headers: errorHeaders("text/plain; charset=utf-8") });
}

/** 405 for a write to a static file. */
export function fileMethodNotAllowedResponse(): Response {
  return new Response("Method Not Allowed: static files are read with GET or HEAD.\n", {
    status: 405,
    headers: { ...errorHeaders("text/plain; charset=utf-8"), Allow: "GET, HEAD" },
  });
}
