import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/auth/[...all]/route";
import { getViewer } from "@/lib/auth/session";
import { getEnv } from "@/lib/env";
import { DEMO_PASSWORD } from "@/lib/seed/password";
import { call } from "./http";

// better-auth's own routes, called in-process the way Next.js calls them, on
// the real PostgreSQL: sign up, sign in, session, sign out, origin checks and
// the sign-in / sign-up rate limits (lib/auth/auth.ts).
//
// Rate limiting counts per client IP (X-Forwarded-For) and path, in memory.
// Each test sends its own IP, as distinct clients would: otherwise this file's
// own sign-ups (5 a minute) would throttle each other.

const ORIGIN = getEnv().authUrl;
const run = `t-${process.pid}-${Date.now().toString(36)}`;
let emailCount = 0;
const created: string[] = [];
let ipCount = 0;

/** A fresh address for a user this file creates (deleted in afterAll). */
function newEmail(): string {
  const email = `${run}-${++emailCount}@example.com`;
  created.push(email);
  return email;
}

/** A client IP no other test in this run uses (TEST-NET-2, 198.51.100.0/24, then beyond). */
function newIp(): string {
  ipCount += 1;
  return `198.51.${100 + Math.floor(ipCount / 250)}.${ipCount % 250}`;
}

/** A browser's cookie jar, enough for better-auth's cookies. */
class Jar {
  private cookies = new Map<string, string>();
  /** Takes a response's Set-Cookie headers (Max-Age=0 or an empty value removes). */
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === "" || attributes.some((a) => /^max-age=0$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  get header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  names(): string[] {
    return [...this.cookies.keys()].sort();
  }
  clone(): Jar {
    const copy = new Jar();
    copy.cookies = new Map(this.cookies);
    return copy;
  }
}

interface Client {
  ip: string;
  jar: Jar;
  origin?: string;
}

function client(ip = newIp()): Client {
  return { ip, jar: new Jar() };
}

async function post(c: Client, path: string, body: unknown = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json", "x-forwarded-for": c.ip };
  headers.origin = c.origin ?? ORIGIN;
  if (c.jar.header) headers.cookie = c.jar.header;
  const res = await call(POST, `/api/auth${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  c.jar.take(res);
  return res;
}

async function getSession(jar: Jar): Promise<{ user: { id: string; email: string; name: string } } | null> {
  const res = await call(GET, "/api/auth/get-session", { headers: jar.header ? { cookie: jar.header } : {} });
  expect(res.status).toBe(200);
  return (await res.json()) as { user: { id: string; email: string; name: string } } | null;
}

function signUp(c: Client, body: { name: string; email: string; password: string }) {
  return post(c, "/sign-up/email", body);
}

function signIn(c: Client, email: string, password: string) {
  return post(c, "/sign-in/email", { email, password });
}

async function errorOf(res: Response): Promise<{ code?: string; message?: string }> {
  return (await res.json()) as { code?: string; message?: string };
}

let db: pg.Client;
beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
afterAll(async () => {
  // Sessions and accounts cascade.
  await db.query(`DELETE FROM "user" WHERE email = ANY($1::text[])`, [created]);
  await db.end();
});

async function userCount(email: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "user" WHERE email = $1`, [email]);
  return Number(rows[0]!.n);
}

describe("sign up, session, sign out", () => {
  it("signs a new user up with an httpOnly SameSite=Lax session cookie, then out", async () => {
    const c = client();
    const email = newEmail();
    const res = await signUp(c, { name: "  Ada Tester  ", email, password: "correct horse" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; user: { id: string; email: string; name: string } };
    expect(body.user).toMatchObject({ email, name: "Ada Tester" }); // the name is stored trimmed

    const setCookies = res.headers.getSetCookie();
    const sessionCookie = setCookies.find((c) => c.startsWith("better-auth.session_token="));
    expect(sessionCookie, setCookies.join("\n")).toBeDefined();
    const attributes = sessionCookie!.split(";").slice(1).map((a) => a.trim().toLowerCase());
    expect(attributes).toContain("httponly");
    expect(attributes).toContain("samesite=lax");
    expect(attributes).toContain("path=/");
    expect(attributes).not.toContain("secure"); // http://localhost: Secure only on https
    // The 60 s signed session cache rides in a second cookie, just as locked down.
    const dataCookie = setCookies.find((c) => c.startsWith("better-auth.session_data="));
    expect(dataCookie?.toLowerCase()).toMatch(/httponly/);
    expect(dataCookie?.toLowerCase()).toMatch(/samesite=lax/);

    const session = await getSession(c.jar);
    expect(session?.user).toMatchObject({ id: body.user.id, email, name: "Ada Tester" });
    expect(await getViewer(new Headers({ cookie: c.jar.header }))).toEqual({ id: body.user.id, name: "Ada Tester" });

    const stolen = c.jar.clone();
    const out = await post(c, "/sign-out");
    expect(out.status).toBe(200);
    expect(c.jar.names()).toEqual([]); // both cookies expired
    expect(await getSession(c.jar)).toBeNull();
    expect(await getViewer(new Headers({ cookie: c.jar.header }))).toBeNull();

    // The session row is gone: the old token alone no longer works...
    const tokenOnly = stolen.header.split("; ").filter((c) => c.startsWith("better-auth.session_token=")).join("; ");
    expect(await getViewer(new Headers({ cookie: tokenOnly }))).toBeNull();
    // ...but with the signed cache cookie it still does, for up to 60 s: the
    // documented price of not querying the session on every request.
    expect(await getViewer(new Headers({ cookie: stolen.header }))).toEqual({ id: body.user.id, name: "Ada Tester" });
  });

  it("refuses an email that is taken, whatever its case", async () => {
    const c = client();
    const res = await signUp(c, { name: "Copy", email: "demo1@example.com", password: "another-password" });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toMatchObject({ code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL" });
    expect(res.headers.getSetCookie()).toEqual([]);

    const upper = await signUp(c, { name: "Copy", email: "DEMO1@Example.com", password: "another-password" });
    expect(upper.status).toBe(422);
  });

  it("refuses a password under 8 characters and creates nothing", async () => {
    const c = client();
    const email = newEmail();
    const res = await signUp(c, { name: "Short", email, password: "1234567" });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "PASSWORD_TOO_SHORT" });
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await userCount(email)).toBe(0);
  });

  it("refuses a blank name and creates nothing", async () => {
    const c = client();
    const email = newEmail();
    const res = await signUp(c, { name: "   ", email, password: "long-enough" });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "INVALID_NAME" });
    expect(await userCount(email)).toBe(0);
  });
});

