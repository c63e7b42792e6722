// Only lib/cache/redis.ts talks to ioredis (the ESLint rule says the same;
// this test also catches require() and dynamic import()).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const SKIP = new Set(["node_modules", ".next", "generated", ".git", ".data", "test-results", "playwright-report", "coverage"]);
const ALLOWED = new Set([
  "lib/cache/redis.ts",
  // The benchmark compares the cache with raw ioredis doing the same commands.
  "bench/cache.ts",
]);
// Built from parts so this file does not match itself.
const quote = `["'\`]`;
const IMPORT = new RegExp(`(?:\\bfrom\\s*|\\brequire\\s*\\(\\s*|\\bimport\\s*\\(\\s*|^\\s*import\\s+)${quote}ioredis(?:/[^"'\`]*)?${quote}`, "m");

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (/\.(?:[cm]?[jt]sx?)$/.test(entry.name)) yield full;
  }
}

describe("ioredis boundary", () => {
  it("the pattern catches every import form", () => {
    const lib = ["io", "redis"].join("");
    const forms = [
      `import { Redis } from "${lib}";`,
      `import Redis from '${lib}'`,
      `const R = require("${lib}")`,
      `await import("${lib}")`,
      `import "${lib}";`,
      `import type { RedisOptions } from "${lib}/built/redis/RedisOptions"`,
    ];
    for (const form of forms) expect(IMPORT.test(form), form).toBe(true);
    expect(IMPORT.test(`const name = "${lib}-mock"`)).toBe(false);
  });

  it("no file outside lib/cache/redis.ts (and the benchmark) imports ioredis", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(root)) {
      const relative = path.relative(root, file).split(path.sep).join("/");
      if (ALLOWED.has(relative)) continue;
      if (IMPORT.test(fs.readFileSync(file, "utf8"))) offenders.push(relative);
    }
    expect(offenders).toEqual([]);
  });

  it("lib/cache/redis.ts does import it (the test would pass vacuously otherwise)", () => {
    expect(IMPORT.test(fs.readFileSync(path.join(root, "lib/cache/redis.ts"), "utf8"))).toBe(true);
  });
});
