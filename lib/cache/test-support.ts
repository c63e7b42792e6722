// Helpers for the lib/cache tests only (never imported by the library).
import { randomBytes } from "node:crypto";
import net from "node:net";

/** The Redis the tests use: REDIS_URL or the local default; refuses a server that is not on this machine. */
export function localRedisUrl(): string {
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
    throw new Error(`Refusing to run cache tests against a non-local Redis (${host}).`);
  }
  return url;
}

/** A key prefix no other run uses: test-<pid>-<random>. */
export function uniquePrefix(label = "test"): string {
  return `${label}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** A TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A server that accepts connections and never answers (a hung Redis). */
export async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A redis-server of the test's own on a free port (never the shared one), so
 * a test can stop, freeze and restart it by PID; `args` are more
 * redis-server options (e.g. a maxmemory policy).
 */
export async function ownRedis(options: { args?: readonly string[] } = {}): Promise<{ url: string; port: number; pid: number; stop: () => Promise<void>; restart: () => Promise<void> }> {
  const { spawn } = await import("node:child_process");
  const port = await closedPort();
  let child = start();
  function start() {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...(options.args ?? [])];
    return spawn("redis-server", args, { stdio: "ignore" });
  }
  async function waitReady(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.end();
          resolve(true);
        });
        socket.on("error", () => resolve(false));
      });
      if (ok) return;
      await sleep(50);
    }
    throw new Error(`redis-server on ${port} did not start`);
  }
  async function stop(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }
  await waitReady();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid ?? 0;
    },
    stop,
    restart: async () => {
      await stop();
      child = start();
      await waitReady();
    },
  };
}
