// A Redis Cluster of the test's own: six `redis-server` processes (three
// primaries, three replicas) on free local ports, joined with
// `redis-cli --cluster create`, each in a temporary folder; stopped (by PID)
// and removed by `stop()`. Never the shared Redis on 6379.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  process: ChildProcess;
}

export interface RedisCluster {
  nodes: ClusterNode[];
  /** `host:port,host:port,…`: what REDIS_CLUSTER_NODES takes. */
  seeds: string;
  /** The ports of the current primaries (CLUSTER NODES, asked of a live node). */
  primaries(): Promise<number[]>;
  /** SIGKILL one node; its replica takes over once the cluster notices (node timeout 1 s). */
  kill(port: number): void;
  /** Until every live node says cluster_state:ok and every slot has a live primary. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** `redis-cli -p port …` */
  cli(port: number, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A free port whose cluster bus port (port + 10000) is free too: Redis
 * Cluster listens on both.
 */
async function freeClusterPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port + 10_000 > 65_535) continue;
    const bus = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      bus.once("error", () => resolve(false));
      bus.listen(port + 10_000, "127.0.0.1", () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => bus.close(() => resolve()));
      return port;
    }
  }
  throw new Error("no free port pair for a cluster node");
}

async function answers(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

export async function startRedisCluster(options: { primaries?: number; replicasPerPrimary?: number } = {}): Promise<RedisCluster> {
  const primaries = options.primaries ?? 3;
  const replicas = options.replicasPerPrimary ?? 1;
  const count = primaries * (1 + replicas);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blog-cluster-"));
  const nodes: ClusterNode[] = [];
  const cli = async (port: number, ...args: string[]) => (await run("redis-cli", ["-p", String(port), ...args], { encoding: "utf8" })).stdout.trim();
  const stop = async () => {
    await Promise.all(
      nodes.map(
        (node) =>
          new Promise<void>((resolve) => {
            if (node.process.exitCode !== null || node.process.signalCode !== null) return resolve();
            node.process.once("exit", () => resolve());
            node.process.kill("SIGKILL");
          }),
      ),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freeClusterPort();
      const nodeDir = path.join(dir, String(port));
      fs.mkdirSync(nodeDir);
      const child = spawn(
        "redis-server",
        [
          "--port", String(port),
          "--bind", "127.0.0.1",
          "--cluster-enabled", "yes",
          "--cluster-config-file", "nodes.conf",
          "--cluster-node-timeout", "1000",
          "--save", "",
          "--appendonly", "no",
          "--dir", nodeDir,
        ],
        { stdio: "ignore" },
      );
      nodes.push({ port, process: child });
    }
    for (const node of nodes) {
      for (let i = 0; i < 100 && !(await answers(node.port)); i++) await new Promise((r) => setTimeout(r, 50));
    }
    await run("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", String(replicas), "--cluster-yes"], {
      encoding: "utf8",
    });
    const cluster: RedisCluster = {
      nodes,
      seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(","),
      cli,
      kill(port) {
        nodes.find((n) => n.port === port)?.process.kill("SIGKILL");
      },
      async primaries() {
        const live = nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
        const text = await cli(live[0]!.port, "cluster", "nodes");
        return text
          .split("\n")
          .filter((line) => line.includes("master") && !line.includes("fail"))
          .map((line) => Number(/:(\d+)@/.exec(line)?.[1]))
          .filter((port) => Number.isInteger(port));
      },
      async waitHealthy(timeoutMs = 20_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const live = nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
          const states = await Promise.all(live.map((n) => cli(n.port, "cluster", "info").catch(() => "")));
          if (states.every((s) => s.includes("cluster_state:ok"))) return;
          if (Date.now() > deadline) throw new Error(`the cluster is not healthy: ${states.map((s) => /cluster_state:\w+/.exec(s)?.[0]).join(", ")}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop,
    };
    await cluster.waitHealthy();
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}
