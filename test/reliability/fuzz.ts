// A seeded request fuzzer for the JSON API (docs/api.md): random methods, real and
// junk paths, query strings, JSON and non-JSON bodies, oversized bodies,
// invalid UTF-8, long headers, bad cookies, cross-site origins.
//
// Every mutation it sends is INVALID in at least one way that docs/api.md says
// must refuse it (cross-site, no session, forged session, not the author,
// unknown post, bad body...) — recorded in `defects` — except a small,
// tracked share of fully valid writes (`expect.kind` "valid-*", when the
// context allows them) whose effect the runner can predict exactly. So the
// runner can check, request by request, that the database row counts move
// only as the valid writes say.
//
// Used in-process by fuzz.test.ts and over real HTTP by fuzz-http.test.ts.

import fs from "node:fs";
import path from "node:path";

export const FUZZ_DEFAULT_COUNT = 2_000;

/** mulberry32: small, fast, deterministic; not for secrets. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

export interface Rng {
  next(): number;
  /** 0 ≤ result < n */
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** FUZZ_SEED (decimal or 0x…) or a fresh random seed. */
export function fuzzSeed(): number {
  const raw = process.env.FUZZ_SEED;
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`FUZZ_SEED must be an integer 0..2^32-1, got ${raw}`);
    return n;
  }
  return Math.floor(Math.random() * 0xffffffff);
}

export interface FuzzUser {
  id: string;
  email: string;
  /** The Cookie header of a real signed-in session. */
  cookie: string;
}

export interface FuzzContext {
  /** The app's own origin as the server sees it (http://localhost:3000 in-process). */
  origin: string;
  /** Posts that exist, none written by a fuzz user (so editing or deleting one is never allowed). */
  postIds: readonly number[];
  /** Signed-in fuzz users (never authors of `postIds`). */
  users: readonly FuzzUser[];
  /** Whether to mix in tracked, fully valid writes. */
  allowValidWrites: boolean;
  /**
   * Other API paths found under app/api (e.g. /api/metrics), with dynamic
   * segments filled in. The fuzzer knows nothing of their semantics, so any
   * request to them must write nothing (add a route that writes to the
   * families below, with its defects, when there is one).
   */
  otherPaths?: readonly string[];
  /** Over real HTTP the request may carry what fetch's Request cannot (GET bodies, any method token). */
  http: boolean;
}

export type Expectation =
  /** Not a write (a read, a 405, an unknown path): must not change anything. */
  | { kind: "read" }
  /** A mutation with at least one defect: a 4xx, and nothing changes. */
  | { kind: "invalid" }
  /**
   * A mutation that cannot change anything but that the auth library may
   * answer with a 2xx (signing out without a session, asking for a password
   * reset of an unknown email): nothing changes, and no 5xx.
   */
  | { kind: "no-write" }
  /** Fully valid: 201 and one more post, or a 4xx and nothing. */
  | { kind: "valid-create-post"; user: number }
  /** Fully valid: 201 and one more comment (429 when rate limited), or a 4xx and nothing. */
  | { kind: "valid-comment"; user: number; postId: number }
  /** Fully valid: 200; the like row of (user, post) exists afterwards iff `liked`. */
  | { kind: "valid-like"; user: number; postId: number; liked: boolean };

export interface FuzzRequest {
  index: number;
  method: string;
  /** Path and query exactly as sent (may hold invalid percent-encoding). */
  target: string;
  headers: [string, string][];
  body?: Uint8Array;
  expect: Expectation;
  /** Why a mutation must be refused (empty for reads and valid writes). */
  defects: string[];
  /** The route template (for the summary), e.g. "PATCH /api/posts/{id}". */
  label: string;
}

// ---------------------------------------------------------------------------
// Building blocks

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);
const json = (v: unknown) => bytes(JSON.stringify(v));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Strings that have broken parsers, renderers or databases before. All are valid JSON strings. */
const NASTY = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "<svg onload=alert(1)>",
  "[x](javascript:alert(1))",
  "'; DROP TABLE post; --",
  "' OR '1'='1",
  "${{7*7}} {{constructor.constructor('alert(1)')()}}",
  "\u202eevil\u202c",
  "zero\u200bwidth\ufeff",
  "emoji 💥🧪👩‍👩‍👧",
  "line\u2028separator\u2029",
  "tab\tnewline\ncarriage\r",
  "null byte \u0000 inside",
  "lone surrogate \ud800 here",
  "reversed \udc00\ud800 pair",
  "control \u0001\u0007\u001b[31m",
  "%00%zz%",
  "../../../../etc/passwd",
  "A".repeat(199),
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢".repeat(10),
  "__proto__",
  "\\u0000",
];

