import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig, mergeConfig } from "vitest/config";
import rootConfig from "../../vitest.config";

// The reliability suite (fuzzing): slow, so not part of `vitest run`.
//   npm run test:reliability   (vitest run --config test/reliability/vitest.config.ts)
// Same aliases and global setup (a fresh, seeded test database) as the root
// config; only this directory's tests, with long timeouts (the HTTP pass may
// build the app before it starts it).
const merged = mergeConfig(
  rootConfig,
  defineConfig({
    root: fileURLToPath(new URL("../../", import.meta.url)),
    test: {
      testTimeout: 20 * 60_000,
      hookTimeout: 20 * 60_000,
    },
  }),
);
// mergeConfig concatenates arrays: replace the root's include (and its
// exclude, which leaves this directory out) instead.
merged.test = { ...merged.test, include: ["test/reliability/**/*.test.ts"], exclude: [...configDefaults.exclude] };

export default merged;
