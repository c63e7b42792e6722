import { expect, test, type APIRequestContext, type Page, type Response } from "@playwright/test";
import { parseContentSecurityPolicy } from "@/lib/security/headers";

// Stored XSS: a post (title and Markdown) and comments full of script
// payloads, written through the API by a signed-in user, then read in the
// browser. They must render as text or as sanitized markup; no dialog may
// open; the page must carry the proxy's nonce'd Content-Security-Policy (and
// still work under it: hydration, likes, comments, the editor's preview);
// the browser must report no CSP violation (nothing injected got as far as
// being blocked, and nothing of the app's own is blocked).

const TITLE = `"><script>window.__xss="title"</script><img src=x onerror=alert("title")> & <b>bold?</b>`;

const CONTENT = [
  "# Payloads",
  "<script>window.__xss='script'; alert('script')</script>",
  "<img src=x onerror=alert('img')>",
  "<svg onload=alert('svg')><circle r=10 /></svg>",
  "[markdown link](javascript:alert('md-link'))",
  `<a href="javascript:alert('html-link')">html link</a>`,
  `<a href="JaVaScRiPt:alert('mixed-case')">mixed case link</a>`,
  `<a href="&#106;avascript:alert('entity')">entity link</a>`,
  `<iframe src="javascript:alert('iframe')"></iframe>`,
  `<object data="javascript:alert('object')"></object>`,
  `<div onmouseover="alert('hover')">hover me</div>`,
  "<details open ontoggle=alert('toggle')><summary>x</summary></details>",
  "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph></table></mtext></math>",
  "<style>body{display:none}</style>",
  `<form action="https://evil.example"><button formaction="javascript:alert('form')">go</button></form>`,
  `<base href="https://evil.example/">`,
  `<meta http-equiv="refresh" content="0;url=javascript:alert('meta')">`,
  "![remote image](https://example.invalid/cat.png)",
  "Plain text after the payloads: the end.",
].join("\n\n");

const COMMENT = `<script>alert("comment")</script><img src=x onerror=alert('comment-img')> <svg onload=alert('comment-svg')> [x](javascript:alert('comment-link')) "><script>alert(5)</script>`;
const UI_COMMENT = `<img src=x onerror=alert('typed')> typed in the box`;

interface Watch {
  dialogs: string[];
  violations: string[];
  pageErrors: string[];
}

/** Fails the test on any dialog (after dismissing it), CSP violation or uncaught page error. */
function watch(page: Page): Watch {
  const w: Watch = { dialogs: [], violations: [], pageErrors: [] };
  page.on("dialog", (dialog) => {
    w.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => {});
  });
  page.on("console", (msg) => {
    if (/Content Security Policy|Refused to (execute|load|apply|frame|connect)/i.test(msg.text())) w.violations.push(msg.text());
  });
  page.on("pageerror", (error) => w.pageErrors.push(error.message));
  return w;
}

async function signIn(request: APIRequestContext, baseURL: string): Promise<void> {
  const res = await request.post("/api/auth/sign-in/email", {
    data: { email: "demo3@example.com", password: "demo-password" },
    headers: { Origin: baseURL },
  });
  expect(res.status(), await res.text()).toBe(200);
}

/** The page's CSP is the proxy's strict one, and every server-rendered script carries its nonce. */
async function expectStrictCsp(res: Response | null): Promise<void> {
  expect(res).not.toBeNull();
  const headers = res!.headers();
  const csp = headers["content-security-policy"] ?? "";
  const d = parseContentSecurityPolicy(csp);
  const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
  expect(nonce, csp).toBeTruthy();
  expect(d.get("script-src")).toEqual(expect.arrayContaining([`'nonce-${nonce}'`, "'strict-dynamic'"]));
  expect(d.get("script-src")).not.toContain("'unsafe-inline'");
  expect(d.get("object-src")).toEqual(["'none'"]);
  expect(d.get("base-uri")).toEqual(["'self'"]);
  expect(d.get("frame-ancestors")).toEqual(["'none'"]);
  expect(d.get("form-action")).toEqual(["'self'"]);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  const html = await res!.text();
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag, "every server-rendered script carries the nonce").toContain(`nonce="${nonce}"`);
}

/** Nothing active anywhere in the document: no handler attributes, no javascript: URLs, no injected elements. */
async function expectNoActiveContent(page: Page): Promise<void> {
  const found = await page.evaluate(() => {
    const all = [...document.querySelectorAll("*")];
    return {
      xss: (window as unknown as { __xss?: unknown }).__xss ?? null,
      handlers: all.flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `<${el.localName} ${a.name}=${a.value}>`)),
      jsUrls: all.flatMap((el) =>
        ["href", "src", "action", "formaction", "data", "xlink:href"]
          .map((name) => el.getAttribute(name))
          .filter((v): v is string => v !== null && /^\s*javascript:/i.test(v)),
      ),
      injected: [...document.querySelectorAll(".prose script, .prose iframe, .prose object, .prose embed, .prose svg, .prose math, .prose style, .prose form, .prose base, .prose meta, .comment-list script, .comment-list img, .comment-list svg, .comment-list a, base, meta[http-equiv]")].map(
        (el) => el.outerHTML.slice(0, 120),
      ),
    };
  });
  expect(found).toEqual({ xss: null, handlers: [], jsUrls: [], injected: [] });
}

