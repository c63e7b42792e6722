import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "@/lib/cache/test-support";

// With REDIS_URL set, several instances may run, and a secret each generated
// for itself would break sessions between them: the server and `npm start`
// refuse to start without BETTER_AUTH_SECRET, and say why. Scripts that sign
// no session (migrate, seed) run as before. Real processes, real PostgreSQL.

const root = path.resolve(import.meta.dirname, "..");
const dataDirs: string[] = [];
// A port nothing listens on: before the fix the server would have started on it.
let port = 0;
beforeAll(async () => {
  port = await closedPort();
});
afterAll(() => {
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A data folder of the test's own: where a generated secret would land. */
function newDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auth-secret-test-"));
  dataDirs.push(dir);
  return dir;
}

/** The environment of a deployment with Redis and no secret (none of vitest's own variables). */
function deploymentEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(NODE_ENV|VITEST.*|TEST|BETTER_AUTH_SECRET)$/.test(k)) env[k] = v;
  return { ...(env as NodeJS.ProcessEnv), REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" };
}

/** Runs `tsx args…`; a process still running after `limitMs` is killed and reported as such. */
function run(args: string[], dataDir: string, limitMs = 60_000): Promise<{ code: number | null; output: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    // Its own process group: what it started (a server, a build) goes with it.
    const child = spawn(path.join(root, "node_modules", ".bin", "tsx"), args, { cwd: root, env: deploymentEnv(dataDir), stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      process.kill(-child.pid!, "SIGKILL");
    }, limitMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output, killed });
    });
  });
}

describe("REDIS_URL without BETTER_AUTH_SECRET", () => {
  it("the server refuses to start and names the variable", async () => {
    const dataDir = newDataDir();
    const { code, output, killed } = await run(["server.ts"], dataDir, 20_000);
    expect(killed).toBe(false);
    expect(code).not.toBe(0);
    expect(output).toMatch(/BETTER_AUTH_SECRET: required when REDIS_URL is set/);
    expect(fs.existsSync(path.join(dataDir, "auth-secret"))).toBe(false);
  });

  it("npm start refuses before it migrates, seeds or builds anything", async () => {
    const dataDir = newDataDir();
    const { code, output, killed } = await run(["--conditions=react-server", "scripts/start.ts"], dataDir, 20_000);
    expect(killed).toBe(false);
    expect(code).toBe(1);
    expect(output).toMatch(/BETTER_AUTH_SECRET: required when REDIS_URL is set/);
    expect(output).not.toMatch(/db:migrate|Seeding|\[build\]/);
    expect(fs.existsSync(path.join(dataDir, "auth-secret"))).toBe(false);
  });

  it("migrate and seed, which sign no session, still run", async () => {
    const dataDir = newDataDir();
    const migrate = await run(["scripts/db/migrate.ts"], dataDir);
    expect([migrate.code, migrate.output]).toEqual([0, expect.stringContaining("up to date")]);
    const seed = await run(["--conditions=react-server", "scripts/seed.ts", "--if-empty"], dataDir);
    expect(seed.code, seed.output).toBe(0);
    expect(fs.existsSync(path.join(dataDir, "auth-secret"))).toBe(false);
  });
});
