import { expect, test } from "@playwright/test";

// Reading the blog: no sign-in, no client JavaScript needed.

test("the home page lists the 20 newest posts and paginates", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Latest posts" })).toBeVisible();
  const posts = page.getByRole("list", { name: "Posts" }).getByRole("listitem");
  await expect(posts).toHaveCount(20);
  const firstTitleOnPage1 = await posts.first().getByRole("heading").textContent();

  const pagination = page.getByRole("navigation", { name: "Pagination" });
  await expect(pagination).toContainText("Page 1 of 3");
  await pagination.getByRole("link", { name: /Older/ }).click();
  await expect(page).toHaveURL(/\?page=2$/);
  await expect(pagination).toContainText("Page 2 of 3");
  await expect(posts).toHaveCount(20);
  expect(await posts.first().getByRole("heading").textContent()).not.toBe(firstTitleOnPage1);

  await pagination.getByRole("link", { name: /Older/ }).click();
  await expect(pagination).toContainText("Page 3 of 3");
  await expect(posts).toHaveCount(5);
  await expect(pagination.getByRole("link", { name: /Older/ })).toHaveCount(0);

  await pagination.getByRole("link", { name: /Newer/ }).click();
  await expect(pagination).toContainText("Page 2 of 3");
});

test("a post page shows rendered Markdown and its comments", async ({ page, request }) => {
  // Pick a post that has comments, through the public API.
  const list = await (await request.get("/api/posts?pageSize=100")).json();
  const withComments = list.results.find((p: { commentsCount: number }) => p.commentsCount >= 2);
  expect(withComments).toBeTruthy();

  await page.goto("/");
  await page.goto(`/posts/${withComments.id}`);
  await expect(page.getByRole("heading", { level: 1, name: withComments.title })).toBeVisible();
  await expect(page).toHaveTitle(new RegExp(withComments.title.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  // Markdown became markup: headings and lists inside the article body.
  const prose = page.locator(".prose");
  await expect(prose.locator("h2").first()).toBeVisible();
  await expect(prose.locator("ul, ol").first()).toBeVisible();
  await expect(prose).not.toContainText("## ");

  const comments = page.getByRole("region", { name: /comments?/ });
  await expect(comments.getByRole("heading", { name: `${withComments.commentsCount} comments` })).toBeVisible();
  await expect(comments.getByRole("listitem")).toHaveCount(withComments.commentsCount);
});

test("an unknown post shows the not-found page", async ({ page }) => {
  const res = await page.goto("/posts/999999");
  expect(res?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Back to the latest posts" }).click();
  await expect(page.getByRole("heading", { name: "Latest posts" })).toBeVisible();

  expect((await page.goto("/posts/not-a-number"))?.status()).toBe(404);
  expect((await page.goto("/?page=99"))?.status()).toBe(404);
});

test("pages work without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.getByRole("list", { name: "Posts" }).getByRole("listitem")).toHaveCount(20);
  await page.getByRole("list", { name: "Posts" }).getByRole("link").first().click();
  await expect(page.locator(".prose")).toBeVisible();
  await context.close();
});

test("pages report their SQL statements and cache round trips in Server-Timing", async ({ page }) => {
  const home = await page.goto("/");
  expect(home?.headers()["server-timing"]).toMatch(/^db;dur=[\d.]+;desc="\d+ queries", cache;dur=[\d.]+;desc="\d+ round trips/);
  // Warm: the home page is served from the cache (0 statements, 1 round trip).
  const again = await page.goto("/");
  expect(again?.headers()["server-timing"]).toContain('desc="0 queries"');
  expect(again?.headers()["server-timing"]).toContain('desc="1 round trips');
  const post = await page.goto("/posts/1");
  expect(post?.headers()["server-timing"]).toMatch(/db;dur=[\d.]+;desc="\d+ queries"/);
});
