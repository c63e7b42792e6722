import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EnvError, getAuthSecret, parseEnv } from "./env";

describe("parseEnv", () => {
  it("gives the embedded defaults for an empty environment", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ CACHE_MODE: "full", PORT: 3000, CACHE_PREFIX: "blog", ACCOUNTING_HEADERS: "1" });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.authUrl).toBe("http://localhost:3000");
  });

  it("bounds the waits on the database and the admission of requests, 0 turning a shedding bound off", () => {
    expect(parseEnv({})).toMatchObject({
      DB_CONNECT_TIMEOUT_MS: 500,
      DB_STATEMENT_TIMEOUT_MS: 2_000,
      SHED_MAX_IN_FLIGHT: 32,
      SHED_MAX_WAIT_MS: 500,
      SHED_EVENT_LOOP_DELAY_MS: 500,
    });
    expect(parseEnv({ SHED_MAX_IN_FLIGHT: "0", SHED_EVENT_LOOP_DELAY_MS: "0" })).toMatchObject({ SHED_MAX_IN_FLIGHT: 0, SHED_EVENT_LOOP_DELAY_MS: 0 });
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ DATABASE_URL: "", CACHE_MODE: "" }).CACHE_MODE).toBe("full");
  });

  it.each([
    ["CACHE_MODE", "fast"],
    ["PORT", "http"],
    ["PORT", "70000"],
    ["DATABASE_URL", "mysql://x"],
    ["REDIS_URL", "localhost:6379"],
    ["BETTER_AUTH_SECRET", "short"],
    ["ACCOUNTING_HEADERS", "yes"],
    ["LIKES_PER_MINUTE", "0"],
    ["METRICS_TOKEN", "short"],
    ["ADMIN_EMAILS", "ops@example.com, not-an-email"],
    ["ADMIN_EMAILS", " , "],
    ["DB_CONNECT_TIMEOUT_MS", "10"],
    ["DB_STATEMENT_TIMEOUT_MS", "soon"],
    ["SHED_MAX_IN_FLIGHT", "-1"],
    ["SHED_MAX_WAIT_MS", "1.5"],
    ["SHED_EVENT_LOOP_DELAY_MS", "lots"],
  ])("names %s when its value %j is wrong", (name, value) => {
    expect(() => parseEnv({ [name]: value })).toThrow(EnvError);
    expect(() => parseEnv({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it("generates the auth secret once, keeps it, and never when it is set", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "env-test-"));
    try {
      const env = parseEnv({ DATA_DIR: dir });
      expect(fs.existsSync(path.join(dir, "auth-secret"))).toBe(false);
      const first = getAuthSecret(env);
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(getAuthSecret(parseEnv({ DATA_DIR: dir }))).toBe(first);
      const set = "x".repeat(40);
      expect(getAuthSecret(parseEnv({ DATA_DIR: dir, BETTER_AUTH_SECRET: set }))).toBe(set);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads ADMIN_EMAILS as a list of lower-case addresses", () => {
    expect(parseEnv({ ADMIN_EMAILS: " Ops@Example.com,dev@example.com, " }).ADMIN_EMAILS).toEqual(["ops@example.com", "dev@example.com"]);
    expect(parseEnv({}).ADMIN_EMAILS).toBeUndefined();
  });

  it("refuses to generate a per-instance auth secret when REDIS_URL says there may be several instances", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "env-test-"));
    try {
      const env = parseEnv({ DATA_DIR: dir, REDIS_URL: "redis://127.0.0.1:6379" });
      expect(() => getAuthSecret(env)).toThrow(EnvError);
      expect(() => getAuthSecret(env)).toThrow(/BETTER_AUTH_SECRET: required when REDIS_URL is set/);
      expect(fs.existsSync(path.join(dir, "auth-secret"))).toBe(false);
      const set = "y".repeat(40);
      expect(getAuthSecret(parseEnv({ DATA_DIR: dir, REDIS_URL: "redis://127.0.0.1:6379", BETTER_AUTH_SECRET: set }))).toBe(set);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
