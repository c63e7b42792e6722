import { expect, type Page, test } from "@playwright/test";
import pg from "pg";

// Signing up, in and out through the real forms, against the built app.
// Users this file creates are deleted at the end (sessions cascade).

const DATABASE_URL = process.env.E2E_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/blog_e2e_test";
const DEMO_PASSWORD = "demo-password";
const run = `${process.pid}-${Date.now().toString(36)}`;
const createdEmails: string[] = [];

let db: pg.Client;
test.beforeAll(async () => {
  db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
});
test.afterAll(async () => {
  await db.query(`DELETE FROM "user" WHERE email = ANY($1::text[])`, [createdEmails]);
  await db.end();
});

async function nameOf(email: string): Promise<string> {
  const { rows } = await db.query<{ name: string }>(`SELECT name FROM "user" WHERE email = $1`, [email]);
  if (!rows[0]) throw new Error(`no user ${email} in the e2e database`);
  return rows[0].name;
}

const nav = (page: Page) => page.getByRole("navigation", { name: "Site" });

async function signIn(page: Page, email: string, password: string) {
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
}

test("sign up through the form, see my name in the nav, sign out", async ({ page }) => {
  const name = `E2E Writer ${run}`;
  const email = `e2e-${run}@example.com`;
  createdEmails.push(email);

  await page.goto("/");
  await nav(page).getByRole("link", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/sign-up$/);
  const form = page.getByRole("form", { name: "Create an account" });

  // Checked before anything is sent: a short password is refused, on its field.
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill("short");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(form.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByText("Use at least 8 characters for your password.")).toBeVisible();

  await form.getByLabel("Password").fill("a-long-enough-password");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(nav(page).getByText(name)).toBeVisible();
  await expect(nav(page).getByRole("link", { name: "New post" })).toHaveAttribute("href", "/posts/new");
  await expect(nav(page).getByRole("link", { name: "Sign in" })).toHaveCount(0);

  // Survives a full reload: the session is a cookie the server reads.
  await page.reload();
  await expect(nav(page).getByText(name)).toBeVisible();

  await nav(page).getByRole("button", { name: "Sign out" }).click();
  await expect(nav(page).getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(nav(page).getByText(name)).toHaveCount(0);
  await expect(page).toHaveURL(/\/$/);
  await page.reload();
  await expect(nav(page).getByRole("link", { name: "Sign in" })).toBeVisible();
});

test("an email that is taken gets a clear message on the email field", async ({ page }) => {
  await page.goto("/sign-up");
  const form = page.getByRole("form", { name: "Create an account" });
  await form.getByLabel("Name").fill("Someone Else");
  await form.getByLabel("Email").fill("demo3@example.com");
  await form.getByLabel("Password").fill("another-password");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(form.getByRole("alert")).toHaveText(/An account with this email already exists/);
  await expect(form.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL(/\/sign-up$/);
});

test("sign in as a demo user", async ({ page }) => {
  const name = await nameOf("demo2@example.com");
  await page.goto("/");
  await nav(page).getByRole("link", { name: "Sign in" }).click();
  await signIn(page, "demo2@example.com", DEMO_PASSWORD);
  await expect(nav(page).getByText(name)).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
});

test("a wrong password shows the error and stays on the form", async ({ page }) => {
  await page.goto("/sign-in");
  await signIn(page, "demo2@example.com", "not-the-password");
  const form = page.getByRole("form", { name: "Sign in" });
  await expect(form.getByRole("alert")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(nav(page).getByRole("link", { name: "Sign in" })).toBeVisible();
  // The form can be used again at once.
  await expect(form.getByRole("button", { name: "Sign in" })).toBeEnabled();
});

test("signing in brings the reader back to ?next=", async ({ page }) => {
  const name = await nameOf("demo4@example.com");
  await page.goto("/sign-in?next=/posts/3");
  // The link to the other form keeps where the reader is headed.
  await expect(page.getByRole("link", { name: "Create an account" })).toHaveAttribute("href", "/sign-up?next=%2Fposts%2F3");
  await signIn(page, "demo4@example.com", DEMO_PASSWORD);
  await expect(page).toHaveURL(/\/posts\/3$/);
  await expect(nav(page).getByText(name)).toBeVisible();
});

test("a ?next= to another site lands on the home page instead", async ({ page }) => {
  await page.goto("/sign-in?next=//evil.com");
  await expect(page.getByRole("link", { name: "Create an account" })).toHaveAttribute("href", "/sign-up");
  await signIn(page, "demo5@example.com", DEMO_PASSWORD);
  await expect(nav(page).getByRole("button", { name: "Sign out" })).toBeVisible();
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/$/);
});

test("the nav's sign-in link comes back to the page the reader was on", async ({ page }) => {
  await page.goto("/posts/2");
  await expect(nav(page).getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/sign-in?next=%2Fposts%2F2");
});
