import { expect, test, type Browser, type BrowserContext, type Locator, type Page } from "@playwright/test";

// Liking, commenting, writing, editing and deleting, as signed-in readers in
// Chromium. The likes and comments land on a post this file creates (and
// deletes), so the seeded data other specs count stays as it was.

const PASSWORD = "demo-password";
// Demo users of the e2e seed that other specs leave alone.
const READER = "demo27@example.com";
const AUTHOR = "demo28@example.com";
const NEWCOMER = "demo29@example.com";

type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

// One sign-in per user for the whole file: the auth library rate-limits
// sign-ins (10 a minute), and the cookie is all a test needs.
const sessions = new Map<string, StorageState>();

async function signedIn(browser: Browser, baseURL: string, email: string): Promise<BrowserContext> {
  let state = sessions.get(email);
  if (!state) {
    const context = await browser.newContext();
    const res = await context.request.post("/api/auth/sign-in/email", {
      data: { email, password: PASSWORD },
      headers: { Origin: baseURL },
    });
    expect(res.ok(), `sign in as ${email}: ${res.status()} ${await res.text()}`).toBe(true);
    state = await context.storageState();
    await context.close();
    sessions.set(email, state);
  }
  return browser.newContext({ storageState: state });
}

/** Uncaught errors and console errors (a hydration mismatch is one) on `page`, to assert none at the end. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // A response the test itself made fail (route.fulfill) is logged by Chromium; that one is expected.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/**
 * Waits until React has hydrated `locator`'s element (React keeps its props on
 * the DOM node from then on). For steps that only work with the client code
 * running; controls that would misbehave before then are disabled instead.
 */
async function hydrated(locator: Locator): Promise<void> {
  await expect
    .poll(() => locator.evaluate((el) => Object.keys(el).some((k) => k.startsWith("__reactProps$"))))
    .toBe(true);
}

const likeButton = (page: Page) => page.getByRole("button", { name: /^Like\b/ });
const commentsRegion = (page: Page) => page.getByRole("region", { name: /comments?$/ });
const homeCard = (page: Page, title: string) =>
  page.getByRole("list", { name: "Posts" }).getByRole("listitem").filter({ has: page.getByRole("link", { name: title, exact: true }) });

test.describe.configure({ mode: "serial" });

let post: { id: number; title: string; path: string };
let authorContext: BrowserContext;

test.beforeAll(async ({ browser, baseURL }) => {
  authorContext = await signedIn(browser, baseURL!, AUTHOR);
  const title = `Interactions fixture ${Date.now()}`;
  const res = await authorContext.request.post("/api/posts", {
    data: { title, content: "A post for the **interaction** tests.\n\n- likes\n- comments" },
    headers: { Origin: baseURL! },
  });
  expect(res.status(), await res.text()).toBe(201);
  const created = (await res.json()) as { id: number };
  post = { id: created.id, title, path: `/posts/${created.id}` };
});

test.afterAll(async ({ baseURL }) => {
  // Its likes and comments go with it (docs/api.md).
  if (post) await authorContext.request.delete(`/api/posts/${post.id}`, { headers: { Origin: baseURL! } });
  await authorContext?.close();
});

test("a reader likes a post; the count goes up at once and stays after a reload; then unlikes it", async ({ browser, baseURL }) => {
  const context = await signedIn(browser, baseURL!, READER);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(post.path);
  const like = likeButton(page);
  await expect(like).toHaveAttribute("aria-pressed", "false");
  await expect(like).toHaveAccessibleName("Like · 0 likes");

  // Hold the request back: the button must not wait for it.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(`**/api/posts/${post.id}/like`, async (route) => {
    await held;
    await route.continue();
  });
  const liked = page.waitForResponse((r) => r.url().endsWith(`/api/posts/${post.id}/like`) && r.request().method() === "PUT");
  await like.click();
  await expect(like).toHaveAttribute("aria-pressed", "true");
  await expect(like).toHaveAccessibleName("Like · 1 like");
  release();
  expect((await liked).status()).toBe(200);
  await page.unroute(`**/api/posts/${post.id}/like`);

  await page.reload();
  await expect(like).toHaveAttribute("aria-pressed", "true");
  await expect(like).toHaveAccessibleName("Like · 1 like");

  const unliked = page.waitForResponse((r) => r.url().endsWith("/like") && r.request().method() === "DELETE");
  await like.click();
  await expect(like).toHaveAttribute("aria-pressed", "false");
  await expect(like).toHaveAccessibleName("Like · 0 likes");
  expect((await unliked).status()).toBe(200);
  await page.reload();
  await expect(like).toHaveAttribute("aria-pressed", "false");
  await expect(like).toHaveAccessibleName("Like · 0 likes");
  expect(errors).toEqual([]);
  await context.close();
});

