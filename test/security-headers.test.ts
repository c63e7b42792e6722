import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { proxy, config } from "@/proxy";
import {
  API_CONTENT_SECURITY_POLICY,
  STATIC_SECURITY_HEADERS,
  createNonce,
  pageContentSecurityPolicy,
  parseContentSecurityPolicy,
} from "@/lib/security/headers";

// The proxy (pages) and next.config.mjs `headers()` (API, static files) set
// the security headers; both are checked here without a server. e2e/xss.spec.ts
// checks them on real responses in a browser.

function nonceOf(csp: string): string {
  const match = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp);
  if (!match) throw new Error(`no nonce in ${csp}`);
  return match[1]!;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("proxy", () => {
  it("sets a strict CSP with a nonce on the response and hands Next the same policy and nonce on the request", () => {
    const res = proxy(new NextRequest("http://localhost:3000/posts/1"));
    const csp = res.headers.get("content-security-policy");
    expect(csp).toBeTruthy();
    const d = parseContentSecurityPolicy(csp!);
    const nonce = nonceOf(csp!);
    expect(d.get("script-src")).toEqual(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"]);
    expect(d.get("script-src")).not.toContain("'unsafe-inline'");
    expect(d.get("script-src")).not.toContain("'unsafe-eval'");
    expect(d.get("style-src")).toEqual(["'self'", `'nonce-${nonce}'`]);
    expect(d.get("object-src")).toEqual(["'none'"]);
    expect(d.get("base-uri")).toEqual(["'self'"]);
    expect(d.get("frame-ancestors")).toEqual(["'none'"]);
    expect(d.get("form-action")).toEqual(["'self'"]);
    expect(d.get("img-src")).toEqual(["'self'", "https:", "data:"]);
    expect(d.get("default-src")).toEqual(["'self'"]);
    // Plain http: no upgrade-insecure-requests (it would break http://localhost).
    expect(d.has("upgrade-insecure-requests")).toBe(false);

    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("permissions-policy")).toContain("camera=()");

    // NextResponse.next({ request: { headers } }): what the page renders with.
    expect(res.headers.get("x-middleware-next")).toBe("1");
    expect(res.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
    expect(res.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
    expect(res.headers.get("x-middleware-override-headers")?.split(",")).toEqual(
      expect.arrayContaining(["x-nonce", "content-security-policy"]),
    );
  });

  it("makes a fresh, unguessable nonce for every request", () => {
    const nonces = Array.from({ length: 200 }, () =>
      nonceOf(proxy(new NextRequest("http://localhost:3000/")).headers.get("content-security-policy")!),
    );
    expect(new Set(nonces).size).toBe(nonces.length);
    for (const n of nonces) expect(Buffer.from(n, "base64")).toHaveLength(16);
  });

  it("replaces a nonce or policy the client sent itself", () => {
    const req = new NextRequest("http://localhost:3000/", {
      headers: { "x-nonce": "attacker", "content-security-policy": "script-src 'nonce-attacker'" },
    });
    const res = proxy(req);
    expect(res.headers.get("x-middleware-request-x-nonce")).not.toBe("attacker");
    expect(res.headers.get("x-middleware-request-content-security-policy")).not.toContain("attacker");
  });

  it("keeps the rest of the request headers (cookies reach the page)", () => {
    const res = proxy(new NextRequest("http://localhost:3000/", { headers: { cookie: "a=b" } }));
    expect(res.headers.get("x-middleware-request-cookie")).toBe("a=b");
  });

  it("allows eval (and inline dev styles) only in development", () => {
    vi.stubEnv("NODE_ENV", "development");
    const dev = parseContentSecurityPolicy(proxy(new NextRequest("http://localhost:3000/")).headers.get("content-security-policy")!);
    expect(dev.get("script-src")).toContain("'unsafe-eval'");
    expect(dev.get("style-src")).toContain("'unsafe-inline'");
    vi.stubEnv("NODE_ENV", "production");
    const prod = parseContentSecurityPolicy(proxy(new NextRequest("http://localhost:3000/")).headers.get("content-security-policy")!);
    expect(prod.get("script-src")).not.toContain("'unsafe-eval'");
    expect(prod.get("style-src")).not.toContain("'unsafe-inline'");
  });

  it("asks https pages to upgrade insecure subresources", () => {
    const csp = proxy(new NextRequest("https://blog.example/posts/1")).headers.get("content-security-policy")!;
    expect(parseContentSecurityPolicy(csp).has("upgrade-insecure-requests")).toBe(true);
  });

  it("runs for pages but not for /api, static assets or prefetches", () => {
    expect(config.matcher).toHaveLength(2);
    const [pages, apiPercent] = config.matcher;
    const source = new RegExp(`^${pages!.source}$`);
    for (const path of ["/", "/posts/1", "/posts/1/edit", "/sign-in", "/apiary", "/robots.txt"]) {
      expect(source.test(path), path).toBe(true);
    }
    for (const path of ["/api", "/api/posts", "/api/auth/sign-in/email", "/_next/static/chunks/a.js", "/_next/image", "/favicon.ico"]) {
      expect(source.test(path), path).toBe(false);
    }
    expect(pages!.missing?.map((m) => m.key)).toEqual(["next-router-prefetch", "purpose"]);
    // The second entry: /api paths with a `%` only.
    expect(apiPercent!.source).toBe("/api/:rest(.*%.*)");
  });
});

describe("proxy: malformed requests Next itself would answer with a 500", () => {
  it("refuses a page path that does not percent-decode with a 400", async () => {
    for (const path of ["/posts/%zz", "/posts/%C0%AF", "/%E0%A4%A", "/posts/1/%"]) {
      const res = proxy(new NextRequest(`http://localhost:3000${path}`));
      expect(res.status, path).toBe(400);
      expect(res.headers.get("x-middleware-next"), path).toBeNull();
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(await res.text()).toContain("Bad Request");
    }
  });

  it("refuses an /api path that does not percent-decode with docs/api.md's 400", async () => {
    const res = proxy(new NextRequest("http://localhost:3000/api/posts/%zz/like", { method: "PUT" }));
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ error: { code: "validation_error", message: expect.any(String) } });
  });

  it("lets decodable percent-encoding through untouched (no CSP machinery for /api)", () => {
    const api = proxy(new NextRequest("http://localhost:3000/api/posts/%31"));
    expect(api.headers.get("x-middleware-next")).toBe("1");
    expect(api.headers.get("content-security-policy")).toBeNull();
    const page = proxy(new NextRequest("http://localhost:3000/posts/%31"));
    expect(page.headers.get("x-middleware-next")).toBe("1");
    expect(page.headers.get("content-security-policy")).toContain("'nonce-");
  });

  it("answers 405 to a write to a static file, and lets reads through", () => {
    const post = proxy(new NextRequest("http://localhost:3000/robots.txt", { method: "POST", body: "{}" }));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(proxy(new NextRequest("http://localhost:3000/robots.txt")).headers.get("x-middleware-next")).toBe("1");
    // A page (no extension) is left to Next whatever the method.
    expect(proxy(new NextRequest("http://localhost:3000/posts/1", { method: "POST", body: "{}" })).headers.get("x-middleware-next")).toBe("1");
  });
});

