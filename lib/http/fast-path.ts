import { createHmac } from "node:crypto";
import type http from "node:http";
import type { Socket } from "node:net";
import { NEXT_ROUTER_PREFETCH_HEADER, NEXT_ROUTER_SEGMENT_PREFETCH_HEADER, NEXT_ROUTER_STATE_TREE_HEADER, NEXT_URL, RSC_HEADER } from "next/dist/client/components/app-router-headers";
import { Dependencies, type TagStore } from "@/lib/cache/tags";
import { pageGroup, pageResponseKey, postResponseKey } from "@/lib/posts/cache-keys";
import { DEFAULT_PAGE_SIZE } from "@/lib/posts/types";
import { pageQuerySchema, parsePostId } from "@/lib/posts/schemas";
import type { RequestScope } from "@/lib/scope";
import { API_CONTENT_SECURITY_POLICY, createNonce, pageContentSecurityPolicy, RENDER_NONCE_HEADER, STATIC_SECURITY_HEADERS } from "@/lib/security/headers";
import { accountingHeaders, etagMatches, jsonHeaders, NEXT_APP_VARY } from "./headers";

/**
 * The per-view cache, in front of the framework (docs/decisions/007-fast-path.md).
 *
 * `serve` answers a GET whose whole response is in the cache and still valid
 * (every tag it was built from holds its token: one round trip, checked in
 * Redis) without entering Next: the JSON list page, the anonymous JSON post,
 * and the anonymous pages `/`, `/?page=N`, `/posts/{id}` with the RSC
 * payloads client-side navigation fetches for them. Anything else — a miss,
 * a signed-in page, another method — goes to Next, and `prepare` makes
 * Next's answer to a cacheable page storable: rendered with a nonce
 * placeholder, buffered, given a fresh nonce, sent, then stored whole with
 * what it was built from.
 *
 * What it must never do: share anything per viewer (pages only without a
 * session cookie; a response with Set-Cookie is never stored), store a nonce
 * (the placeholder is replaced in every response), serve a page of another
 * build (the build id is in every page key), or serve what a tag bump has
 * invalidated (the whole-entry check).
 */

/** A whole page stays this long (seconds) at most; tags invalidate it sooner. */
const PAGE_TTL = 300;

/**
 * The `Next-Router-State-Tree` of a "metadata-only" prefetch (the title and
 * head of a page a link points to): a constant the client sends as is.
 */
const METADATA_ONLY_TREE = encodeURIComponent(JSON.stringify(["", {}, null, "metadata-only"]));

/** The request-shaped kinds of a page's response, each stored apart. */
type PageVariant = "html" | "rsc" | "rsc-tree" | "rsc-meta";

type Target =
  | { readonly kind: "json"; readonly key: string }
  | { readonly kind: "page"; readonly key: string; readonly variant: PageVariant; readonly path: string };

/** Response headers never stored: per response, per connection, or rebuilt by `serve`. */
const NOT_STORED = new Set([
  "date",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "x-request-id",
  "server-timing",
  "x-db-queries",
  "x-cache-round-trips",
  "content-security-policy",
  "set-cookie",
  ...Object.keys(STATIC_SECURITY_HEADERS).map((name) => name.toLowerCase()),
]);

export interface FastPathOptions {
  /** The process's tag store (lib/cache/process.ts). */
  store: () => TagStore;
  /** `.next/BUILD_ID`: a cached page names this build's script chunks. */
  buildId: string;
  /** The session secret: with the build id, it makes the nonce placeholder. */
  secret: string;
  /** Receives what went wrong while storing a page (never the request's problem). */
  onError?: (error: unknown) => void;
}

export interface FastPath {
  /**
   * Answers the request from the cache if its whole response is valid there
   * ("hit"); "miss" when it could have, undefined when it is not a request
   * the cache answers. Either way but a hit, Next answers.
   */
  serve(req: http.IncomingMessage, res: http.ServerResponse, scope: RequestScope): Promise<"hit" | "miss" | undefined>;
  /** Before Next answers a request `serve` did not: a cacheable page is rendered storable (see above). */
  prepare(req: http.IncomingMessage, res: http.ServerResponse, scope: RequestScope): void;
}

