const MAX_LENGTH = 2048;
// Any probe origin works: a path that stays on it is relative to every origin.
const PROBE = "http://next-path.invalid";

/**
 * Where to send a reader after signing in or up: `raw` (the `next` query
 * parameter) when it is a same-origin relative path, else "/".
 *
 * Only a single leading "/" is accepted. `//evil.com` is protocol-relative,
 * browsers read `\` as `/` (so `/\evil.com` is `//evil.com`), and the URL
 * parser drops tabs and newlines (so `/\t/evil.com` is too) — hence no
 * backslashes, whitespace or control characters at all. The sign-in and
 * sign-up pages themselves are not destinations (a loop, not a return).
 * The result is the parsed path + query + hash, never the raw input.
 */
export function safeNextPath(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_LENGTH) return "/";
  if (!raw.startsWith("/") || raw.startsWith("//")) return "/";
  if (/[\\\s\u0000-\u001f\u007f]/.test(raw)) return "/";
  let url: URL;
  try {
    url = new URL(raw, PROBE);
  } catch {
    return "/";
  }
  if (url.origin !== PROBE) return "/";
  if (/^\/sign-(in|up)\/?$/.test(url.pathname)) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}

/** `path` with `?next=` when `next` (already safe) is somewhere other than "/". */
export function withNextParam(path: string, next: string): string {
  return next === "/" ? path : `${path}?${new URLSearchParams({ next }).toString()}`;
}
