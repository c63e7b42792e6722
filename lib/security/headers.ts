// Security headers: one definition, used by proxy.ts (pages) and mirrored by
// next.config.mjs `headers()` (API routes, static files, everything the proxy
// does not run for). test/security-headers.test.ts checks that the two agree.
//
// Pages get a per-request Content-Security-Policy with a nonce (see
// pageContentSecurityPolicy); every other response gets the static headers
// below and, for /api, a static "this is not a document" policy.

/** Headers that are the same on every response (pages, API, static files). */
export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // Never guess a content type: a JSON error body or a user-supplied string
  // must not be sniffed into HTML or script.
  "X-Content-Type-Options": "nosniff",
  // Full URL for same-origin navigations (pagination, ?next= after sign-in),
  // only the origin cross-site, nothing on an https → http downgrade. Post
  // ids in paths are public, so the origin is all another site learns.
  "Referrer-Policy": "strict-origin-when-cross-origin",
  // Browser features this blog never uses; an injected or third-party script
  // cannot ask for them either.
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
  // frame-ancestors 'none' is the real control; this is for browsers that
  // predate CSP level 2.
  "X-Frame-Options": "DENY",
});

/**
 * The policy of every /api response (JSON, or better-auth's own small HTML
 * pages): nothing may load from it, and nothing may frame it. API responses
 * are not documents the app renders, so they need no nonce — and the proxy,
 * which makes nonces, does not run for /api (see proxy.ts).
 */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface PagePolicyOptions {
  /** This request's nonce (base64), from createNonce(). */
  nonce: string;
  /** `next dev`: React needs eval for its server error stacks, and the dev CSS is injected as inline styles. */
  dev: boolean;
  /** The page is served over https: ask the browser to upgrade http subresources (mixed content). */
  https: boolean;
}

/**
 * The Content-Security-Policy of a server-rendered page.
 *
 * - script-src: only scripts carrying this request's nonce (Next puts it on
 *   its own framework, page and inline scripts when it finds it in the
 *   request's CSP header), and — through 'strict-dynamic' — the chunks those
 *   scripts load. No 'unsafe-inline', so an injected `<script>` or `on*=`
 *   handler does not run even if it ever got past the Markdown sanitizer.
 *   'self' is ignored by browsers that understand 'strict-dynamic' and is a
 *   fallback for those that do not. 'unsafe-eval' in development only.
 * - style-src: stylesheets from this origin and inline `<style>` carrying the
 *   nonce. Production pages load their CSS as `<link>`s and render no style
 *   attributes, so 'unsafe-inline' is not needed there; `next dev` injects
 *   its CSS as inline styles without a nonce, so development allows them.
 * - img-src: posts may embed images from anywhere on the web (Markdown
 *   `![](https://…)`), so any https: image is allowed; data: for small
 *   inline images in CSS. Plain http: images are not (mixed content on an
 *   https deployment; the sanitizer keeps the tag, the browser skips it).
 * - connect-src 'self': the client only calls this app's own JSON API (and,
 *   in development, its own HMR websocket, which 'self' covers).
 * - object-src 'none', base-uri 'self', form-action 'self',
 *   frame-ancestors 'none': no plugins, no `<base>` hijacking of relative
 *   URLs, forms post only here, nobody frames the app (clickjacking).
 */
export function pageContentSecurityPolicy({ nonce, dev, https }: PagePolicyOptions): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    `style-src 'self' ${dev ? "'unsafe-inline'" : `'nonce-${nonce}'`}`,
    "img-src 'self' https: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  if (https) directives.push("upgrade-insecure-requests");
  return directives.join("; ");
}

/** A policy's directives by name, each with its values (what the tests check a policy against). */
export function parseContentSecurityPolicy(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

/** A fresh nonce: 128 random bits, base64 (Web Crypto, so it works in any runtime). */
export function createNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The request header through which the server (server.ts) gives the proxy the nonce a page renders with. */
export const RENDER_NONCE_HEADER = "x-render-nonce";