const MARKDOWN = [
  "# Hello\n\nSome *text* and a [link](https://example.com).",
  "<script>alert(document.cookie)</script>\n\nbody",
  "![img](https://example.com/a.png) <img src=x onerror=alert(1)>",
  "[click](javascript:alert(1)) <a href=\"jAvAsCrIpT:alert(1)\">x</a>",
  "```js\nconsole.log('<b>')\n```\n\n<iframe src=//evil.example></iframe>",
  "| a | b |\n|---|---|\n| <svg/onload=alert(1)> | 2 |",
  "> quote\n>\n> <style>body{display:none}</style>",
  "*".repeat(2_000),
  "[".repeat(1_000) + "]".repeat(1_000),
  "<".repeat(500) + "a" + ">".repeat(500),
  "- " + "nested\n  - ".repeat(200),
];

const CROSS_ORIGINS = [
  "https://evil.example",
  "http://localhost.evil.example",
  "null",
  "http://localhost",
  "https://localhost:3000",
  "http://localhost:3001",
  "file://",
  "garbage",
  "http://localhost:3000.evil.example",
  "javascript:alert(1)",
];

const JUNK_PATHS = [
  "/api",
  "/api/",
  "/api/posts/",
  "/api/posts//1",
  "/api/posts/1/like/extra",
  "/api/posts/1/comments/2",
  "/api/post",
  "/api/POSTS",
  "/api/%zz",
  "/api/posts/1%2Flike",
  "/api/posts/%2e%2e/health",
  "/api/../etc/passwd",
  "/api/health/extra",
  "/api/metrics/../health",
  "/api/" + "a".repeat(3_000),
  "/api/posts/1/like%00",
  "/api/nope",
  "/api/posts/0/like?x=1#frag",
];

const AUTH_GET_PATHS = [
  "get-session",
  "ok",
  "error",
  "error?error=%3Cscript%3Ealert(1)%3C/script%3E",
  "list-sessions",
  "list-accounts",
  "verify-email?token=not-a-token",
  "verify-email?token=not-a-token&callbackURL=https://evil.example",
  "reset-password/abc?callbackURL=https://evil.example",
  "callback/github?code=x&state=y",
  "does-not-exist",
  "sign-in/email",
  "%zz",
];

const AUTH_POST_PATHS = [
  "sign-in/email",
  "sign-in/email",
  "sign-up/email",
  "sign-up/email",
  "sign-out",
  "update-user",
  "change-password",
  "change-email",
  "revoke-sessions",
  "revoke-session",
  "revoke-other-sessions",
  "delete-user",
  "request-password-reset",
  "forget-password",
  "reset-password",
  "send-verification-email",
  "sign-in/social",
  "unlink-account",
  "get-access-token",
  "does-not-exist",
];

const QUERIES = [
  "",
  "",
  "",
  "?page=1",
  "?page=2&pageSize=5",
  "?page=0",
  "?page=-1",
  "?page=1e3",
  "?page=0x10",
  "?page=%zz",
  "?page=%00",
  "?page=99999999999",
  "?page=999999999",
  "?page=2147483648",
  "?pageSize=0",
  "?pageSize=101",
  "?pageSize=100",
  "?page=1&page=2",
  "?page[]=1",
  "?page=",
  "?page",
  "?__proto__=1&constructor=2",
  "?page=%D9%A3",
  "?page=%EF%BC%91",
  "?page=%202",
  "?page=2.0",
  "?pageSize=ab%00cd",
  "?" + "x=1&".repeat(2_000),
  "?q=" + "%F0%9F%92%A9".repeat(300),
  "?page=%C0%AF",
  "?&&&=&=",
];

/** Ids that are not a post: positive integers no fuzz run reaches, then things that are not ids. */
const NONEXISTENT_IDS = ["2147483647", "1999999999", "999999999", "1500000000"];
const MALFORMED_IDS = [
  "0",
  "-1",
  "01",
  "1.5",
  "1e3",
  "0x10",
  "abc",
  "2147483648",
  "99999999999999999999",
  "%201",
  "1%20",
  "%00",
  "%D9%A3",
  "%EF%BC%91",
  "null",
  "NaN",
  "Infinity",
  "1;DROP",
  "'",
  "%27%20OR%201=1",
  "a".repeat(2_000),
  "%F0%9F%92%A9",
  "%zz",
  "%C0%AF",
];

// ---------------------------------------------------------------------------
// Cookies

interface CookieChoice {
  header?: string;
  /** A real, valid session is (or may be) in it. */
  signedIn: boolean;
  user?: number;
  note: string;
}

function parseCookie(header: string): [string, string][] {
  return header.split(/;\s*/).map((part) => {
    const eq = part.indexOf("=");
    return [part.slice(0, eq), part.slice(eq + 1)];
  });
}

/**
 * What a signed cookie value means: the token and the signature's bytes. Two
 * spellings can mean the same thing — base64 leaves the low bits of a final
 * character unused (a 32-byte HMAC has 2 of them), and `atob` ignores them —
 * so a "tampered" value is compared by meaning, not by its characters.
 */
