// `next build` when the build is missing or older than its sources. Used by
// `npm start` and by the tests that start the built app.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");

/** Newest modification time under `target` (files only), skipping build output and tests. */
function newestMtime(target: string): number {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(target)) {
    if (entry === "node_modules" || entry.startsWith(".") || entry.endsWith(".test.ts")) continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

export function buildIsStale(): boolean {
  const buildId = fs.statSync(path.join(root, ".next", "BUILD_ID"), { throwIfNoEntry: false });
  if (!buildId) return true;
  const sources = ["app", "lib", "public", "generated", "proxy.ts", "next.config.mjs", "package-lock.json", "tsconfig.json"];
  return sources.some((s) => newestMtime(path.join(root, s)) > buildId.mtimeMs);
}

/** Runs `run(next, ["build"])` when the build is stale; resolves when it is fresh. */
export async function buildIfStale(run: (command: string, args: string[]) => Promise<void>): Promise<void> {
  // Next refuses a second concurrent build in one folder ("Another next build
  // process is already running"): wait for one that is running, then decide.
  for (let waited = 0; otherBuildRunning() && waited < 600; waited++) await new Promise((r) => setTimeout(r, 1_000));
  if (!buildIsStale()) return;
  console.log("[build] building the app (first start or sources changed)…");
  await run(path.join(root, "node_modules", ".bin", "next"), ["build"]);
}

function otherBuildRunning(): boolean {
  try {
    return execFileSync("pgrep", ["-f", "next[- ]build"], { encoding: "utf8" }).trim().length > 0;
  } catch {
    return false; // pgrep exits 1 when nothing matches (or is missing)
  }
}
