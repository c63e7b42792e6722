import "server-only";
import { getCache } from "@/lib/cache";
import { hitRateLimit } from "@/lib/cache/rate-limit";
import { DomainError } from "./errors";

/**
 * Counts one `action` by `userId` against `perMinute` and refuses it past
 * that (`rate_limited`, with when to come back: a 429 with `Retry-After`).
 * Counted in Redis when it is configured, so the limit holds across
 * instances; per process while Redis is down (lib/cache/rate-limit.ts). One
 * cache round trip.
 */
export async function limitPerUser(action: "comments" | "likes" | "posts", userId: string, perMinute: number): Promise<void> {
  const limit = await hitRateLimit(getCache(), `${action}:${userId}`, perMinute, 60);
  if (!limit.allowed) throw new DomainError("rate_limited", `Too many ${action}; try again in ${limit.retryAfter} s.`, limit.retryAfter);
}