function signedCookieMeaning(value: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return `undecodable:${value}`;
  }
  const dot = decoded.lastIndexOf(".");
  if (dot < 0) return `unsigned:${decoded}`;
  const signature = decoded.slice(dot + 1);
  let bytes: string;
  try {
    bytes = atob(signature);
  } catch {
    return `bad signature:${decoded}`;
  }
  return `${decoded.slice(0, dot)}.${Buffer.from(bytes, "latin1").toString("hex")}`;
}

/** One character changed so that the value no longer means the same token and signature. */
export function tamper(value: string, rng: Rng): string {
  if (value.length === 0) return "x";
  const meaning = signedCookieMeaning(value);
  for (;;) {
    const at = rng.int(value.length);
    const c = value[at] === "A" ? "B" : "A";
    const tampered = value.slice(0, at) + c + value.slice(at + 1);
    if (signedCookieMeaning(tampered) !== meaning) return tampered;
  }
}

function chooseCookie(ctx: FuzzContext, rng: Rng, wantSignedIn: boolean): CookieChoice {
  if (wantSignedIn && ctx.users.length > 0) {
    const user = rng.int(ctx.users.length);
    const real = ctx.users[user]!.cookie;
    const variant = rng.int(4);
    if (variant === 0) return { header: `theme=dark; ${real}; _ga=GA1.2.3`, signedIn: true, user, note: "real session + other cookies" };
    if (variant === 1) return { header: `${real}; ${real}`, signedIn: true, user, note: "real session twice" };
    return { header: real, signedIn: true, user, note: "real session" };
  }
  const realToken = ctx.users.length > 0 ? parseCookie(ctx.users[rng.int(ctx.users.length)]!.cookie).find(([k]) => k.endsWith("session_token")) : undefined;
  const name = realToken?.[0] ?? "better-auth.session_token";
  const options: CookieChoice[] = [
    { signedIn: false, note: "no cookie" },
    { header: "theme=dark; lang=en", signedIn: false, note: "unrelated cookies" },
    { header: `${name}=`, signedIn: false, note: "empty session token" },
    { header: `${name}=${"a".repeat(32)}.${"b".repeat(43)}=`, signedIn: false, note: "forged session token" },
    { header: `${name}=%zz%%; ${name}`, signedIn: false, note: "garbage session token" },
    { header: `${name}=${"x".repeat(8_000)}`, signedIn: false, note: "huge session token" },
    { header: "session_token=1; better-auth.session_data=eyJmb28iOiJiYXIifQ", signedIn: false, note: "forged cookie cache" },
    { header: ";;; =; ==; a=b=c; \u00ff=\u00fe", signedIn: false, note: "malformed cookie header" },
  ];
  if (realToken) {
    // The token alone (no signed cookie cache beside it), with one character changed.
    options.push({ header: `${name}=${tamper(realToken[1], rng)}`, signedIn: false, note: "tampered session token" });
    options.push({ header: `${name}=${realToken[1].split(".")[0]}`, signedIn: false, note: "session token without its signature" });
  }
  return rng.pick(options);
}

// ---------------------------------------------------------------------------
// Origins

interface OriginChoice {
  headers: [string, string][];
  crossSite: boolean;
  note: string;
}

function chooseOrigin(ctx: FuzzContext, rng: Rng, wantCrossSite: boolean): OriginChoice {
  if (wantCrossSite) {
    if (rng.chance(0.25)) {
      return { headers: [["Sec-Fetch-Site", "cross-site"], ...(rng.chance(0.5) ? ([["Origin", ctx.origin]] as [string, string][]) : [])], crossSite: true, note: "Sec-Fetch-Site: cross-site" };
    }
    const origin = rng.pick(CROSS_ORIGINS).replace("3000", new URL(ctx.origin).port || "80");
    return { headers: [["Origin", origin]], crossSite: true, note: `Origin: ${origin}` };
  }
  const variant = rng.int(6);
  if (variant === 0) return { headers: [], crossSite: false, note: "no Origin" };
  if (variant === 1) return { headers: [["Origin", ctx.origin], ["Sec-Fetch-Site", "same-origin"]], crossSite: false, note: "same origin (fetch metadata)" };
  if (variant === 2) return { headers: [["Origin", `${ctx.origin}/some/path`]], crossSite: false, note: "same origin with a path" };
  if (variant === 3) return { headers: [["Sec-Fetch-Site", rng.pick(["same-site", "none", "same-origin"])]], crossSite: false, note: "fetch metadata, no Origin" };
  return { headers: [["Origin", ctx.origin]], crossSite: false, note: "same origin" };
}

// ---------------------------------------------------------------------------
// Bodies

interface BodyChoice {
  body?: Uint8Array;
  contentType?: string;
  /** Would pass the route's validation (so it cannot be the defect). */
  valid: boolean;
  note: string;
}

const MAX_BODY = 64 * 1024;

function nasty(rng: Rng, maxLength: number): string {
  const s = rng.pick(NASTY);
  return s.slice(0, maxLength);
}

