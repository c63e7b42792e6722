// `npm start`: the zero-setup path. Validates the environment, applies
// pending migrations, seeds an empty database, builds when the build is
// missing or older than the sources, then runs the server (server.ts).
// Each step is its own process so that the embedded PGlite database (a
// single-process store) is open in one process at a time.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { EnvError, getAuthSecret, parseEnv } from "@/lib/env";
import { buildIfStale } from "./lib/build";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

/** Demo data for a fresh database; README documents it. */
const DEFAULT_SEED = ["--users", "200", "--posts", "2000", "--max-likes", "50", "--max-comments", "5", "--seed", "42"];

function run(step: string, command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${step} failed (${signal ?? `exit code ${code}`})`)),
    );
  });
}

/**
 * PGlite is a single-process store with no lock of its own: a second app on
 * the same folder would corrupt it. Hold a pid lock file for as long as this
 * process (and so `next start`) runs; a stale lock from a dead pid is taken over.
 */
function lockDataDir(dataDir: string): void {
  const lockPath = path.resolve(dataDir, "pglite.lock");
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      process.on("exit", () => fs.rmSync(lockPath, { force: true }));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(fs.readFileSync(lockPath, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new Error(
          `the embedded database in ${dataDir}/ is in use by process ${pid}. ` +
            "Stop that app first, or set DATABASE_URL to run several instances on PostgreSQL.",
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function main(): Promise<void> {
  // Next.js reads .env itself; the steps before it should see the same values.
  // Variables already in the environment win.
  if (fs.existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));
  const env = parseEnv();
  getAuthSecret(env); // generated (with a warning) before the server needs it, or refused (REDIS_URL without one)
  console.log(
    `[start] database: ${env.DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : `embedded PGlite in ${env.DATA_DIR}/`}; ` +
      `cache: ${env.REDIS_URL ? "Redis (REDIS_URL)" : "in-memory"}; CACHE_MODE=${env.CACHE_MODE}`,
  );
  if (!env.DATABASE_URL) lockDataDir(env.DATA_DIR);
  await run("migrate", bin("tsx"), ["scripts/db/migrate.ts"]);
  await run("seed", bin("tsx"), ["--conditions=react-server", "scripts/seed.ts", "--if-empty", ...DEFAULT_SEED]);
  await buildIfStale((command, args) => run("build", command, args));
  // server.ts is `next start` plus one request scope per request (Server-Timing on pages).
  const next = spawn(bin("tsx"), ["server.ts"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => next.kill(signal));
  next.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  // If this process is told to stop, so is the server (and the lock goes).
  process.on("exit", () => next.kill("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(error instanceof EnvError ? error.message : `[start] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