/** The nonce placeholder of a build and secret: the shape of a real nonce, letters and digits only (never escaped). */
export function noncePlaceholder(secret: string, buildId: string): string {
  const letters = createHmac("sha256", secret).update(`nonce-placeholder:${buildId}`).digest("base64").replace(/[^A-Za-z0-9]/g, "");
  return `${letters.slice(0, 22).padEnd(22, "A")}==`;
}

export function createFastPath(options: FastPathOptions): FastPath {
  const { buildId } = options;
  const placeholder = noncePlaceholder(options.secret, buildId);

  return {
    async serve(req, res, scope) {
      const target = targetOf(req, buildId);
      if (!target) return undefined;
      // A JSON miss is counted by the route's own read of the same entry, which follows it.
      const hit = await options.store().readWhole(target.key, { countMiss: target.kind === "page" });
      if (!hit) return "miss";
      if (target.kind === "json") {
        // As the route: an ETag (and so a 304) for GET only.
        const etag = req.method === "GET" ? (hit.meta.e ?? null) : null;
        const headers = [...securityHeaders("json"), ...jsonHeaders(etag).map(withNextVary), ...accountingHeaders(scope, "json")];
        const notModified = etag !== null && etagMatches(req.headers["if-none-match"], etag);
        send(res, notModified ? 304 : 200, headers, notModified || req.method === "HEAD" ? null : hit.body);
        return "hit";
      }
      const nonce = createNonce();
      const headers: [string, string][] = securityHeaders("page");
      // As on Next's path: the proxy (the page's CSP) does not run for prefetches.
      if (!isPrefetch(target.variant)) headers.push(["Content-Security-Policy", pageContentSecurityPolicy({ nonce, dev: false, https: forwardedHttps(req) })]);
      for (const [name, value] of hit.meta.h ?? []) headers.push([name, value.replaceAll(placeholder, nonce)]);
      headers.push(...accountingHeaders(scope, "page"));
      send(res, 200, headers, req.method === "HEAD" ? null : hit.body.replaceAll(placeholder, nonce));
      return "hit";
    },

    prepare(req, res, scope) {
      const target = targetOf(req, buildId);
      if (target?.kind !== "page") return;
      req.headers[RENDER_NONCE_HEADER] = placeholder;
      if (target.variant === "rsc") {
        // A navigation payload that fits every client: without the client's
        // router state Next renders the full payload (valid whatever page the
        // client comes from), and the cache-busting `_rsc` is the one Next
        // expects for no router headers.
        delete req.headers[NEXT_ROUTER_STATE_TREE_HEADER];
        delete req.headers[NEXT_URL];
        req.url = withRscParam(req.url ?? "/", "");
      }
      scope.deps = new Dependencies();
      buffer(res, (status, body) => {
        // What may be stored is taken first, with the placeholder still in it:
        // a 200 that is the page itself (not its "temporarily unavailable"
        // stand-in, which Next also sends as 200 before server.ts makes it a
        // 503), and sets no cookie.
        const storable = status === 200 && !scope.unavailable && !scope.db.unavailable && !res.hasHeader("set-cookie");
        const text = body.toString(storable ? "utf8" : "latin1");
        if (storable) void store(target, text, storedHeaders(res), scope);
        const nonce = createNonce();
        for (const [name, value] of Object.entries(res.getHeaders())) {
          if (typeof value === "string" && value.includes(placeholder)) res.setHeader(name, value.replaceAll(placeholder, nonce));
        }
        return Buffer.from(text.replaceAll(placeholder, nonce), storable ? "utf8" : "latin1");
      });
    },
  };

  /** Stores a page Next rendered, after it was sent: with what it was built from, on its second build (see below). */
  async function store(target: Extract<Target, { kind: "page" }>, body: string, headers: [string, string][], scope: RequestScope): Promise<void> {
    try {
      const deps = scope.deps ?? new Dependencies();
      // Built from the cache alone (its data was read before, so it is wanted
      // again): store it. A first build that loaded from the database is not
      // stored — the long tail costs no page-sized write.
      if (deps.loaded) return;
      if (deps.tokens.size === 0) {
        // Read no data at all (a route-tree prefetch): valid for this build until a flush.
        if (scope.db.queries > 0 || scope.db.unavailable) return;
        deps.merge(await epochOnly(options.store()));
      }
      if (!deps.storable) return;
      await options.store().fill([], [{ key: target.key, body, meta: { h: headers }, deps, ttl: PAGE_TTL }]);
    } catch (error) {
      options.onError?.(error);
    }
  }
}