/** A title that passes the schema: 1..200 chars once trimmed. */
function validTitle(rng: Rng): string {
  const t = `${nasty(rng, 150)} fuzz ${rng.int(1e9)}`;
  return t.trim().length > 0 ? t : "fuzz";
}

function validContent(rng: Rng): string {
  return `${rng.pick(MARKDOWN)}\n\n${nasty(rng, 200)}`;
}

function validCommentBody(rng: Rng): string {
  return `${nasty(rng, 200)} comment ${rng.int(1e9)}`;
}

/** Bodies that are never valid for any of our JSON routes, each with what is wrong. */
function invalidBody(rng: Rng, route: "post" | "patch" | "comment" | "auth"): BodyChoice {
  const field = route === "comment" ? "body" : "title";
  const filler = "x".repeat(MAX_BODY + 1 + rng.int(10_000));
  const recipes: (() => BodyChoice)[] = [
    () => ({ body: bytes(""), contentType: "application/json", valid: false, note: "empty body" }),
    () => ({ body: undefined, valid: false, note: "no body" }),
    () => ({ body: bytes("{"), contentType: "application/json", valid: false, note: "truncated JSON" }),
    () => ({ body: bytes(`{"${field}": "a",}`), contentType: "application/json", valid: false, note: "trailing comma" }),
    () => ({ body: bytes(`{'${field}': 'a'}`), contentType: "application/json", valid: false, note: "single quotes" }),
    () => ({ body: bytes("NaN"), contentType: "application/json", valid: false, note: "NaN" }),
    () => ({ body: bytes(`${field}=a&content=b`), contentType: "application/x-www-form-urlencoded", valid: false, note: "form-encoded" }),
    () => ({
      body: bytes(`--b\r\nContent-Disposition: form-data; name="${field}"\r\n\r\na\r\n--b--\r\n`),
      contentType: "multipart/form-data; boundary=b",
      valid: false,
      note: "multipart",
    }),
    () => ({ body: bytes(`{"${field}":"a\u0001b"}`), contentType: "application/json", valid: false, note: "raw control character in a JSON string" }),
    () => ({ body: concat(bytes(`{"${field}":"`), new Uint8Array([0xff, 0xfe, 0xfd]), bytes(`","content":"x"}`)), contentType: "application/json", valid: false, note: "invalid UTF-8 (0xFF)" }),
    () => ({ body: concat(bytes(`{"${field}":"`), new Uint8Array([0xc0, 0xaf]), bytes(`","content":"x"}`)), contentType: "application/json", valid: false, note: "overlong UTF-8" }),
    () => ({ body: concat(bytes(`{"${field}":"`), new Uint8Array([0xed, 0xa0, 0x80]), bytes(`","content":"x"}`)), contentType: "application/json", valid: false, note: "UTF-8-encoded surrogate" }),
    () => ({ body: concat(bytes(`{"${field}":"a`), new Uint8Array([0xe2, 0x82])), contentType: "application/json", valid: false, note: "truncated UTF-8 sequence" }),
    () => ({ body: concat(new Uint8Array([0xef, 0xbb, 0xbf]), bytes("{}")), contentType: "application/json", valid: false, note: "BOM + {}" }),
    () => ({ body: bytes("[".repeat(30_000) + "]".repeat(30_000)), contentType: "application/json", valid: false, note: "30,000 nested arrays" }),
    () => ({ body: bytes('{"a":'.repeat(6_000) + "1" + "}".repeat(6_000)), contentType: "application/json", valid: false, note: "6,000 nested objects" }),
    () => ({ body: json(null), contentType: "application/json", valid: false, note: "null" }),
    () => ({ body: json([]), contentType: "application/json", valid: false, note: "array" }),
    () => ({ body: json("string"), contentType: "application/json", valid: false, note: "string" }),
    () => ({ body: json(12), contentType: "application/json", valid: false, note: "number" }),
    () => ({ body: json({}), contentType: "application/json", valid: false, note: "{}" }),
    () => ({
      // Valid fields, too big: the 64 KiB limit alone refuses it.
      body: json(route === "comment" ? { body: filler } : route === "auth" ? { email: "a@b.c", password: filler } : { title: "t", content: filler }),
      contentType: "application/json",
      valid: false,
      note: `oversized (${filler.length} B)`,
    }),
    () => ({ body: bytes(filler), contentType: "text/plain", valid: false, note: "oversized text" }),
  ];
  if (route === "post" || route === "patch") {
    recipes.push(
      () => ({ body: json({ title: "   \n\t ", content: "c" }), contentType: "application/json", valid: false, note: "blank title" }),
      () => ({ body: json({ title: "a".repeat(201), content: "c" }), contentType: "application/json", valid: false, note: "title too long" }),
      () => ({ body: json({ title: 5, content: "c" }), contentType: "application/json", valid: false, note: "title not a string" }),
      () => ({ body: json({ title: "t", content: null }), contentType: "application/json", valid: false, note: "content null" }),
      () => ({ body: json({ title: "t", content: "c", authorId: "someone" }), contentType: "application/json", valid: false, note: "extra field authorId" }),
      () => ({ body: bytes('{"title":"t","content":"c","__proto__":{"admin":true}}'), contentType: "application/json", valid: false, note: "__proto__ key" }),
      () => ({ body: json({ title: ["t"], content: { a: 1 } }), contentType: "application/json", valid: false, note: "wrong types" }),
      () => ({ body: json({ title: "t", content: "   " }), contentType: "application/json", valid: false, note: "blank content" }),
    );
    if (route === "post") recipes.push(() => ({ body: json({ title: "only a title" }), contentType: "application/json", valid: false, note: "no content" }));
    if (route === "patch") recipes.push(() => ({ body: json({ id: 1 }), contentType: "application/json", valid: false, note: "no known field" }));
  }
  if (route === "comment") {
    recipes.push(
      () => ({ body: json({ body: "  \n " }), contentType: "application/json", valid: false, note: "blank comment" }),
      () => ({ body: json({ body: "a".repeat(5_001) }), contentType: "application/json", valid: false, note: "comment too long" }),
      () => ({ body: json({ body: 1 }), contentType: "application/json", valid: false, note: "comment not a string" }),
      () => ({ body: json({ body: "hi", postId: 1 }), contentType: "application/json", valid: false, note: "extra field postId" }),
      () => ({ body: json({ text: "hi" }), contentType: "application/json", valid: false, note: "wrong field name" }),
    );
  }
  return rng.pick(recipes)();
}

