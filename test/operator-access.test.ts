import { describe, expect, it } from "vitest";
import { GET as cacheStatsGET } from "@/app/api/cache-stats/route";
import { GET as metricsGET } from "@/app/api/metrics/route";
import { parseEnv } from "@/lib/env";
import { AppError } from "@/lib/http/errors";
import { assertOperator, mayReadOperatorSurface } from "@/lib/http/operator-access";
import { call } from "./http";
import { signIn } from "./session";

// Who may read /api/metrics, /api/cache-stats and /cache: the route handlers
// in-process with this run's environment (neither METRICS_TOKEN nor
// ADMIN_EMAILS set: loopback only), and the rule itself under each
// configuration, with real better-auth sessions on the real PostgreSQL.

const from = (forwardedFor: string | null, extra: Record<string, string> = {}) =>
  new Headers({ ...(forwardedFor === null ? {} : { "x-forwarded-for": forwardedFor }), ...extra });

describe("with neither METRICS_TOKEN nor ADMIN_EMAILS (the zero-config start)", () => {
  it.each([
    ["/api/metrics", metricsGET],
    ["/api/cache-stats", cacheStatsGET],
  ] as const)("%s answers loopback clients only", async (path, handler) => {
    const ok = await call(handler, path, { headers: from("127.0.0.1") });
    expect(ok.status).toBe(200);
    for (const forwardedFor of ["::1", "::ffff:127.0.0.1"]) expect((await call(handler, path, { headers: from(forwardedFor) })).status).toBe(200);
    // Another machine; one that claims to be local in front of a proxy; no address at all.
    for (const forwardedFor of ["203.0.113.9", "127.0.0.1, 203.0.113.9", null]) {
      const res = await call(handler, path, { headers: from(forwardedFor) });
      expect([forwardedFor, res.status]).toEqual([forwardedFor, 403]);
      expect(await res.json()).toMatchObject({ error: { code: "forbidden" } });
    }
  });

  it("the dashboard too", async () => {
    expect(await mayReadOperatorSurface("dashboard", from("127.0.0.1"))).toBe(true);
    expect(await mayReadOperatorSurface("dashboard", from("203.0.113.9"))).toBe(false);
  });
});

describe("with METRICS_TOKEN and ADMIN_EMAILS set", () => {
  const TOKEN = "operator-token-0123456789";
  const env = parseEnv({ ...process.env, METRICS_TOKEN: TOKEN, ADMIN_EMAILS: "ops@example.com, DEMO1@example.com" });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it("metrics want the bearer token: nothing else, loopback included", async () => {
    expect(await mayReadOperatorSurface("metrics", from("203.0.113.9", bearer(TOKEN)), env)).toBe(true);
    expect(await mayReadOperatorSurface("metrics", from("203.0.113.9", { authorization: `bearer  ${TOKEN}` }), env)).toBe(true);
    for (const headers of [from("127.0.0.1"), from("127.0.0.1", bearer(`${TOKEN}x`)), from("127.0.0.1", bearer(TOKEN.slice(0, -1))), from("127.0.0.1", { authorization: TOKEN })]) {
      expect(await mayReadOperatorSurface("metrics", headers, env)).toBe(false);
    }
    const refused = await assertOperator(new Request("http://localhost:3000/api/metrics", { headers: from("127.0.0.1") }), "metrics", env).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: "unauthenticated", headers: { "WWW-Authenticate": 'Bearer realm="operator"' } });
  });

  it("the dashboard wants an admin's session (email in any case); the feed takes either", async () => {
    const admin = from("203.0.113.9", { cookie: await signIn("demo1@example.com") });
    const other = from("203.0.113.9", { cookie: await signIn("demo2@example.com") });
    expect(await mayReadOperatorSurface("dashboard", admin, env)).toBe(true);
    expect(await mayReadOperatorSurface("dashboard", other, env)).toBe(false);
    expect(await mayReadOperatorSurface("dashboard", from("127.0.0.1"), env)).toBe(false);
    // A token is for scrapers: it does not open the page.
    expect(await mayReadOperatorSurface("dashboard", from("127.0.0.1", bearer(TOKEN)), env)).toBe(false);
    expect(await mayReadOperatorSurface("metrics", admin, env)).toBe(false);

    expect(await mayReadOperatorSurface("feed", admin, env)).toBe(true);
    expect(await mayReadOperatorSurface("feed", from("203.0.113.9", bearer(TOKEN)), env)).toBe(true);
    expect(await mayReadOperatorSurface("feed", other, env)).toBe(false);
    expect(await mayReadOperatorSurface("feed", from("127.0.0.1"), env)).toBe(false);
  });

  it("with ADMIN_EMAILS alone, metrics are closed (403) and the feed wants an admin (401)", async () => {
    const adminsOnly = parseEnv({ ...process.env, ADMIN_EMAILS: "demo1@example.com" });
    const req = (path: string) => new Request(`http://localhost:3000${path}`, { headers: from("127.0.0.1") });
    await expect(assertOperator(req("/api/metrics"), "metrics", adminsOnly)).rejects.toMatchObject({ code: "forbidden" });
    await expect(assertOperator(req("/api/cache-stats"), "feed", adminsOnly)).rejects.toMatchObject({ code: "unauthenticated" });
  });
});
