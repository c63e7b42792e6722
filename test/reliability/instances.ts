// Real app instances for the reliability tests: the built app (server.ts)
// started as separate processes on one PostgreSQL database and one Redis, the
// way several instances behind a load balancer run. Each test gets its own
// database, key prefix and ports, and stops what it started by PID.
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { buildIfStale } from "../../scripts/lib/build";
import { createTestDatabase, dropDatabase, seedDatabase } from "../databases";

const root = path.resolve(import.meta.dirname, "..", "..");
const SECRET = "reliability-secret-reliability-secret-0123";

export interface Instance {
  url: string;
  port: number;
  process: ChildProcess;
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
}

/** Builds the app when the build is missing or stale (once per run). */
export async function ensureBuild(): Promise<void> {
  await buildIfStale(run);
}

/** A migrated, seeded database of the test's own; returns its URL and a dropper. */
export async function reliabilityDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const url = await createTestDatabase(name);
  await seedDatabase(url, ["--users", "20", "--posts", "60", "--max-likes", "10", "--max-comments", "3", "--seed", "5"]);
  return { url, drop: () => dropDatabase(name) };
}

/** Starts one instance of the built app and waits until it answers /api/health. */
export async function startInstance(env: {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  authUrl?: string;
  /** CACHE_TIMEOUT_MS; default 1000 (see below). */
  cacheTimeoutMs?: number;
  /** More variables (or overrides) for this instance; `undefined` removes one. */
  extraEnv?: Record<string, string | undefined>;
}): Promise<Instance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(path.join(root, "node_modules", ".bin", "tsx"), ["server.ts"], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(port),
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      CACHE_PREFIX: env.prefix,
      // Generous: a burst of 400 requests on 2 cores delays event loops, and a
      // cache read that times out is a miss (fail-open), which would turn a
      // stampede test into a test of a slow cache. A killed Redis is refused
      // at once whatever this is.
      CACHE_TIMEOUT_MS: String(env.cacheTimeoutMs ?? 1000),
      BETTER_AUTH_SECRET: SECRET,
      BETTER_AUTH_URL: env.authUrl ?? url,
      LOG_LEVEL: "warn",
      // Soaks and mixed loads like and post far faster than a person; the
      // per-user limits themselves are tested in test/mutations.test.ts.
      LIKES_PER_MINUTE: "1000000",
      POSTS_PER_MINUTE: "1000000",
      ...env.extraEnv,
    },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`instance exited early (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200) return { url, port, process: child, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`instance on ${port} did not become healthy: ${stderr}`);
}

/**
 * Admission control off: for tests that count what a burst of requests does
 * once it reaches the app (200 at once for one cold post, on a 2-core machine
 * shared with a second instance). With it on, some of them would be answered
 * 503 — by design, and tested on its own (overload.test.ts).
 */
export const NO_ADMISSION_CONTROL = { SHED_MAX_IN_FLIGHT: "0", SHED_EVENT_LOOP_DELAY_MS: "0" };

/** Signs a seeded demo user in over HTTP; returns the Cookie header. */
export async function signInOver(instance: Instance, email: string, origin = instance.url): Promise<string> {
  const res = await fetch(`${instance.url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: origin },
    body: JSON.stringify({ email, password: "demo-password" }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}
