// The production server: Next.js's request handler inside our own HTTP server,
// so that each request — page or API — runs in ONE request scope
// (lib/scope.ts). That is what lets a server-rendered page report its SQL
// statements and cache round trips in `Server-Timing`, which a server
// component cannot set itself (see docs/decisions/004-custom-server.md).
import http from "node:http";
import next from "next";
import { getEnv } from "@/lib/env";
import { serverTiming } from "@/lib/http/timing";
import { createScope, runInScope } from "@/lib/scope";

const env = getEnv();
const dev = process.argv.includes("--dev");
const app = next({ dev, dir: import.meta.dirname, hostname: "0.0.0.0", port: env.PORT });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  const scope = createScope();
  if (env.ACCOUNTING_HEADERS === "1") {
    // Headers go out with the first byte of the body; by then a page (which
    // awaits its data before it renders) has done all its reads. Route
    // handlers set their own, more precise header; leave theirs alone.
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => http.ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      if (!res.hasHeader("server-timing")) res.setHeader("Server-Timing", serverTiming(scope));
      return writeHead(...args);
    }) as typeof res.writeHead;
  }
  runInScope(() => {
    handle(req, res).catch((error: unknown) => {
      console.error("[server] unhandled error", error);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end("Internal Server Error");
    });
  }, scope);
});

server.listen(env.PORT, () => {
  console.log(`[server] ready on http://localhost:${env.PORT} (${dev ? "development" : "production"}, CACHE_MODE=${env.CACHE_MODE})`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    // Keep-alive connections would hold close() open; do not wait forever.
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