test("stored XSS payloads in a post and its comments render inert, under a strict CSP", async ({ page, baseURL }) => {
  const w = watch(page);
  await signIn(page.request, baseURL!);

  // Through the API, as a signed-in user.
  const created = await page.request.post("/api/posts", { data: { title: TITLE, content: CONTENT }, headers: { Origin: baseURL! } });
  expect(created.status(), await created.text()).toBe(201);
  const post = (await created.json()) as { id: number; title: string; contentHtml: string };
  expect(post.title).toBe(TITLE);
  // docs/api.md: contentHtml has no script, no event handlers, no javascript: links
  // (as markup: escaped text such as "&lt;img onerror=…&gt;" is fine).
  expect(unsafeTags(post.contentHtml)).toEqual([]);
  expect(post.contentHtml).toContain("Plain text after the payloads");

  const comment = await page.request.post(`/api/posts/${post.id}/comments`, { data: { body: COMMENT }, headers: { Origin: baseURL! } });
  expect(comment.status(), await comment.text()).toBe(201);

  // The API's own responses: static security headers, a policy that loads nothing.
  const apiRes = await page.request.get(`/api/posts/${post.id}`);
  expect(apiRes.headers()["x-content-type-options"]).toBe("nosniff");
  expect(apiRes.headers()["content-security-policy"]).toContain("default-src 'none'");

  // The post page.
  const res = await page.goto(`/posts/${post.id}`);
  expect(res?.status()).toBe(200);
  await expectStrictCsp(res);
  await expect(page.locator("article > header h1")).toHaveText(TITLE);
  expect(await page.title()).toContain(TITLE);
  const prose = page.locator("article .prose");
  await expect(prose).toContainText("Plain text after the payloads");
  await expect(prose.getByRole("link", { name: "markdown link" })).toHaveCount(0);
  await expect(page.locator(".comment-body").filter({ hasText: `<script>alert("comment")</script>` })).toHaveCount(1);

  // The page still works under the CSP: the client components hydrated.
  const like = page.getByRole("button", { name: /Like/ });
  await expect(like).toHaveAttribute("aria-pressed", "false");
  await like.click();
  await expect(like).toHaveAttribute("aria-pressed", "true");
  await like.click();
  await expect(like).toHaveAttribute("aria-pressed", "false");

  // A payload typed into the comment box shows (pending, then saved) as text.
  await page.getByRole("textbox", { name: "Comment" }).fill(UI_COMMENT);
  await page.getByRole("button", { name: "Post comment" }).click();
  await expect(page.locator(".comment-body").filter({ hasText: UI_COMMENT })).toHaveCount(1);
  await expect(page.locator(".comment-form [role=status]")).toHaveText("Comment posted.");

  // After a reload, everything comes from the server again.
  await expectStrictCsp(await page.reload());
  await expect(page.locator(".comment-body").filter({ hasText: UI_COMMENT })).toHaveCount(1);
  // Give error/load events (img src=x, svg onload) time to fire if anything survived.
  await page.waitForTimeout(500);
  await expectNoActiveContent(page);

  // The title is text on the home page too.
  await expectStrictCsp(await page.goto("/"));
  await expect(page.getByRole("heading", { name: TITLE })).toBeVisible();
  await expectNoActiveContent(page);

  // The author's editor: the preview is rendered in the browser by the same sanitizer.
  await expectStrictCsp(await page.goto(`/posts/${post.id}/edit`));
  await expect(page.locator(".editor-preview .prose")).toContainText("Plain text after the payloads");
  await page.getByRole("textbox", { name: "Content" }).fill(`${CONTENT}\n\n<img src=x onerror=alert('preview')> preview updated`);
  await expect(page.locator(".editor-preview .prose")).toContainText("preview updated");
  await page.waitForTimeout(500);
  await expectNoActiveContent(page);

  expect(w.dialogs, "no dialog may open").toEqual([]);
  expect(w.violations, "no CSP violation").toEqual([]);
  expect(w.pageErrors, "no uncaught error in the page").toEqual([]);
});

test("the CSP blocks markup injected into a page (the second line of defence)", async ({ page }) => {
  const w = watch(page);
  // Simulate a sanitizer bypass: the server's own response, headers and all,
  // with an inline script and an inline event handler added to the HTML.
  await page.route(
    (url) => url.pathname === "/",
    async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace(
        "</body>",
        `<script>window.__injected = "script"; alert("injected")</script><img src="/nope.png" onerror="window.__injected = 'handler'; alert('handler')"></body>`,
      );
      await route.fulfill({ response, body: html });
    },
  );
  const res = await page.goto("/");
  expect(res?.headers()["content-security-policy"]).toContain("'strict-dynamic'");
  await expect(page.getByRole("heading", { level: 1, name: "Latest posts" })).toBeVisible();
  await page.waitForTimeout(500);
  expect(await page.evaluate(() => (window as unknown as { __injected?: string }).__injected ?? null)).toBeNull();
  expect(w.dialogs).toEqual([]);
  // Both were blocked, and the browser said so.
  expect(w.violations.filter((v) => /inline script|inline event handler/i.test(v)).length, w.violations.join("\n")).toBeGreaterThanOrEqual(2);
});

/** Tags in `html` that are not inert: not on the sanitizer's allow-list, with an on* attribute, or a javascript: URL. */
function unsafeTags(html: string): string[] {
  const allowed = new Set(["h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code", "ul", "ol", "li", "strong", "em", "del", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "span"]);
  return (html.match(/<[a-zA-Z][^>]*>/g) ?? []).filter((tag) => {
    const name = /^<([a-zA-Z0-9]+)/.exec(tag)?.[1]?.toLowerCase() ?? "";
    return !allowed.has(name) || /\son[a-z]+\s*=/i.test(tag) || /javascript:/i.test(tag) || /\sstyle\s*=/i.test(tag);
  });
}