describe("lib/security/headers", () => {
  it("nonces are base64 of 16 random bytes", () => {
    const n = createNonce();
    expect(n).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(createNonce()).not.toBe(n);
  });

  it("the page policy has no 'unsafe-inline' for scripts in any mode", () => {
    for (const dev of [false, true]) {
      for (const https of [false, true]) {
        const csp = pageContentSecurityPolicy({ nonce: "abc", dev, https });
        expect(parseContentSecurityPolicy(csp).get("script-src")).not.toContain("'unsafe-inline'");
      }
    }
  });
});

describe("next.config.mjs headers()", () => {
  interface HeaderRule {
    source: string;
    headers: { key: string; value: string }[];
  }

  async function rules(): Promise<HeaderRule[]> {
    const path = "../next.config.mjs";
    const mod = (await import(/* @vite-ignore */ path)) as { default: { headers?: () => Promise<HeaderRule[]> } };
    expect(mod.default.headers).toBeTypeOf("function");
    return mod.default.headers!();
  }

  it("gives every response the static security headers, the same values as the proxy's", async () => {
    const all = (await rules()).find((r) => r.source === "/:path*");
    expect(all).toBeDefined();
    expect(Object.fromEntries(all!.headers.map((h) => [h.key, h.value]))).toEqual(STATIC_SECURITY_HEADERS);
  });

  it("gives /api responses a policy that loads nothing and cannot be framed", async () => {
    const api = (await rules()).find((r) => r.source === "/api/:path*");
    expect(api?.headers).toEqual([{ key: "Content-Security-Policy", value: API_CONTENT_SECURITY_POLICY }]);
    const d = parseContentSecurityPolicy(API_CONTENT_SECURITY_POLICY);
    expect(d.get("default-src")).toEqual(["'none'"]);
    expect(d.get("frame-ancestors")).toEqual(["'none'"]);
  });
});