function validBody(rng: Rng, route: "post" | "patch" | "comment"): BodyChoice {
  const contentType = rng.pick(["application/json", "application/json; charset=utf-8", "text/plain", "APPLICATION/JSON"]);
  if (route === "comment") return { body: json({ body: validCommentBody(rng) }), contentType, valid: true, note: "valid comment" };
  if (route === "post") return { body: json({ title: validTitle(rng), content: validContent(rng) }), contentType, valid: true, note: "valid post" };
  const patch = rng.pick([{ title: validTitle(rng) }, { content: validContent(rng) }, { title: validTitle(rng), content: validContent(rng) }]);
  return { body: json(patch), contentType, valid: true, note: "valid patch" };
}

// ---------------------------------------------------------------------------
// Extra headers: long ones, odd ones (never ones that change what the app
// considers its own origin — that would make the validity of a request
// depend on the app's proxy trust settings, not on docs/api.md).

function extraHeaders(rng: Rng, isRead: boolean): [string, string][] {
  const out: [string, string][] = [];
  if (rng.chance(0.08)) out.push(["X-Long", "a".repeat(rng.pick([4_000, 8_000, 12_000]))]);
  if (rng.chance(0.05)) out.push(["Referer", `https://evil.example/${"p".repeat(rng.int(2_000))}`]);
  if (rng.chance(0.1)) out.push(["Accept", rng.pick(["*/*", "text/html", "application/json;q=0", "garbage/*;;;", ""])]);
  if (rng.chance(0.1)) out.push(["If-None-Match", rng.pick(['"abc"', "*", 'W/"x", "y"', `"${"e".repeat(5_000)}"`, ",,,", "W/"])]);
  if (rng.chance(0.05)) out.push(["Accept-Encoding", "gzip, deflate, br, zstd, " + "x,".repeat(500)]);
  if (rng.chance(0.05)) out.push(["X-Forwarded-For", rng.pick(["garbage", "1.1.1.1, 2.2.2.2, " + "3.3.3.3, ".repeat(200), "::1", "%zz"])]);
  if (rng.chance(0.05)) out.push(["Content-Length", rng.pick(["abc", "-1", "1e3", "99999999999999999999"])]);
  if (rng.chance(0.05)) out.push(["User-Agent", "\u00ff\u00fe" + "u".repeat(3_000)]);
  if (isRead && rng.chance(0.05)) out.push(["X-Forwarded-Proto", rng.pick(["https", "javascript", "", "http, https"])]);
  if (isRead && rng.chance(0.05)) out.push(["X-Forwarded-Host", "evil.example"]);
  return out;
}

// ---------------------------------------------------------------------------
// The generator

type Family = "posts" | "post" | "like" | "comments" | "health" | "auth" | "junk" | "other";

const EXPORTED: Record<Exclude<Family, "junk" | "auth" | "other">, string[]> = {
  posts: ["GET", "POST"],
  post: ["GET", "PATCH", "DELETE"],
  like: ["PUT", "DELETE"],
  comments: ["GET", "POST"],
  health: ["GET"],
};
const ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const ODD_METHODS = ["PROPFIND", "PURGE", "M-SEARCH", "patch", "get", "QUERY"];

function chooseMethod(rng: Rng, exported: string[]): string {
  const r = rng.next();
  if (r < 0.6) return rng.pick(exported);
  if (r < 0.93) return rng.pick(ALL_METHODS);
  return rng.pick(ODD_METHODS);
}