test("a double click counts once, and the button ends as the last click left it", async ({ browser, baseURL }) => {
  const context = await signedIn(browser, baseURL!, READER);
  const page = await context.newPage();
  await page.goto(post.path);
  const like = likeButton(page);
  await expect(like).toHaveAttribute("aria-pressed", "false");
  const answered: string[] = [];
  page.on("response", (r) => {
    if (r.url().endsWith(`/api/posts/${post.id}/like`)) answered.push(`${r.request().method()} ${r.status()}`);
  });

  await like.click();
  await like.click();
  await like.click();
  await expect(like).toHaveAttribute("aria-pressed", "true");
  await expect(like).toHaveAccessibleName("Like · 1 like");
  // One request per click, one at a time, in click order…
  await expect.poll(() => answered).toEqual(["PUT 200", "DELETE 200", "PUT 200"]);
  // …so the server agrees with the button.
  expect((await (await context.request.get(`/api/posts/${post.id}`)).json()).likesCount).toBe(1);
  await page.reload();
  await expect(like).toHaveAttribute("aria-pressed", "true");
  await expect(like).toHaveAccessibleName("Like · 1 like");

  await like.click();
  await expect(like).toHaveAccessibleName("Like · 0 likes");
  await expect
    .poll(async () => (await (await context.request.get(`/api/posts/${post.id}`)).json()).likesCount)
    .toBe(0);
  await context.close();
});

test("a like that fails is rolled back with a message", async ({ browser, baseURL }) => {
  const context = await signedIn(browser, baseURL!, READER);
  const page = await context.newPage();
  await page.goto(post.path);
  await page.route(`**/api/posts/${post.id}/like`, (route) =>
    route.fulfill({ status: 500, json: { error: { code: "internal", message: "Something went wrong on our side." } } }),
  );
  const like = likeButton(page);
  await like.click();
  await expect(page.getByRole("alert").filter({ hasText: "Your like was not saved" })).toBeVisible();
  await expect(like).toHaveAttribute("aria-pressed", "false");
  await expect(like).toHaveAccessibleName("Like · 0 likes");
  await context.close();
});

test("two readers: one likes, the other reloads and sees the count", async ({ browser, baseURL }) => {
  const reader = await signedIn(browser, baseURL!, READER);
  const readerPage = await reader.newPage();
  const authorPage = await authorContext.newPage();
  await readerPage.goto(post.path);
  await authorPage.goto(post.path);
  await expect(likeButton(authorPage)).toHaveAccessibleName("Like · 0 likes");

  const liked = readerPage.waitForResponse((r) => r.url().endsWith("/like") && r.request().method() === "PUT");
  await likeButton(readerPage).click();
  expect((await liked).status()).toBe(200);

  await authorPage.reload();
  await expect(likeButton(authorPage)).toHaveAccessibleName("Like · 1 like");
  // Liked by the other reader, not by the author.
  await expect(likeButton(authorPage)).toHaveAttribute("aria-pressed", "false");
  await authorPage.goto("/");
  await expect(homeCard(authorPage, post.title).getByTestId("likes-count")).toHaveText("1 like");

  const unliked = readerPage.waitForResponse((r) => r.url().endsWith("/like") && r.request().method() === "DELETE");
  await likeButton(readerPage).click();
  expect((await unliked).status()).toBe(200);
  await authorPage.close();
  await reader.close();
});

