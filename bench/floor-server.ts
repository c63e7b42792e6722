// Floor (b) of the benchmark: a bare node:http server, no framework, that
// answers every request with the bytes of one Redis GET — the least any Node
// server can do to serve the list page from Redis. bench/run.ts starts it
// pinned to the app's core and loads it like the app.
//
//   BENCH_FLOOR_PORT=3401 BENCH_FLOOR_REDIS=redis://127.0.0.1:6379 BENCH_FLOOR_KEY=<full key> node --import tsx bench/floor-server.ts
//
// The value under the key is what the Cache API stored for floor (a): the
// body as a JSON string; like app/api/bench-floor/route.ts, this parses it
// and answers the string, so (a) and (b) do the same work but for Next.js.
//
// Redis is spoken directly (RESP over node:net, ./resp.ts) rather than through
// ioredis: outside lib/cache/redis.ts only bench/cache.ts may import ioredis
// (lib/cache/boundaries.test.ts). A raw socket is, if anything, a lower floor.
import http from "node:http";
import { RespClient } from "./resp";

// A benchmark helper process, not the app: it reads its settings directly.
const port = Number(process.env.BENCH_FLOOR_PORT);
const redisUrl = new URL(process.env.BENCH_FLOOR_REDIS ?? "redis://127.0.0.1:6379");
const key = process.env.BENCH_FLOOR_KEY ?? "";
if (!Number.isInteger(port) || !key) {
  console.error("floor-server: set BENCH_FLOOR_PORT and BENCH_FLOOR_KEY");
  process.exit(2);
}

const redis = new RespClient({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });

const server = http.createServer((req, res) => {
  redis.get(key).then(
    (value) => {
      if (value === null) {
        res.writeHead(404, { "Content-Type": "text/plain" });
        res.end("floor key missing");
        return;
      }
      const body = JSON.parse(value.toString("utf8")) as string;
      res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-cache", Vary: "Cookie" });
      res.end(body);
    },
    (error: unknown) => {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(error instanceof Error ? error.message : "error");
    },
  );
});

await redis.connect();
server.listen(port, "127.0.0.1", () => console.log(`[floor] ready on http://127.0.0.1:${port}`));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    redis.close();
    process.exit(0);
  });
}
