import { expect, type Page, test } from "@playwright/test";

// Browsing warm pages with the fast path on (the e2e server is `npm start`:
// production, CACHE_MODE=full): full page loads and client-side navigations
// (RSC payloads) are answered whole from the cache — each response with its
// own nonce — and nothing breaks in the browser: no CSP violation, no error.

/** Collects CSP violations and page errors, and counts full page loads. */
function watch(page: Page) {
  const seen = { violations: [] as string[], errors: [] as string[], loads: 0, navigations: [] as { url: string; timing: string }[] };
  page.on("console", (msg) => {
    if (/Content Security Policy|Refused to (execute|load|apply|frame|connect)/i.test(msg.text())) seen.violations.push(msg.text());
  });
  page.on("pageerror", (error) => seen.errors.push(error.message));
  page.on("load", () => (seen.loads += 1));
  page.on("response", (res) => {
    const req = res.request();
    if (req.headers()["rsc"] === "1" && !req.headers()["next-router-prefetch"]) {
      seen.navigations.push({ url: res.url(), timing: res.headers()["server-timing"] ?? "" });
    }
  });
  return seen;
}

test("moving between warm pages: served whole, client-side, with no CSP violation", async ({ page, request }) => {
  const list = await (await request.get("/api/posts?pageSize=20")).json();
  const [first, second] = list.results as { id: number; title: string }[];
  // Warm every page and navigation payload the walk below fetches (a page is stored on its second build).
  for (let round = 0; round < 3; round++) {
    for (const path of ["/", "/?page=2", `/posts/${first!.id}`, `/posts/${second!.id}`]) {
      await request.get(path);
      await request.get(`${path}${path.includes("?") ? "&" : "?"}_rsc=`, { headers: { RSC: "1" }, maxRedirects: 0 });
    }
  }

  const seen = watch(page);
  await page.goto("/");
  const posts = page.getByRole("list", { name: "Posts" });
  await posts.getByRole("link", { name: first!.title, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: first!.title })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole("heading", { name: "Latest posts" })).toBeVisible();
  await page.getByRole("navigation", { name: "Pagination" }).getByRole("link", { name: /Older/ }).click();
  await expect(page).toHaveURL(/\?page=2$/);
  await expect(page.getByRole("navigation", { name: "Pagination" })).toContainText("Page 2 of 3");
  await page.getByRole("link", { name: "Cached Blog" }).click();
  await expect(page).toHaveURL(/\/$/);
  await posts.getByRole("link", { name: second!.title, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: second!.title })).toBeVisible();

  // One full load; every move after it was a client-side navigation …
  expect(seen.loads).toBe(1);
  expect(seen.navigations.length).toBeGreaterThanOrEqual(3);
  // … answered from the cache: no SQL, one round trip.
  for (const nav of seen.navigations) expect(nav.timing, nav.url).toMatch(/desc="0 queries".*desc="1 round trips/);
  expect(seen.violations).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test("a cached page carries a fresh nonce every time, and its scripts run", async ({ page }) => {
  for (let i = 0; i < 3; i++) await page.goto("/posts/3"); // stored on its second build
  const nonces: string[] = [];
  for (let i = 0; i < 2; i++) {
    const seen = watch(page);
    const res = await page.goto("/posts/3");
    const csp = res?.headers()["content-security-policy"] ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    nonces.push(nonce!);
    // Its scripts ran (they carry the nonce): Next's client is up.
    await page.waitForFunction(() => (window as unknown as { next?: { version?: string } }).next?.version !== undefined);
    expect(seen.violations).toEqual([]);
  }
  expect(nonces[0]).not.toBe(nonces[1]);
});
