import { expect, type Locator, test } from "@playwright/test";

// The /cache dashboard: its charts render, and its live numbers follow the
// traffic the test makes. `UPDATE_SCREENSHOT=1` also writes
// docs/cache-dashboard.png (after some traffic, so the charts have lines).

/** "H of N from cache" → [H, N]; "no reads yet" → [0, 0]. */
async function readCounts(locator: Locator): Promise<[number, number]> {
  const text = (await locator.textContent()) ?? "";
  const match = /([\d,]+) of ([\d,]+) from cache/.exec(text);
  if (!match) return [0, 0];
  return [Number(match[1]!.replaceAll(",", "")), Number(match[2]!.replaceAll(",", ""))];
}

test("the cache dashboard draws its charts and its hit ratio follows the traffic", async ({ page }, testInfo) => {
  // Some traffic first: the dashboard draws the key families it has seen (a
  // list page built from its pieces, a post with its authors).
  for (let i = 0; i < 2; i++) {
    expect((await page.request.get("/api/posts?page=3&pageSize=5")).status()).toBe(200);
    expect((await page.request.get("/api/posts/2")).status()).toBe(200);
  }
  await page.goto("/cache");
  await expect(page.getByRole("heading", { level: 1, name: "Cache dashboard" })).toBeVisible();
  // The status list: mode first (the e2e server runs the default, full).
  await expect(page.getByRole("term").first()).toHaveText("Mode");
  await expect(page.getByRole("definition").first()).toContainText("full");

  // Every chart is a figure with one SVG: one per key family, request cost, invalidations, store.
  const figures = page.getByRole("figure");
  expect(await figures.count()).toBeGreaterThanOrEqual(10);
  for (const figure of await figures.all()) await expect(figure.locator("svg")).toHaveCount(1);
  await expect(page.getByRole("figure", { name: "page hit ratio" }).getByRole("img")).toBeVisible();
  await expect(page.getByRole("figure", { name: "response hit ratio" }).getByRole("img")).toBeVisible();

  // A warm list page is served whole: the "response" family.
  const counts = page.getByTestId("counts-response");
  const ratio = page.getByTestId("ratio-response");
  const [hits, reads] = await readCounts(counts);
  const ratioBefore = (await ratio.textContent()) ?? "";

  // A page size no other test asks for: the first two reads of its whole
  // response are misses (the first one keeps only the page's membership, the
  // second stores it whole), the next ones hits — served by the fast path in
  // front of Next. Enough of them that the ratio cannot stay put ((k-2)/k
  // differs from the ratio so far).
  let k = 4;
  while (reads > 0 && (k - 2) * reads === hits * k) k += 1;
  for (let i = 0; i < k; i++) {
    const res = await page.request.get("/api/posts?page=2&pageSize=7");
    expect(res.status()).toBe(200);
  }

  // The page polls every 2 s.
  await expect(counts).toHaveText(`${(hits + k - 2).toLocaleString("en-US")} of ${(reads + k).toLocaleString("en-US")} from cache`, {
    timeout: 10_000,
  });
  await expect(ratio).not.toHaveText(ratioBefore);
  await expect(ratio).toHaveText(/^\d{1,3}%$/);
  // The store as it is now: Redis's memory and this app's key count (the
  // e2e server's prefix has keys by now; the server looks every 10 s).
  const store = page.getByTestId("store-now");
  await expect(store.getByRole("definition").first()).toHaveText(/^\d[\d.,]* (B|KiB|MiB)$/);
  await expect(store.getByRole("definition").nth(1)).toHaveText(/^[1-9][\d,]*$/, { timeout: 15_000 });
  // Those reads were API requests of the app: the request-cost table lists their route.
  await expect(page.getByRole("table")).toContainText("/api/posts");

  if (process.env.UPDATE_SCREENSHOT === "1") {
    test.setTimeout(120_000);
    // Traffic across families and a few intervals, so the charts have lines, then a write or two.
    const list = (await (await page.request.get("/api/posts?pageSize=10")).json()) as { results: { id: number }[] };
    const ids = list.results.map((p) => p.id);
    for (let round = 0; round < 4; round++) {
      for (const id of ids) await page.request.get(`/api/posts/${id}`);
      for (let p = 1; p <= 3; p++) await page.request.get(`/api/posts?page=${p}`);
      await page.goto("/");
      if (round === 1) {
        // A reader signs up and likes two posts: two bumps of post:{id}:likes.
        const email = `dashboard-${Date.now()}@example.com`;
        const signUp = await page.request.post("/api/auth/sign-up/email", {
          data: { name: "Dashboard Reader", email, password: "dashboard-password-1" },
        });
        expect(signUp.ok()).toBe(true);
        for (const id of ids.slice(0, 2)) expect((await page.request.put(`/api/posts/${id}/like`)).ok()).toBe(true);
      }
      await page.waitForTimeout(5_500); // one snapshot interval
    }
    await page.goto("/cache");
    await expect(page.getByTestId("ratio-post-dto")).toHaveText(/%/);
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.screenshot({ path: "docs/cache-dashboard.png", fullPage: true });
    // The phone layout, for review (test-results/, not committed).
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.getByTestId("ratio-post-dto")).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath("cache-dashboard-phone.png"), fullPage: true });
  }
});
