// Request paths → route templates, the `route` label of the HTTP metrics and
// the request log. A label value must never come from user input unbounded:
// every value here is one of the templates below, "/_next/…" or "other".
// A new page or route handler needs one line here, or it is counted as "other".

const ID = "\\d{1,12}";

/** [template, pattern] for every route of app/ (an `[id]` is a post id). */
const ROUTES: readonly (readonly [string, RegExp])[] = [
  ["/", /^\/$/],
  ["/posts/new", /^\/posts\/new$/],
  ["/posts/[id]", new RegExp(`^/posts/${ID}$`)],
  ["/posts/[id]/edit", new RegExp(`^/posts/${ID}/edit$`)],
  ["/sign-in", /^\/sign-in$/],
  ["/sign-up", /^\/sign-up$/],
  ["/cache", /^\/cache$/],
  ["/api/posts", /^\/api\/posts$/],
  ["/api/posts/[id]", new RegExp(`^/api/posts/${ID}$`)],
  ["/api/posts/[id]/like", new RegExp(`^/api/posts/${ID}/like$`)],
  ["/api/posts/[id]/comments", new RegExp(`^/api/posts/${ID}/comments$`)],
  ["/api/health", /^\/api\/health$/],
  ["/api/metrics", /^\/api\/metrics$/],
  ["/api/cache-stats", /^\/api\/cache-stats$/],
  ["/api/bench-floor", /^\/api\/bench-floor$/],
  ["/api/auth/[...all]", /^\/api\/auth\/.+$/],
];

/**
 * Routes that watch the app rather than serve it: polled every few seconds,
 * they would drown the dashboard's per-request averages and the info log.
 */
export const MONITORING_ROUTES: ReadonlySet<string> = new Set(["/api/metrics", "/api/cache-stats", "/api/health"]);

/** Next's own assets (`/_next/static/…`, `/_next/image`, …) and public files. */
export const ASSET_ROUTES: ReadonlySet<string> = new Set(["/_next/static", "/_next/image", "/_next", "/favicon.ico"]);

/**
 * The route template of a request target (`/api/posts/7?x=1` → `/api/posts/[id]`).
 * A path that is not a route of the app (a post id that is not a number
 * included: `/posts/abc` is a 404, not a post) is "other".
 */
export function normalizeRoute(target: string | undefined): string {
  let path = target ?? "/";
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  if (path.startsWith("/_next/")) {
    if (path.startsWith("/_next/static/")) return "/_next/static";
    if (path === "/_next/image") return "/_next/image";
    return "/_next";
  }
  if (path === "/favicon.ico") return "/favicon.ico";
  for (const [template, pattern] of ROUTES) if (pattern.test(path)) return template;
  return "other";
}

const METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The request method as a label: one of the HTTP methods the app knows, else "other". */
export function normalizeMethod(method: string | undefined): string {
  const m = (method ?? "").toUpperCase();
  return METHODS.has(m) ? m : "other";
}