/** Whether (family, method) is a request that could write if it were valid. */
function writes(family: Family, method: string): boolean {
  if (family === "posts") return method === "POST";
  if (family === "post") return method === "PATCH" || method === "DELETE";
  if (family === "like") return method === "PUT" || method === "DELETE";
  if (family === "comments") return method === "POST";
  if (family === "auth") return method === "POST";
  return false;
}

export function generateRequest(ctx: FuzzContext, rng: Rng, index: number): FuzzRequest {
  const families: Family[] = ["posts", "posts", "post", "post", "post", "like", "like", "comments", "comments", "health", "auth", "auth", "junk"];
  if (ctx.otherPaths?.length) families.push("other");
  const family = rng.pick(families);
  if (family === "auth") return authRequest(ctx, rng, index);
  if (family === "other") {
    const method = rng.chance(0.6) ? "GET" : rng.pick([...ALL_METHODS, ...ODD_METHODS]);
    const path = rng.pick(ctx.otherPaths!);
    const cookie = chooseCookie(ctx, rng, rng.chance(0.33));
    const headers: [string, string][] = [...chooseOrigin(ctx, rng, rng.chance(0.3)).headers, ...extraHeaders(rng, true)];
    if (cookie.header) headers.push(["Cookie", cookie.header]);
    const upper = method.toUpperCase();
    const body = (ctx.http || (upper !== "GET" && upper !== "HEAD")) && upper !== "GET" && upper !== "HEAD" && rng.chance(0.5) ? invalidBody(rng, "post") : undefined;
    if (body?.contentType) headers.push(["Content-Type", body.contentType]);
    return { index, method, target: path + rng.pick(QUERIES), headers, body: body?.body, expect: { kind: "no-write" }, defects: [], label: `${method} ${path}` };
  }
  if (family === "junk") {
    const method = rng.pick([...ALL_METHODS, "GET", "GET"]);
    const target = rng.pick(JUNK_PATHS);
    const cookie = chooseCookie(ctx, rng, rng.chance(0.33));
    const origin = chooseOrigin(ctx, rng, rng.chance(0.3));
    const headers: [string, string][] = [...origin.headers, ...extraHeaders(rng, method === "GET")];
    if (cookie.header) headers.push(["Cookie", cookie.header]);
    const body = method !== "GET" && method !== "HEAD" && rng.chance(0.5) ? validBody(rng, "post") : undefined;
    if (body?.contentType) headers.push(["Content-Type", body.contentType]);
    // An unknown path is never routed to a handler: nothing can be written.
    return { index, method, target, headers, body: body?.body, expect: { kind: "read" }, defects: [], label: `${method} (junk path)` };
  }

  const exported = EXPORTED[family];
  const method = chooseMethod(rng, exported);
  const canWrite = writes(family, method) && exported.includes(method);
  const hasId = family === "post" || family === "like" || family === "comments";
  const readsBody = canWrite && (family === "posts" || (family === "post" && method === "PATCH") || family === "comments");
  const bodyRoute = family === "comments" ? "comment" : family === "post" ? "patch" : "post";
  const label = `${method} ${{ posts: "/api/posts", post: "/api/posts/{id}", like: "/api/posts/{id}/like", comments: "/api/posts/{id}/comments", health: "/api/health" }[family]}`;

  // A tracked, fully valid write now and then (create, comment, like, unlike).
  if (canWrite && ctx.allowValidWrites && ctx.users.length > 0 && (family === "posts" || family === "comments" || family === "like") && rng.chance(0.12)) {
    const user = rng.int(ctx.users.length);
    const postId = rng.pick(ctx.postIds);
    const origin = chooseOrigin(ctx, rng, false);
    const headers: [string, string][] = [...origin.headers, ["Cookie", ctx.users[user]!.cookie], ...extraHeaders(rng, false).filter(([k]) => k !== "Content-Length")];
    let body: BodyChoice | undefined;
    let expect: Expectation;
    let target: string;
    if (family === "posts") {
      body = validBody(rng, "post");
      expect = { kind: "valid-create-post", user };
      target = "/api/posts";
    } else if (family === "comments") {
      body = validBody(rng, "comment");
      expect = { kind: "valid-comment", user, postId };
      target = `/api/posts/${postId}/comments`;
    } else {
      expect = { kind: "valid-like", user, postId, liked: method === "PUT" };
      target = `/api/posts/${postId}/like`;
    }
    if (body?.contentType) headers.push(["Content-Type", body.contentType]);
    return { index, method, target, headers, body: body?.body, expect, defects: [], label: `${label} (valid)` };
  }

  // Each dimension at random; then, for a write, make sure one is a defect.
  let cookie = chooseCookie(ctx, rng, rng.chance(canWrite ? 0.5 : 0.33));
  let origin = chooseOrigin(ctx, rng, rng.chance(canWrite ? 0.2 : 0.15));
  let idKind: "existing" | "nonexistent" | "malformed" = rng.chance(0.6) ? "existing" : rng.chance(0.4) ? "nonexistent" : "malformed";
  let body: BodyChoice | undefined;
  if (readsBody) body = rng.chance(0.35) ? validBody(rng, bodyRoute) : invalidBody(rng, bodyRoute);
  else if (method !== "GET" && method !== "HEAD" && rng.chance(0.3)) body = rng.chance(0.5) ? validBody(rng, bodyRoute) : invalidBody(rng, bodyRoute);

  const defectsOf = (): string[] => {
    if (!canWrite) return [];
    const d: string[] = [];
    if (origin.crossSite) d.push(`cross-site (${origin.note})`);
    if (!cookie.signedIn) d.push(`not signed in (${cookie.note})`);
    if (hasId && idKind !== "existing") d.push(`${idKind} post id`);
    if (hasId && idKind === "existing" && family === "post") d.push("not the author");
    if (readsBody && body && !body.valid) d.push(`invalid body (${body.note})`);
    if (readsBody && !body) d.push("no body");
    return d;
  };
  if (canWrite && defectsOf().length === 0) {
    const fix = rng.int(hasId ? 4 : 3);
    if (fix === 0) origin = chooseOrigin(ctx, rng, true);
    else if (fix === 1) cookie = chooseCookie(ctx, rng, false);
    else if (fix === 2 && readsBody) body = invalidBody(rng, bodyRoute);
    else if (hasId) idKind = rng.chance(0.5) ? "nonexistent" : "malformed";
    else origin = chooseOrigin(ctx, rng, true);
  }
  const defects = defectsOf();
  if (canWrite && defects.length === 0) throw new Error("fuzz generator bug: a write with no defect");

  const id = idKind === "existing" ? String(rng.pick(ctx.postIds)) : rng.pick(idKind === "nonexistent" ? NONEXISTENT_IDS : MALFORMED_IDS);
  const path = { posts: "/api/posts", post: `/api/posts/${id}`, like: `/api/posts/${id}/like`, comments: `/api/posts/${id}/comments`, health: "/api/health" }[family];
  const query = method === "GET" || rng.chance(0.2) ? rng.pick(QUERIES) : "";
  const headers: [string, string][] = [...origin.headers, ...extraHeaders(rng, !canWrite)];
  if (cookie.header) headers.push(["Cookie", cookie.header]);
  // fetch's Request refuses a body on GET/HEAD; over HTTP, send one anyway now and then.
  const bodyAllowed = ctx.http || (method.toUpperCase() !== "GET" && method.toUpperCase() !== "HEAD");
  if (!bodyAllowed) body = undefined;
  if (ctx.http && !body && (method === "GET" || method === "DELETE") && rng.chance(0.05)) body = invalidBody(rng, "post");
  if (body?.contentType) headers.push(["Content-Type", body.contentType]);
  return {
    index,
    method,
    target: path + query,
    headers,
    body: body?.body,
    expect: canWrite ? { kind: "invalid" } : { kind: "read" },
    defects,
    label,
  };
}