test("a reader posts a comment: it is on top at once, counted, and on the home page", async ({ browser, baseURL }) => {
  const context = await signedIn(browser, baseURL!, READER);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(post.path);
  const comments = commentsRegion(page);
  await expect(comments.getByRole("heading", { name: "0 comments" })).toBeVisible();
  const box = comments.getByRole("textbox", { name: "Comment" });
  const send = comments.getByRole("button", { name: "Post comment" });

  // Nothing to send: said inline, and no request.
  let posts = 0;
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith(`/api/posts/${post.id}/comments`)) posts++;
  });
  await box.fill("   \n  ");
  await send.click();
  await expect(comments.getByRole("alert")).toHaveText("Write something before posting.");
  expect(posts).toBe(0);

  const first = `First! ${Date.now()}`;
  const saved = page.waitForResponse((r) => r.url().endsWith("/comments") && r.request().method() === "POST");
  await box.fill(first);
  await send.click();
  await expect(comments.getByRole("listitem").first()).toContainText(first);
  await expect(comments.getByRole("heading", { name: "1 comment" })).toBeVisible();
  expect((await saved).status()).toBe(201);
  await expect(comments.getByRole("alert")).toBeEmpty();
  await expect(box).toHaveValue("");

  const second = `Second ${Date.now()}`;
  await box.fill(second);
  await send.click();
  await expect(comments.getByRole("listitem").first()).toContainText(second);
  await expect(comments.getByRole("heading", { name: "2 comments" })).toBeVisible();
  await expect(comments.getByRole("listitem").nth(1)).toContainText(first);
  // Saved: the pending mark is gone and the author's name is on it.
  await expect(comments.getByRole("listitem").first()).not.toHaveAttribute("aria-busy", "true");

  await page.reload();
  await expect(comments.getByRole("heading", { name: "2 comments" })).toBeVisible();
  await expect(comments.getByRole("listitem").first()).toContainText(second);

  await page.goto("/");
  await expect(homeCard(page, post.title).getByTestId("comments-count")).toHaveText("2 comments");
  expect(errors).toEqual([]);
  await context.close();
});

test("a refused comment disappears, keeps its text and says when to try again", async ({ browser, baseURL }) => {
  const context = await signedIn(browser, baseURL!, READER);
  const page = await context.newPage();
  await page.goto(post.path);
  const comments = commentsRegion(page);
  const before = await comments.getByRole("heading", { level: 2 }).textContent();
  await page.route(`**/api/posts/${post.id}/comments`, async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    await new Promise((r) => setTimeout(r, 300));
    await route.fulfill({
      status: 429,
      headers: { "Retry-After": "42" },
      json: { error: { code: "rate_limited", message: "Too many comments." } },
    });
  });
  const text = `Too fast ${Date.now()}`;
  await comments.getByRole("textbox", { name: "Comment" }).fill(text);
  await comments.getByRole("button", { name: "Post comment" }).click();
  // Pending on top first…
  await expect(comments.getByRole("listitem").first()).toContainText(text);
  // …then gone, with the reason and the text back in the box.
  await expect(comments.getByRole("alert")).toContainText("try again in 42 s");
  await expect(comments.getByRole("listitem").filter({ hasText: text })).toHaveCount(0);
  await expect(comments.getByRole("textbox", { name: "Comment" })).toHaveValue(text);
  await expect(comments.getByRole("heading", { level: 2 })).toHaveText(before!);
  await context.close();
});

test("only the author gets Edit and Delete", async ({ browser, baseURL }) => {
  const reader = await signedIn(browser, baseURL!, READER);
  const readerPage = await reader.newPage();
  await readerPage.goto(post.path);
  await expect(likeButton(readerPage)).toBeVisible();
  await expect(readerPage.getByRole("link", { name: "Edit" })).toHaveCount(0);
  await expect(readerPage.getByRole("button", { name: "Delete", exact: true })).toHaveCount(0);
  // Straight to the edit page: refused before anyone types.
  await readerPage.goto(`${post.path}/edit`);
  await expect(readerPage.getByRole("heading", { name: "You can’t edit this post" })).toBeVisible();
  await expect(readerPage.getByRole("textbox", { name: "Title" })).toHaveCount(0);
  await reader.close();

  const authorPage = await authorContext.newPage();
  await authorPage.goto(post.path);
  await expect(authorPage.getByRole("link", { name: "Edit" })).toBeVisible();
  await expect(authorPage.getByRole("button", { name: "Delete", exact: true })).toBeVisible();
  await authorPage.close();
});

