import { hashPassword } from "better-auth/crypto";

/** Every demo user (`demo<N>@example.com`) signs in with this password. */
export const DEMO_PASSWORD = "demo-password";

/**
 * better-auth's own scrypt hash of DEMO_PASSWORD, so its email sign-in accepts
 * it. Salted, hence different on every call (the one seeded value that is not
 * deterministic); scrypt is slow, so the writer hashes once and reuses it.
 */
export function hashDemoPassword(): Promise<string> {
  return hashPassword(DEMO_PASSWORD);
}