function authRequest(ctx: FuzzContext, rng: Rng, index: number): FuzzRequest {
  const post = rng.chance(0.6);
  const method = post ? "POST" : rng.pick(["GET", "GET", "GET", "PUT", "DELETE", "OPTIONS", "HEAD"]);
  const sub = post ? rng.pick(AUTH_POST_PATHS) : rng.pick(AUTH_GET_PATHS);
  const target = `/api/auth/${sub}`;
  const label = `${method} /api/auth/${sub.split("?")[0]}`;
  const headers: [string, string][] = [];
  const defects: string[] = [];

  if (method !== "POST") {
    const cookie = chooseCookie(ctx, rng, rng.chance(0.33));
    if (cookie.header) headers.push(["Cookie", cookie.header]);
    headers.push(...chooseOrigin(ctx, rng, rng.chance(0.2)).headers, ...extraHeaders(rng, true));
    return { index, method, target, headers, expect: { kind: "read" }, defects, label };
  }

  // A POST to the auth library: signed in → always cross-site (its CSRF
  // check must refuse it); else a body that cannot succeed, or cross-site.
  const signedIn = rng.chance(0.33);
  const cookie = chooseCookie(ctx, rng, signedIn);
  if (cookie.header) headers.push(["Cookie", cookie.header]);
  const user = ctx.users.length > 0 ? ctx.users[rng.int(ctx.users.length)]! : undefined;
  const email = user?.email ?? "nobody@example.com";
  let body: BodyChoice;
  const crossSite = signedIn || rng.chance(0.25);
  if (sub.startsWith("sign-in/email")) {
    body = rng.pick<BodyChoice>([
      { body: json({ email, password: "wrong-password" }), valid: false, note: "wrong password" },
      { body: json({ email: `nobody-${rng.int(1e9)}@example.com`, password: "demo-password" }), valid: false, note: "unknown email" },
      { body: json({ email: "not-an-email", password: "demo-password" }), valid: false, note: "invalid email" },
      { body: json({ email }), valid: false, note: "no password" },
      { body: json({ email: { $ne: null }, password: { $ne: null } }), valid: false, note: "operator injection" },
      invalidBody(rng, "auth"),
    ]);
  } else if (sub.startsWith("sign-up/email")) {
    const fresh = `fuzz-${rng.int(1e9)}@example.com`;
    body = rng.pick<BodyChoice>([
      { body: json({ name: "Fuzz", email: fresh, password: "short" }), valid: false, note: "password too short" },
      { body: json({ name: "Fuzz", email: fresh, password: "p".repeat(129) }), valid: false, note: "password too long" },
      { body: json({ name: "Fuzz", email: "not-an-email", password: "long-enough-password" }), valid: false, note: "invalid email" },
      { body: json({ name: "   ", email: fresh, password: "long-enough-password" }), valid: false, note: "blank name" },
      { body: json({ name: "n".repeat(101), email: fresh, password: "long-enough-password" }), valid: false, note: "name too long" },
      { body: json({ name: "Fuzz", email, password: "long-enough-password" }), valid: false, note: "email already used" },
      { body: json({ email: fresh, password: "long-enough-password" }), valid: false, note: "no name" },
      invalidBody(rng, "auth"),
    ]);
  } else {
    body = rng.pick<BodyChoice>([
      invalidBody(rng, "auth"),
      { body: json({ email: `nobody-${rng.int(1e9)}@example.com`, provider: "github", token: "x", newPassword: "x", currentPassword: "y", name: "" }), valid: false, note: "junk fields" },
      { body: json({ provider: "evil", callbackURL: "https://evil.example" }), valid: false, note: "unknown provider" },
    ]);
    if (!signedIn && !crossSite) defects.push(`not signed in (${cookie.note})`);
  }
  const idempotentWithoutSession = !sub.startsWith("sign-in/email") && !sub.startsWith("sign-up/email");
  if (body.body && !headers.some(([k]) => k === "Content-Type")) headers.push(["Content-Type", body.contentType ?? "application/json"]);
  if (crossSite) {
    const origin = rng.chance(0.8) ? rng.pick(["https://evil.example", "null", "http://localhost.evil.example"]) : "https://evil.example";
    headers.push(["Origin", origin]);
    defects.push(`cross-site (Origin: ${origin})`);
  } else {
    headers.push(...chooseOrigin(ctx, rng, false).headers);
  }
  if (!body.valid) defects.push(`invalid body (${body.note})`);
  headers.push(...extraHeaders(rng, false).filter(([k]) => k !== "X-Forwarded-For"));
  const expect: Expectation = crossSite || !idempotentWithoutSession ? { kind: "invalid" } : { kind: "no-write" };
  return { index, method, target, headers, body: body.body, expect, defects, label };
}