/** The response headers a stored page keeps (its own, not those made per response). */
function storedHeaders(res: http.ServerResponse): [string, string][] {
  const headers: [string, string][] = [];
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (NOT_STORED.has(name) || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [String(value)]) headers.push([name, one]);
  }
  return headers;
}

/** What a request asks for, when the cache may answer it whole; undefined otherwise. */
function targetOf(req: http.IncomingMessage, buildId: string): Target | undefined {
  if (req.method !== "GET" && req.method !== "HEAD") return undefined;
  const raw = req.url ?? "/";
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const search = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  if (path === "/api/posts") {
    // The same validation as the route (its schema): anything it would refuse goes to it.
    const query = pageQuerySchema.safeParse(Object.fromEntries(search));
    return query.success ? { kind: "json", key: pageResponseKey("/api/posts", query.data.page, query.data.pageSize) } : undefined;
  }
  const signedIn = hasSessionCookie(req.headers.cookie);
  if (path.startsWith("/api/posts/")) {
    const id = parsePostId(path.slice("/api/posts/".length));
    return id !== null && !signedIn ? { kind: "json", key: postResponseKey(id) } : undefined;
  }
  if (signedIn) return undefined;
  const variant = pageVariant(req, search);
  if (!variant) return undefined;
  search.delete("_rsc");
  // The page's hash tag (its slot on a cluster): the list page's, or the post's.
  let page: string;
  let group: string;
  if (path === "/") {
    const n = search.get("page");
    if ([...search.keys()].some((k) => k !== "page") || (n !== null && !/^[1-9]\d{0,8}$/.test(n))) return undefined;
    page = n === null ? "/" : `/?page=${n}`;
    group = pageGroup(Number(n ?? 1), DEFAULT_PAGE_SIZE);
  } else if (path.startsWith("/posts/") && search.size === 0) {
    const id = parsePostId(path.slice("/posts/".length));
    if (id === null) return undefined;
    page = path;
    group = `{${id}}`;
  } else return undefined;
  // Family "view" in the metrics: the per-view cache of pages.
  return { kind: "page", key: `view:v1:${buildId}:${variant}:${group}${page}`, variant, path: page };
}

/** Which response of a page the request wants (undefined: one this cache does not keep). */
function pageVariant(req: http.IncomingMessage, search: URLSearchParams): PageVariant | undefined {
  const h = req.headers;
  if (h[RSC_HEADER] === undefined) return search.has("_rsc") ? undefined : "html";
  if (h[RSC_HEADER] !== "1") return undefined;
  const prefetch = h[NEXT_ROUTER_PREFETCH_HEADER];
  const segment = h[NEXT_ROUTER_SEGMENT_PREFETCH_HEADER];
  const tree = h[NEXT_ROUTER_STATE_TREE_HEADER];
  if (prefetch === undefined) return segment === undefined ? "rsc" : undefined;
  if (prefetch !== "1") return undefined;
  if (segment === "/_tree" && tree === undefined) return "rsc-tree";
  if (segment === undefined && tree === METADATA_ONLY_TREE) return "rsc-meta";
  return undefined;
}

/** Prefetches: proxy.ts does not run for them (no nonce, no CSP on Next's path either). */
function isPrefetch(variant: PageVariant): boolean {
  return variant === "rsc-tree" || variant === "rsc-meta";
}

