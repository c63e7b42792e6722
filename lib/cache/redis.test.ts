// Redis-only behaviours the contract suite cannot see: scripts loaded on
// NOSCRIPT, recovery after a restart, and a process that exits after close().
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { currentScope, runInScope } from "@/lib/scope";
import { defineScript } from "./backend";
import { Cache } from "./cache";
import { createRedisBackend } from "./redis";
import { closedPort, localRedisUrl, sleep, uniquePrefix } from "./test-support";

const root = path.resolve(import.meta.dirname, "../..");

function hasRedisServer(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("Redis backend", () => {
  const prefix = uniquePrefix();
  const cache = new Cache(createRedisBackend({ url: localRedisUrl(), timeoutMs: 2_000 }), { prefix });
  afterAll(async () => {
    await cache.clear();
    await cache.close();
  });

  it("calls a script by SHA, loading it once on NOSCRIPT (2 round trips the first time, then 1)", async () => {
    // A body no server has seen: the first EVALSHA must answer NOSCRIPT.
    const echo = defineScript<string>({
      name: "test.echo",
      lua: `-- ${randomBytes(8).toString("hex")}\nreturn ARGV[1]`,
      run: (_store, _keys, args) => args[0] ?? "",
    });
    const trips = async () =>
      runInScope(async () => {
        expect(await cache.backend.eval(echo, [], ["hi"])).toBe("hi");
        return currentScope()!.cache.roundTrips;
      });
    expect(await trips()).toBe(2);
    expect(await trips()).toBe(1);
  });

  it.skipIf(!hasRedisServer())("fails fast while Redis is down and recovers when it is back", async () => {
    const port = await closedPort();
    const start = () =>
      spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    const stop = (server: ChildProcess) =>
      new Promise<void>((resolve) => {
        server.once("exit", () => resolve());
        server.kill("SIGKILL");
      });
    let server = start();
    const recovering = new Cache(createRedisBackend({ url: `redis://127.0.0.1:${port}`, timeoutMs: 200, logger: () => {} }), { prefix: "recovery", logger: () => {} });
    try {
      await waitFor(async () => (await recovering.set("k", 1)) === true);
      expect(await recovering.get("k")).toBe(1);

      await stop(server);
      await waitFor(async () => (await recovering.get("k")) === undefined);
      // Down: refused before sending while ioredis reconnects (0 round trips), not queued.
      const down = await runInScope(async () => {
        await recovering.get("k");
        await recovering.get("k");
        return { ...currentScope()!.cache };
      });
      expect(down.errors).toBe(2);
      expect(down.roundTrips).toBeLessThanOrEqual(1); // the first may race a reconnect attempt

      server = start();
      await waitFor(async () => (await recovering.set("k", 2)) === true);
      expect(await recovering.get("k")).toBe(2);
    } finally {
      await recovering.close();
      await stop(server);
    }
  });

  it("a process that closes its cache exits, even when Redis is unreachable", async () => {
    const port = await closedPort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cache-exit-"));
    const script = path.join(dir, "exit.mts"); // .mts: ESM, for top-level await
    fs.writeFileSync(
      script,
      `import { createCache } from ${JSON.stringify(path.join(root, "lib/cache/factory.ts"))};
const down = createCache({ redisUrl: "redis://127.0.0.1:${port}", prefix: "exit", timeoutMs: 100, logger: () => {} });
const up = createCache({ redisUrl: ${JSON.stringify(localRedisUrl())}, prefix: "exit", timeoutMs: 1000 });
const results = [await down.get("a"), await down.set("a", 1), await up.has("a")];
await down.close();
await up.close();
console.log(JSON.stringify(results));
`,
    );
    try {
      const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["--tsconfig", path.join(root, "tsconfig.json"), script], { cwd: root });
      let output = "";
      let errors = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const guard = setTimeout(() => child.kill("SIGKILL"), 15_000); // a hang fails the test instead of blocking it
        child.on("exit", (exitCode) => {
          clearTimeout(guard);
          resolve(exitCode);
        });
      });
      expect(code, errors).toBe(0);
      expect(JSON.parse(output)).toEqual([null, false, false]); // undefined → null in JSON
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error("condition not met in time");
}
