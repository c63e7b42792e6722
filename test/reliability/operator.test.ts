import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownRedis } from "@/lib/cache/test-support";
import { ensureBuild, type Instance, reliabilityDatabase, signInOver, startInstance } from "./instances";

// The operator surfaces (/api/metrics, /api/cache-stats, /cache) over HTTP on
// the built app: one instance configured for production (METRICS_TOKEN and
// ADMIN_EMAILS), one with neither, behind a proxy (TRUST_PROXY=1) so that the
// test can come from addresses other than its own.

const TOKEN = "operator-token-for-the-test-0123";

let database: Awaited<ReturnType<typeof reliabilityDatabase>>;
let redis: Awaited<ReturnType<typeof ownRedis>>;
let locked: Instance;
let open: Instance;

beforeAll(async () => {
  await ensureBuild();
  database = await reliabilityDatabase(`blog_operator_test_${process.pid}`);
  redis = await ownRedis();
  locked = await startInstance({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: `operator-locked-${process.pid}`,
    extraEnv: { METRICS_TOKEN: TOKEN, ADMIN_EMAILS: "demo1@example.com" },
  });
  open = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix: `operator-open-${process.pid}`, extraEnv: { TRUST_PROXY: "1" } });
}, 600_000);

afterAll(async () => {
  await locked?.stop();
  await open?.stop();
  await redis?.stop();
  await database?.drop();
});

async function status(instance: Instance, path: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${instance.url}${path}`, { headers });
  await res.arrayBuffer();
  return res.status;
}

describe("METRICS_TOKEN and ADMIN_EMAILS set", () => {
  it("/api/metrics: 401 with WWW-Authenticate unless the bearer token, even from this machine", async () => {
    const refused = await fetch(`${locked.url}/api/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await refused.json()).toMatchObject({ error: { code: "unauthenticated" } });
    expect(await status(locked, "/api/metrics", { Authorization: `Bearer ${TOKEN}x` })).toBe(401);
    const ok = await fetch(`${locked.url}/api/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^# HELP /m);
  });

  it("/cache: 404 unless signed in as an admin; /api/cache-stats: an admin's session or the token", async () => {
    const admin = await signInOver(locked, "demo1@example.com");
    const other = await signInOver(locked, "demo2@example.com");
    expect(await status(locked, "/cache")).toBe(404);
    expect(await status(locked, "/cache", { Cookie: other })).toBe(404);
    const page = await fetch(`${locked.url}/cache`, { headers: { Cookie: admin } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Cache dashboard");

    expect(await status(locked, "/api/cache-stats")).toBe(401);
    expect(await status(locked, "/api/cache-stats", { Cookie: other })).toBe(401);
    expect(await status(locked, "/api/cache-stats", { Cookie: admin })).toBe(200);
    expect(await status(locked, "/api/cache-stats", { Authorization: `Bearer ${TOKEN}` })).toBe(200);
  });
});

describe("neither set", () => {
  it("all three answer loopback clients only, as the proxy reports them", async () => {
    for (const path of ["/api/metrics", "/api/cache-stats", "/cache"]) {
      expect([path, await status(open, path, { "X-Forwarded-For": "127.0.0.1" })]).toEqual([path, 200]);
      const refused = path === "/cache" ? 404 : 403;
      expect([path, await status(open, path, { "X-Forwarded-For": "203.0.113.7" })]).toEqual([path, refused]);
      // A client that claims to be local, in front of the proxy.
      expect([path, await status(open, path, { "X-Forwarded-For": "127.0.0.1, 203.0.113.7" })]).toEqual([path, refused]);
    }
  });
});
