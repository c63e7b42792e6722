import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownRedis } from "@/lib/cache/test-support";
import { ensureBuild, type Instance, reliabilityDatabase, startInstance } from "./instances";

// better-auth's rate limits across two `server.ts` processes on one PostgreSQL
// and one Redis of the test's own: what one client address is allowed when
// its attempts are spread over both instances. The instances run behind a
// "proxy" (TRUST_PROXY=1), so each test picks its own client address with
// X-Forwarded-For instead of waiting for a minute-long window to pass.

let database: Awaited<ReturnType<typeof reliabilityDatabase>>;
let redis: Awaited<ReturnType<typeof ownRedis>>;
let a: Instance;
let b: Instance;

const SIGN_UP_PER_MINUTE = 3;

beforeAll(async () => {
  await ensureBuild();
  database = await reliabilityDatabase(`blog_limits_test_${process.pid}`);
  redis = await ownRedis();
  const prefix = `limits-${process.pid}`;
  // The sign-in limit at its default (10 a minute); sign-up configured.
  const extraEnv = { TRUST_PROXY: "1", AUTH_SIGN_UP_PER_MINUTE: String(SIGN_UP_PER_MINUTE) };
  a = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix, extraEnv });
  b = await startInstance({ databaseUrl: database.url, redisUrl: redis.url, prefix, authUrl: a.url, extraEnv });
}, 600_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
  await database?.drop();
});

let addressCount = 0;
/** A client address no other test here uses (TEST-NET-3). */
const newAddress = () => `203.0.113.${++addressCount}`;

/** A POST as the proxy forwards it: `forwardedFor` is its X-Forwarded-For. */
function authPost(instance: Instance, path: string, forwardedFor: string, body: unknown): Promise<Response> {
  return fetch(`${instance.url}/api/auth${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: a.url, "X-Forwarded-For": forwardedFor },
    body: JSON.stringify(body),
  });
}

/** Sends `attempts` failed sign-ins from `forwardedFor`, round-robin over `instances`; counts the ones let through. */
async function failedSignIns(instances: Instance[], forwardedFor: string, attempts: number) {
  let allowed = 0;
  let limited = 0;
  const retryAfter = new Set<string | null>();
  for (let i = 0; i < attempts; i++) {
    const res = await authPost(instances[i % instances.length]!, "/sign-in/email", forwardedFor, { email: "demo1@example.com", password: `wrong-${i}-password` });
    await res.arrayBuffer();
    if (res.status === 401) allowed += 1;
    else if (res.status === 429) {
      limited += 1;
      retryAfter.add(res.headers.get("retry-after"));
    } else throw new Error(`unexpected ${res.status}`);
  }
  return { allowed, limited, retryAfter };
}

describe("better-auth's limits, shared by instances", () => {
  it("one address gets the configured number of failed sign-ins, on one instance or spread over two", async () => {
    const one = await failedSignIns([a], newAddress(), 30);
    const two = await failedSignIns([a, b], newAddress(), 30);
    console.log(`[limits] failed sign-ins allowed from one address in a minute: one instance ${one.allowed}/30, two instances ${two.allowed}/30`);
    expect(one.allowed).toBe(10);
    expect(two.allowed).toBe(10);
    // The 429s say when to come back, under the header name docs/api.md promises.
    for (const value of two.retryAfter) {
      expect(Number(value)).toBeGreaterThan(0);
      expect(Number(value)).toBeLessThanOrEqual(60);
    }
  });

  it("the sign-up limit is AUTH_SIGN_UP_PER_MINUTE per address across instances", async () => {
    const address = newAddress();
    const statuses: number[] = [];
    for (let i = 0; i < SIGN_UP_PER_MINUTE * 2 + 2; i++) {
      // Too short a password: refused (400) without creating anyone, but counted.
      const res = await authPost([a, b][i % 2]!, "/sign-up/email", address, { name: "Spam", email: `spam-${i}@example.com`, password: "short" });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 400)).toHaveLength(SIGN_UP_PER_MINUTE);
    expect(statuses.slice(SIGN_UP_PER_MINUTE).every((s) => s === 429)).toBe(true);
  });

  it("counts the address the proxy saw (the last one), not the one the client put first", async () => {
    const address = newAddress();
    const claimed = newAddress();
    // The client claims `claimed`; the proxy appends what it saw.
    const first = await failedSignIns([a, b], `${claimed}, ${address}`, 12);
    expect(first).toMatchObject({ allowed: 10, limited: 2 });
    // Claiming another first entry does not buy a fresh bucket…
    expect(await failedSignIns([b], `${newAddress()}, ${address}`, 2)).toMatchObject({ allowed: 0, limited: 2 });
    // …and the claimed address was never charged.
    expect(await failedSignIns([a], claimed, 1)).toMatchObject({ allowed: 1, limited: 0 });
  });
});
