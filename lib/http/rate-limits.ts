import "server-only";
import { getCache } from "@/lib/cache";
import { hitRateLimit } from "@/lib/cache/rate-limit";
import { AppError } from "./errors";

/**
 * Counts one `action` by `userId` against `perMinute` and refuses it with 429
 * `rate_limited` and `Retry-After` past that. Counted in Redis when it is
 * configured, so the limit holds across instances; per process while Redis is
 * down (lib/cache/rate-limit.ts). One cache round trip.
 */
export async function limitPerUser(action: "comments" | "likes" | "posts", userId: string, perMinute: number): Promise<void> {
  const limit = await hitRateLimit(getCache(), `${action}:${userId}`, perMinute, 60);
  if (!limit.allowed) {
    throw new AppError("rate_limited", `Too many ${action}; try again in ${limit.retryAfter} s.`, undefined, {
      "Retry-After": String(limit.retryAfter),
    });
  }
}
