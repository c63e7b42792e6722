// Signed-in requests for integration tests: real users in the test database,
// real sessions from better-auth (no mocks, no forged cookies).
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { getAuth } from "@/lib/auth/auth";
import { DEMO_PASSWORD, hashDemoPassword } from "@/lib/seed/password";

export interface TestUser {
  id: string;
  name: string;
  email: string;
  /** The Cookie header of a signed-in session. */
  cookie: string;
}

/** Signs in through better-auth's own API and returns the Cookie header its Set-Cookie gives. */
export async function signIn(email: string, password = DEMO_PASSWORD): Promise<string> {
  const { headers } = await getAuth().api.signInEmail({ body: { email, password }, returnHeaders: true });
  const cookies = headers.getSetCookie().map((c) => c.split(";")[0]);
  if (cookies.length === 0) throw new Error(`sign-in of ${email} set no cookie`);
  return cookies.join("; ");
}

/**
 * Creates `n` users with credential accounts (the demo password) straight in
 * the database — the seed's way — and signs each in. Removed by `deleteUsers`.
 */
export async function createUsers(db: pg.Client, n: number, label = "t"): Promise<TestUser[]> {
  const hash = await hashDemoPassword();
  const run = `${label}${process.pid}${randomBytes(3).toString("hex")}`;
  const users = Array.from({ length: n }, (_, i) => ({
    id: `test_${run}_${i}`,
    name: `Tester ${i} ${run}`,
    email: `${run}-${i}@example.com`,
  }));
  await db.query(
    `INSERT INTO "user" (id, name, email, "emailVerified", "updatedAt")
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::timestamptz[])`,
    [users.map((u) => u.id), users.map((u) => u.name), users.map((u) => u.email), users.map(() => true), users.map(() => new Date())],
  );
  await db.query(
    `INSERT INTO "account" (id, "accountId", "providerId", "userId", password, "updatedAt")
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])`,
    [users.map((u) => `acc_${u.id}`), users.map((u) => u.id), users.map(() => "credential"), users.map((u) => u.id), users.map(() => hash), users.map(() => new Date())],
  );
  return Promise.all(users.map(async (u) => ({ ...u, cookie: await signIn(u.email) })));
}

/** Deletes users (their sessions, posts, likes and comments cascade). */
export async function deleteUsers(db: pg.Client, users: readonly TestUser[]): Promise<void> {
  if (users.length > 0) await db.query(`DELETE FROM "user" WHERE id = ANY($1::text[])`, [users.map((u) => u.id)]);
}