/** Whether the request carries a better-auth session cookie (then its pages are its own). */
export function hasSessionCookie(cookie: string | undefined): boolean {
  return cookie !== undefined && cookie.includes("session_token");
}

/** Next's rule for a page's protocol (its CSP asks to upgrade insecure requests over https). */
function forwardedHttps(req: http.IncomingMessage): boolean {
  const proto = req.headers["x-forwarded-proto"];
  return (Array.isArray(proto) ? proto.join(",") : (proto ?? "")).includes("https") || (req.socket as Socket & { encrypted?: boolean }).encrypted === true;
}

/** The URL with its `_rsc` search parameter set to `value`. */
function withRscParam(url: string, value: string): string {
  const q = url.indexOf("?");
  const search = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  search.set("_rsc", value);
  return `${q < 0 ? url : url.slice(0, q)}?${search.toString()}`;
}

/** The security headers of a response kind (lib/security/headers.ts: the proxy and next.config set the same). */
function securityHeaders(kind: "json" | "page"): [string, string][] {
  const headers = Object.entries(STATIC_SECURITY_HEADERS);
  return kind === "json" ? [...headers, ["Content-Security-Policy", API_CONTENT_SECURITY_POLICY]] : headers;
}

/** `Vary` as Next sends it on its path (it puts its own names in front). */
function withNextVary([name, value]: [string, string]): [string, string] {
  return name === "Vary" ? [name, `${NEXT_APP_VARY}, ${value}`] : [name, value];
}

function send(res: http.ServerResponse, status: number, headers: readonly [string, string][], body: string | null): void {
  for (const [name, value] of headers) res.setHeader(name, value);
  if (body !== null) res.setHeader("Content-Length", Buffer.byteLength(body));
  res.writeHead(status);
  res.end(body ?? undefined);
}

/**
 * Holds back what Next writes until it ends, then sends `finish(status,
 * body)` at once with its length: the nonce is replaced in headers and body
 * before anything leaves.
 */
function buffer(res: http.ServerResponse, finish: (status: number, body: Buffer) => Buffer): void {
  const chunks: Buffer[] = [];
  const { writeHead, write, end, flushHeaders } = res;
  const take = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === "function") return;
    chunks.push(Buffer.isBuffer(chunk) ? chunk : typeof chunk === "string" ? Buffer.from(chunk, (typeof encoding === "string" ? encoding : "utf8") as BufferEncoding) : Buffer.from(chunk as Uint8Array));
  };
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    res.statusCode = status;
    const headers = rest.find((arg) => typeof arg === "object" && arg !== null);
    if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), headers[i + 1] as string);
    else if (headers) for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value as string);
    return res;
  }) as typeof res.writeHead;
  res.flushHeaders = () => {};
  res.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    take(chunk, encoding);
    const done = [encoding, callback].find((arg) => typeof arg === "function") as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown, encoding?: unknown, callback?: unknown) => {
    take(chunk, encoding);
    res.writeHead = writeHead;
    res.write = write;
    res.end = end;
    res.flushHeaders = flushHeaders;
    const body = finish(res.statusCode, Buffer.concat(chunks));
    res.removeHeader("transfer-encoding");
    if (res.req.method !== "HEAD") res.setHeader("Content-Length", body.length);
    const done = [chunk, encoding, callback].find((arg) => typeof arg === "function") as (() => void) | undefined;
    const finishEnd = end as (this: http.ServerResponse, data?: Buffer, callback?: () => void) => http.ServerResponse;
    return finishEnd.call(res, res.req.method === "HEAD" ? undefined : body, done);
  }) as typeof res.end;
}

/** What a response that read no data depends on: the epoch alone (one round trip). */
async function epochOnly(store: TagStore): Promise<Dependencies> {
  const deps = new Dependencies();
  // A read of an entry that is never written, only for the token of its one tag, the epoch.
  const [read] = await store.read([{ key: "epoch-only", tags: [] }]);
  if (!read) deps.markIncomplete();
  else read.tagKeys.forEach((key, i) => deps.add(key, read.stamp[i] ?? ""));
  return deps;
}
