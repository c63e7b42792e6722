// Test databases: created fresh on the local PostgreSQL, migrated, seeded, and
// dropped afterwards. Tests never touch a database they did not create, and
// refuse to run against a server that is not on this machine.
import { spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { applyMigrations } from "@/lib/db/migrate";

const root = path.resolve(import.meta.dirname, "..");

/** The local server tests use (override with TEST_PG_URL, still local only). */
export function testServerUrl(): string {
  const url = process.env.TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
    throw new Error(`Refusing to run tests against a non-local database server (${host}).`);
  }
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `fn` with a client connected to `url`, closed afterwards. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(testServerUrl(), fn);
}

export async function dropDatabase(name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name) || !name.includes("test")) throw new Error(`Not a test database name: ${name}`);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** Drops `name` if it exists, creates and migrates it; returns its URL. */
export async function createTestDatabase(name: string): Promise<string> {
  await dropDatabase(name);
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrl(name);
  await applyMigrations({ kind: "postgres", url });
  return url;
}

/** Runs the real seed script (the same one `npm run db:seed` runs) against `url`. */
export function seedDatabase(url: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(root, "node_modules", ".bin", "tsx"),
      ["--conditions=react-server", "scripts/seed.ts", "--reset", ...args],
      { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DATABASE_URL: url, CI: "true" } },
    );
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`seed exited with ${code}`))));
  });
}

/** The data every integration test file sees (small, deterministic). */
export const TEST_SEED = ["--users", "12", "--posts", "45", "--max-likes", "10", "--max-comments", "4", "--seed", "7"];