// ---------------------------------------------------------------------------
// Reporting

/** A one-line description of a request, enough to rebuild it. */
export function describeRequest(r: FuzzRequest): string {
  const headers = r.headers.map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…(${v.length} chars)` : v}`).join(" | ");
  const body = r.body === undefined ? "no body" : `${r.body.length} B body ${JSON.stringify(Buffer.from(r.body.subarray(0, 120)).toString("latin1"))}${r.body.length > 120 ? "…" : ""}`;
  const target = r.target.length > 200 ? `${r.target.slice(0, 200)}…(${r.target.length} chars)` : r.target;
  return `#${r.index} ${r.method} ${target} [${headers}] ${body} expect=${r.expect.kind}${r.defects.length ? ` defects=${r.defects.join("; ")}` : ""}`;
}

/**
 * The API paths under app/api that the families above do not cover, with
 * `[x]` segments filled in with `id` and catch-alls with "x".
 */
export function otherApiPaths(appDir: string, id: number): string[] {
  const known = new Set(["/api/posts", "/api/posts/[id]", "/api/posts/[id]/like", "/api/posts/[id]/comments", "/api/health", "/api/auth/[...all]"]);
  const found: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name), /^\(.*\)$/.test(entry.name) ? prefix : `${prefix}/${entry.name}`);
      else if (entry.name === "route.ts" && !known.has(prefix)) found.push(prefix);
    }
  };
  walk(path.join(appDir, "api"), "/api");
  return found.sort().map((p) => p.replace(/\[\[?\.\.\.\w+\]\]?/g, "x").replace(/\[\w+\]/g, String(id)));
}

/** The tables whose row counts a request may change. */
export const COUNTED_TABLES = ["post", "like", "comment", "user", "session", "account", "verification"] as const;
export type RowCounts = Record<(typeof COUNTED_TABLES)[number], number>;

export const ROW_COUNTS_SQL = `SELECT ${COUNTED_TABLES.map((t) => `(SELECT count(*) FROM "${t}")::int AS "${t}"`).join(", ")}`;

export function diffCounts(before: RowCounts, after: RowCounts): Partial<RowCounts> {
  const d: Partial<RowCounts> = {};
  for (const t of COUNTED_TABLES) if (after[t] !== before[t]) d[t] = after[t] - before[t];
  return d;
}
