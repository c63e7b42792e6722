// A TCP proxy a test controls, put between an app and its PostgreSQL so that a
// test can take the database away from that app alone — never stopping the
// shared server other people's tests and benchmarks use.
import net from "node:net";

/**
 * - `open`: bytes flow both ways.
 * - `refuse`: every connection, new or open, is reset at once (a database
 *   that is down: the client sees ECONNRESET / "Connection terminated").
 * - `blackhole`: open connections are reset; new ones are accepted and never
 *   answered (a host that is unreachable: the client waits for its own
 *   connect timeout).
 */
export type ProxyMode = "open" | "refuse" | "blackhole";

export interface TcpProxy {
  readonly port: number;
  readonly mode: ProxyMode;
  /** Connections accepted since the proxy started (whatever became of them). */
  readonly accepted: number;
  /** Switches mode; leaving `open` cuts every connection in use (mid-statement, mid-transaction). */
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port to `target` (host:port on this machine). */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  if (!["127.0.0.1", "localhost", "::1"].includes(target.host)) throw new Error(`the proxy only forwards to this machine, not ${target.host}`);
  let mode: ProxyMode = "open";
  let accepted = 0;
  const pairs = new Set<{ client: net.Socket; upstream?: net.Socket }>();

  const cut = () => {
    for (const pair of pairs) {
      pair.client.resetAndDestroy();
      pair.upstream?.destroy();
    }
    pairs.clear();
  };

  const server = net.createServer((client) => {
    accepted += 1;
    client.on("error", () => {});
    if (mode === "refuse") {
      client.resetAndDestroy();
      return;
    }
    const pair: { client: net.Socket; upstream?: net.Socket } = { client };
    pairs.add(pair);
    client.on("close", () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (mode === "blackhole") return; // read nothing, answer nothing
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on("error", () => client.resetAndDestroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;

  return {
    port,
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    setMode(next) {
      if (next !== "open") cut();
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