test("a reader writes a post, edits its title, and deletes it", async ({ browser, baseURL }) => {
  const context = await signedIn(browser, baseURL!, READER);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto("/posts/new");
  await expect(page.getByRole("heading", { level: 1, name: "New post" })).toBeVisible();

  // Nothing filled in: errors per field, no request.
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByRole("textbox", { name: "Title" })).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Give your post a title.")).toBeVisible();
  await expect(page.getByText("Write something in the post.")).toBeVisible();

  const title = `Written in the browser ${Date.now()}`;
  await page.getByRole("textbox", { name: "Title" }).fill(title);
  await page.getByRole("textbox", { name: "Content" }).fill("## A heading\n\nSome **bold** text.\n\n- one\n- two");
  // The live preview, rendered as the server renders.
  const preview = page.getByRole("region", { name: "Preview" });
  await expect(preview.getByRole("heading", { name: "A heading" })).toBeVisible();
  await expect(preview.locator("strong")).toHaveText("bold");
  await expect(preview.getByRole("listitem")).toHaveCount(2);

  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page).toHaveURL(/\/posts\/\d+$/);
  const path = new URL(page.url()).pathname;
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await expect(page.locator(".prose h2")).toHaveText("A heading");

  await page.goto("/");
  const firstCard = page.getByRole("list", { name: "Posts" }).getByRole("listitem").first();
  await expect(firstCard.getByRole("heading")).toHaveText(title);

  // Edit the title.
  await page.goto(path);
  await page.getByRole("link", { name: "Edit" }).click();
  await expect(page).toHaveURL(`${path}/edit`);
  await expect(page.getByRole("textbox", { name: "Title" })).toHaveValue(title);
  const newTitle = `${title} (edited)`;
  await page.getByRole("textbox", { name: "Title" }).fill(newTitle);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page).toHaveURL(path);
  await expect(page.getByRole("heading", { level: 1, name: newTitle })).toBeVisible();
  await page.goto("/");
  await expect(firstCard.getByRole("heading")).toHaveText(newTitle);

  // Delete it: asked first, Cancel keeps it.
  await page.goto(path);
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this post?" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await dialog.getByRole("button", { name: "Delete post" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { level: 1, name: "Latest posts" })).toBeVisible();
  await expect(page.getByRole("link", { name: newTitle })).toHaveCount(0);
  expect((await page.goto(path))?.status()).toBe(404);
  expect(errors).toEqual([]);
  await context.close();
});

test("an anonymous reader who likes or comments is sent to sign in and brought back", async ({ page }) => {
  await page.goto(post.path);
  // No waiting for hydration: for an anonymous reader the button works without it.
  await likeButton(page).click();
  await expect(page).toHaveURL(`/sign-in?next=${encodeURIComponent(post.path)}`);

  await page.goBack();
  await expect(page).toHaveURL(post.path);
  // Keeping the draft across the sign-in is the client code's job.
  const box = commentsRegion(page).getByRole("textbox", { name: "Comment" });
  await hydrated(box);
  const draft = `Written before signing in ${Date.now()}`;
  await box.fill(draft);
  await commentsRegion(page).getByRole("button", { name: "Post comment" }).click();
  await expect(page).toHaveURL(`/sign-in?next=${encodeURIComponent(post.path)}`);

  await page.getByRole("textbox", { name: "Email" }).fill(NEWCOMER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(post.path);
  // Signed in now: the draft is waiting, and Like works.
  await expect(commentsRegion(page).getByRole("textbox", { name: "Comment" })).toHaveValue(draft);
  await likeButton(page).click();
  await expect(likeButton(page)).toHaveAttribute("aria-pressed", "true");
  const unliked = page.waitForResponse((r) => r.url().endsWith("/like") && r.request().method() === "DELETE");
  await likeButton(page).click();
  await expect(likeButton(page)).toHaveAttribute("aria-pressed", "false");
  expect((await unliked).status()).toBe(200);
});

test("the post page fits a phone screen", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(post.path);
  await expect(likeButton(page)).toBeVisible();
  await expect(commentsRegion(page).getByRole("textbox", { name: "Comment" })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test("without JavaScript the post page still reads, and Like leads to sign in", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(post.path);
  await expect(page.getByRole("heading", { level: 1, name: post.title })).toBeVisible();
  await expect(likeButton(page)).toHaveAccessibleName(/^Like · \d+ likes?$/);
  await expect(commentsRegion(page).getByRole("heading", { name: /^\d+ comments?$/ })).toBeVisible();
  await expect(commentsRegion(page).getByRole("listitem").first()).toBeVisible();
  await likeButton(page).click();
  await expect(page).toHaveURL(`/sign-in?next=${encodeURIComponent(post.path)}`);
  await context.close();
});
