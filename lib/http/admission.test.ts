import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type Admission, type AdmissionOptions, createAdmission } from "./admission";

// Admission control on a real node:http server whose handler answers when the
// test says so: counts of requests served, waiting and shed — no timings
// asserted (those are the benchmark's: npm run bench -- --overload).

interface Harness {
  url: string;
  admission: Admission;
  /** Requests the handler has started, in order; `release(i)` answers one 200. */
  started: string[];
  release(i: number): void;
  close(): Promise<void>;
}

const servers: Harness[] = [];

async function harness(options: Partial<AdmissionOptions>): Promise<Harness> {
  const admission = createAdmission({
    maxInFlight: 2,
    maxWaitMs: 10_000,
    maxEventLoopDelayMs: 0,
    exempt: (req) => req.url === "/api/health",
    ...options,
  });
  const started: string[] = [];
  const pending: http.ServerResponse[] = [];
  const server = http.createServer((req, res) =>
    admission.admit(req, res, () => {
      if (req.url === "/api/health" || req.url?.startsWith("/now")) return void res.end("ok");
      started.push(req.url ?? "");
      pending.push(res);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const h: Harness = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    admission,
    started,
    release: (i) => pending[i]?.end("done"),
    close: async () => {
      admission.close();
      for (const res of pending) if (!res.writableEnded) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((h) => h.close()));
});

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
};

describe("admission control", () => {
  it("serves up to maxInFlight at once; the next waits for a slot and is served when one frees", async () => {
    const h = await harness({ maxInFlight: 2 });
    const responses = ["/a", "/b", "/c"].map((path) => fetch(h.url + path));
    await until(() => h.started.length === 2 && h.admission.stats().waiting === 1);
    expect(h.admission.stats()).toMatchObject({ inFlight: 2, waiting: 1 });
    h.release(0);
    await until(() => h.started.length === 3);
    h.release(1);
    h.release(2);
    expect((await Promise.all(responses)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(h.admission.stats()).toMatchObject({ inFlight: 0, waiting: 0, shed: { full: 0, timeout: 0 } });
  });

  it("a request that waits maxWaitMs without a slot gets 503 unavailable with Retry-After (docs/api.md's JSON on /api, HTML on a page)", async () => {
    const h = await harness({ maxInFlight: 1, maxWaitMs: 50 });
    const held = fetch(h.url + "/held");
    await until(() => h.started.length === 1);
    const api = await fetch(h.url + "/api/posts");
    expect(api.status).toBe(503);
    expect(api.headers.get("retry-after")).toBe("1");
    expect(await api.json()).toEqual({ error: { code: "unavailable", message: expect.stringContaining("too busy") } });
    const page = await fetch(h.url + "/");
    expect(page.status).toBe(503);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("Temporarily unavailable");
    expect(h.admission.stats().shed.timeout).toBe(2);
    expect(h.started).toEqual(["/held"]); // the shed requests never reached the handler
    h.release(0);
    expect((await held).status).toBe(200);
  });

  it("when slots free too slowly for the queue to drain in time, new requests are shed at arrival, not after waiting", async () => {
    let clock = 0;
    const h = await harness({ maxInFlight: 1, maxWaitMs: 300, now: () => clock });
    // One slot, held 900 ms by the last request: a request behind the one in
    // flight would wait far longer than 300 ms.
    const first = fetch(h.url + "/1");
    await until(() => h.started.length === 1);
    clock = 900;
    h.release(0);
    await first;
    const second = fetch(h.url + "/2");
    await until(() => h.started.length === 2);
    const shed = await Promise.all(Array.from({ length: 5 }, () => fetch(h.url + "/api/x")));
    expect(shed.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    expect(h.admission.stats().shed).toMatchObject({ full: 5, timeout: 0 });
    h.release(1);
    expect((await second).status).toBe(200);
  });

  it("lets a request wait when the slots free fast enough for it to be served in time", async () => {
    let clock = 0;
    const h = await harness({ maxInFlight: 1, maxWaitMs: 300, now: () => clock });
    // Requests that held their slot 10 ms each.
    for (let i = 0; i < 10; i++) {
      const done = fetch(`${h.url}/${i}`);
      await until(() => h.started.length === i + 1);
      clock += 10;
      h.release(i);
      await done;
    }
    const held = fetch(h.url + "/held");
    await until(() => h.started.length === 11);
    const waiting = Array.from({ length: 5 }, (_, i) => fetch(`${h.url}/w${i}`));
    await until(() => h.admission.stats().waiting === 5);
    for (let i = 10; i < 16; i++) {
      h.release(i);
      await until(() => h.started.length === Math.min(i + 2, 16));
    }
    expect((await Promise.all([held, ...waiting])).map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(h.admission.stats().shed).toMatchObject({ full: 0, timeout: 0 });
  });

  it("health (exempt) is always served at once and never counted", async () => {
    const h = await harness({ maxInFlight: 1, maxWaitMs: 0 });
    const held = fetch(h.url + "/held");
    await until(() => h.started.length === 1);
    const health = await Promise.all(Array.from({ length: 5 }, () => fetch(h.url + "/api/health")));
    expect(health.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await fetch(h.url + "/other")).status).toBe(503);
    expect(h.admission.stats()).toMatchObject({ inFlight: 1, shed: { full: 1 } });
    h.release(0);
    await held;
  });

  it("a waiting client that goes away frees its place", async () => {
    const h = await harness({ maxInFlight: 1 });
    const held = fetch(h.url + "/held");
    await until(() => h.started.length === 1);
    const gone = new AbortController();
    const abandoned = fetch(h.url + "/gone", { signal: gone.signal }).catch(() => "aborted");
    await until(() => h.admission.stats().waiting === 1);
    gone.abort();
    expect(await abandoned).toBe("aborted");
    await until(() => h.admission.stats().waiting === 0);
    h.release(0);
    await held;
    expect(h.started).toEqual(["/held"]);
  });

  it("sheds while the event loop is late at two checks in a row, not for one slow tick", async () => {
    const h = await harness({ maxInFlight: 0, maxEventLoopDelayMs: 80 });
    const block = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const tick = () => new Promise((r) => setTimeout(r, 25));
    // One slow tick (a garbage collection, a module compiled on first use): served.
    await tick();
    block(250);
    await tick();
    await tick();
    expect((await fetch(h.url + "/now-after-one-stall")).status).toBe(200);
    // A standing backlog: late at every check, never idle in between.
    for (let i = 0; i < 4; i++) {
      block(250);
      await new Promise((r) => setImmediate(r));
    }
    const res = await fetch(h.url + "/now-while-late");
    expect(res.status).toBe(503);
    expect(h.admission.stats().shed["event-loop-delay"]).toBe(1);
  });
});
