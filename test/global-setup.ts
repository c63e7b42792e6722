import type { TestProject } from "vitest/node";
import { createCache } from "@/lib/cache/factory";
import { createTestDatabase, dropDatabase, seedDatabase, TEST_SEED } from "./databases";

// One database per vitest run (the pid keeps two runs on one machine apart),
// migrated and seeded once; test files run one at a time against it.
const name = `blog_test_${process.pid}`;

export default async function setup(_project: TestProject) {
  const url = await createTestDatabase(name);
  await seedDatabase(url, TEST_SEED);
  process.env.DATABASE_URL = url;
  process.env.REDIS_URL ??= "redis://127.0.0.1:6379";
  process.env.CACHE_PREFIX = `test-${process.pid}`;
  // With REDIS_URL set the app refuses to generate a secret of its own (lib/env.ts).
  process.env.BETTER_AUTH_SECRET ??= "vitest-secret-vitest-secret-vitest-secret";
  const prefix = process.env.CACHE_PREFIX;
  const redisUrl = process.env.REDIS_URL;
  return async () => {
    await dropDatabase(name);
    // This run's cache keys only (its own prefix; never FLUSHDB).
    const cache = createCache({ redisUrl, prefix });
    await cache.clear();
    await cache.close();
  };
}
