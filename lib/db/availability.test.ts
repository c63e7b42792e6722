import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createScope, runInScope } from "@/lib/scope";
import { startTcpProxy, type TcpProxy } from "@/test/tcp-proxy";
import { databaseAvailability, databaseFailure, DatabaseUnavailableError, isDatabaseUnavailable } from "./availability";
import { createClient, type Db } from "./client";

// What Prisma, the pg adapter and pg throw when PostgreSQL cannot be reached,
// taken from the real thing: the test database of this run, reached through
// a TCP proxy this test resets or silences (the shared server is never
// touched). The classifier must name each of them, and nothing else.

let proxy: TcpProxy;
let db: Db;
const TIMEOUTS = { connectMs: 200, statementMs: 1_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function throughProxy(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected the statement to fail");
}

beforeAll(async () => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("the global setup sets DATABASE_URL");
  const { hostname, port } = new URL(url);
  proxy = await startTcpProxy({ host: hostname, port: Number(port || 5432) });
  db = createClient({ databaseUrl: throughProxy(url, proxy.port), dataDir: ".data", poolMax: 2, timeouts: TIMEOUTS });
});

afterAll(async () => {
  await db?.$disconnect();
  await proxy?.close();
});

beforeEach(async () => {
  proxy.setMode("open");
  await db.post.count(); // a pooled connection, as a running app has
});

describe("databaseFailure: the errors of an unreachable database", () => {
  it("refused connections, in and out of a transaction: connection_lost", async () => {
    proxy.setMode("refuse");
    expect(databaseFailure(await failureOf(() => db.post.findMany({ take: 1 })))).toBe("connection_lost");
    expect(databaseFailure(await failureOf(() => db.$queryRaw`SELECT 1`))).toBe("connection_lost");
    expect(databaseFailure(await failureOf(() => db.$transaction(async (tx) => tx.post.count())))).toBe("connection_lost");
  });

  it("a connection cut mid-statement and mid-transaction: connection_lost", async () => {
    const midStatement = failureOf(() => db.$queryRaw`SELECT pg_sleep(1)::text`);
    setTimeout(() => proxy.setMode("refuse"), 100);
    expect(databaseFailure(await midStatement)).toBe("connection_lost");

    proxy.setMode("open");
    const midTransaction = await failureOf(() =>
      db.$transaction(async (tx) => {
        await tx.post.count();
        proxy.setMode("refuse");
        await tx.post.count();
      }),
    );
    expect(databaseFailure(midTransaction)).toBe("connection_lost");
  });

  it("a host that never answers: the connect times out (unreachable)", async () => {
    proxy.setMode("blackhole"); // open connections are reset; new ones hang
    await sleep(50); // the pool drops its reset connection
    expect(databaseFailure(await failureOf(() => db.post.count()))).toBe("unreachable");
    expect(databaseFailure(await failureOf(() => db.$transaction(async (tx) => tx.post.count())))).toBe("unreachable");
  });

  it("a pool with no free connection past the connect timeout: pool_timeout", async () => {
    // Both connections of the pool (poolMax 2) busy for longer than the connect timeout, shorter than the statement timeout.
    const holders = [db.$queryRaw`SELECT pg_sleep(0.6)::text`, db.$queryRaw`SELECT pg_sleep(0.6)::text`].map((q) => q.then(() => undefined));
    await sleep(50);
    expect(databaseFailure(await failureOf(() => db.post.count()))).toBe("pool_timeout");
    await Promise.all(holders);
  });

  it("a statement with no answer in time: statement_timeout", async () => {
    expect(databaseFailure(await failureOf(() => db.$queryRaw`SELECT pg_sleep(3)::text`))).toBe("statement_timeout");
  });

  it("errors the database answered with are not outages", async () => {
    expect(databaseFailure(await failureOf(() => db.$executeRawUnsafe(`SELECT 1/0`)))).toBeNull();
    expect(databaseFailure(await failureOf(() => db.post.create({ data: { title: "x", content: "x", authorId: "no-such-user" } })))).toBeNull();
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });

  it("recognizes a wrapped failure through `cause`", () => {
    const driver = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED", syscall: "connect", errno: -111 });
    expect(databaseFailure(new Error("load failed", { cause: driver }))).toBe("unreachable");
    expect(databaseFailure(new DatabaseUnavailableError("pool_timeout"))).toBe("pool_timeout");
  });
});

describe("what the client reports", () => {
  it("counts failed statements per reason, marks the request's scope and the process down, and up again", async () => {
    const before = databaseAvailability().failed.get("connection_lost") ?? 0;
    const scope = createScope();
    proxy.setMode("refuse");
    await failureOf(() => runInScope(async () => await db.post.count(), scope));
    expect(scope.db.unavailable).toBe(true);
    expect(databaseAvailability().up).toBe(false);
    expect(databaseAvailability().failed.get("connection_lost")).toBe(before + 1);

    proxy.setMode("open");
    await db.post.count();
    expect(databaseAvailability().up).toBe(true);
  });

  it("once a request found the database unreachable, its next statements fail at once without trying", async () => {
    const scope = createScope();
    proxy.setMode("blackhole");
    await sleep(50);
    await failureOf(() => runInScope(async () => await db.post.count(), scope));
    const accepted = proxy.accepted;
    const second = await failureOf(() => runInScope(async () => await db.post.count(), scope));
    expect(databaseFailure(second)).toBe("unreachable");
    expect(proxy.accepted).toBe(accepted); // no new connection was attempted
  });
});