describe("sign in", () => {
  it("signs a seeded demo user in with the demo password", async () => {
    const c = client();
    const res = await signIn(c, "demo1@example.com", DEMO_PASSWORD);
    expect(res.status).toBe(200);
    const { user } = (await res.json()) as { user: { id: string; name: string } };
    expect(c.jar.names()).toContain("better-auth.session_token");
    expect(await getViewer(new Headers({ cookie: c.jar.header }))).toEqual({ id: user.id, name: user.name });
    expect((await post(c, "/sign-out")).status).toBe(200);
  });

  it("answers 401 to a wrong password and to an unknown email, with the same message", async () => {
    const c = client();
    const wrong = await signIn(c, "demo1@example.com", "not-the-password");
    expect(wrong.status).toBe(401);
    const unknown = await signIn(c, `nobody-${run}@example.com`, "whatever-password");
    expect(unknown.status).toBe(401);
    const wrongBody = await errorOf(wrong);
    expect(wrongBody).toMatchObject({ code: "INVALID_EMAIL_OR_PASSWORD" });
    expect(await errorOf(unknown)).toEqual(wrongBody); // no account enumeration
    expect(c.jar.names()).toEqual([]);
  });

  it("has no viewer without a session cookie, or with a forged one", async () => {
    expect(await getViewer(new Headers())).toBeNull();
    expect(await getViewer(new Headers({ cookie: "better-auth.session_token=forged.value" }))).toBeNull();
  });
});

describe("origin checks", () => {
  it("refuses a sign-in from another site", async () => {
    const c = { ...client(), origin: "https://evil.example" };
    const res = await signIn(c, "demo1@example.com", DEMO_PASSWORD);
    expect(res.status).toBe(403);
    // Refused by the app's own cross-site check (docs/api.md's error shape) before better-auth sees it.
    expect(await res.json()).toMatchObject({ error: { code: "forbidden" } });
    expect(c.jar.names()).toEqual([]);
  });

  it("refuses a cookie-carrying POST without an Origin", async () => {
    const c = client();
    expect((await signIn(c, "demo1@example.com", DEMO_PASSWORD)).status).toBe(200);
    const res = await call(POST, "/api/auth/sign-out", {
      method: "POST",
      headers: { "content-type": "application/json", cookie: c.jar.header, "x-forwarded-for": c.ip },
      body: "{}",
    });
    expect(res.status).toBe(403);
    expect(await getViewer(new Headers({ cookie: c.jar.header }))).not.toBeNull(); // still signed in
    expect((await post(c, "/sign-out")).status).toBe(200);
  });

  it("accepts the loopback twin of a loopback app URL, not a look-alike", async () => {
    const own = new URL(ORIGIN);
    if (!["localhost", "127.0.0.1"].includes(own.hostname)) return; // only meaningful for a loopback app URL
    const twin = `${own.protocol}//${own.hostname === "localhost" ? "127.0.0.1" : "localhost"}${own.port ? `:${own.port}` : ""}`;
    const ok = { ...client(), origin: twin };
    expect((await signIn(ok, "demo1@example.com", DEMO_PASSWORD)).status).toBe(200);
    expect((await post(ok, "/sign-out")).status).toBe(200);
    const lookAlike = { ...client(), origin: `${own.protocol}//localhost.evil.example${own.port ? `:${own.port}` : ""}` };
    expect((await signIn(lookAlike, "demo1@example.com", DEMO_PASSWORD)).status).toBe(403);
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After (and better-auth's X-Retry-After) after 10 sign-in attempts a minute from one IP", async () => {
    const c = client();
    for (let i = 0; i < 10; i++) {
      expect((await signIn(c, "demo1@example.com", `wrong-${i}-password`)).status).toBe(401);
    }
    const limited = await signIn(c, "demo1@example.com", DEMO_PASSWORD); // even the right password
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get("x-retry-after")).toBe(String(retryAfter));
    expect(c.jar.names()).toEqual([]);

    // Another client is not affected.
    const other = client();
    expect((await signIn(other, "demo1@example.com", DEMO_PASSWORD)).status).toBe(200);
    expect((await post(other, "/sign-out")).status).toBe(200);
  });

  it("allows 5 sign-ups a minute from one IP", async () => {
    const c = client();
    for (let i = 0; i < 5; i++) {
      // Failing attempts count too: weak passwords create nothing.
      expect((await signUp(c, { name: "Spam", email: newEmail(), password: "short" })).status).toBe(400);
    }
    const limited = await signUp(c, { name: "Spam", email: newEmail(), password: "long-enough-password" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
