import { defineConfig, devices } from "@playwright/test";

// E2E runs the built app (`npm start`: migrate, seed if empty, build if stale,
// next start) on its own port and its own database, in Debian's Chromium.
// Playwright never downloads a browser here.
const PORT = Number(process.env.E2E_PORT ?? 3100);
const DATABASE_URL = process.env.E2E_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/blog_e2e_test";
// The real Redis, under a key prefix of this run's own (removed by the teardown).
// Set once in the main process; workers inherit it.
process.env.E2E_CACHE_PREFIX ??= `e2e-${process.pid}`;
const REDIS_URL = process.env.E2E_REDIS_URL ?? "redis://127.0.0.1:6379";

export default defineConfig({
  testDir: "e2e",
  forbidOnly: !!process.env.CI,
  globalTeardown: "./e2e/global-teardown.ts",
  retries: 0,
  workers: 1,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: "retain-on-failure",
    ...devices["Desktop Chrome"],
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  webServer: {
    // A fresh database each run: the seed is reset, then `npm start` finds it
    // non-empty and serves it.
    command: "tsx scripts/e2e-server.ts",
    url: `http://127.0.0.1:${PORT}/api/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORT: String(PORT),
      DATABASE_URL,
      REDIS_URL,
      CACHE_PREFIX: process.env.E2E_CACHE_PREFIX,
      BETTER_AUTH_URL: `http://127.0.0.1:${PORT}`,
      BETTER_AUTH_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
      NEXT_TELEMETRY_DISABLED: "1",
      // Every browser in the suite signs in from 127.0.0.1, one bucket: the
      // default 10 a minute would make specs fail each other. The limit
      // itself is tested in test/auth.test.ts at its default.
      AUTH_SIGN_IN_PER_MINUTE: "120",
      // One JSON line per request would bury Playwright's own output.
      LOG_LEVEL: "warn",
    },
  },
});
