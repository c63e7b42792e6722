// Turns what the auth routes answered into a message for the reader. Pure (no
// React, no fetch) so the wording is unit-tested in test/auth-errors.test.ts.

export type AuthField = "name" | "email" | "password";

export interface AuthFailure {
  /** HTTP status; 0 when the request never got an answer (offline, DNS, reset). */
  status: number;
  /** better-auth's error code, e.g. INVALID_EMAIL_OR_PASSWORD. */
  code?: string | undefined;
  message?: string | undefined;
  /** Seconds, from the 429's X-Retry-After header. */
  retryAfter?: number | null | undefined;
}

export interface AuthErrorMessage {
  message: string;
  /** The field the message is about (marked aria-invalid), if any. */
  field?: AuthField;
}

export const MIN_PASSWORD_LENGTH = 8;

/** Client-side checks before a request is sent; the server checks again. */
export function validateAuthFields(
  mode: "sign-in" | "sign-up",
  values: { name?: string; email: string; password: string },
): Partial<Record<AuthField, string>> {
  const errors: Partial<Record<AuthField, string>> = {};
  if (mode === "sign-up" && !values.name?.trim()) errors.name = "Enter your name.";
  if (!values.email.trim()) errors.email = "Enter your email address.";
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email.trim())) errors.email = "Enter a valid email address, like you@example.com.";
  if (!values.password) errors.password = "Enter your password.";
  else if (mode === "sign-up" && values.password.length < MIN_PASSWORD_LENGTH)
    errors.password = `Use at least ${MIN_PASSWORD_LENGTH} characters for your password.`;
  return errors;
}

export function describeAuthError(failure: AuthFailure): AuthErrorMessage {
  if (failure.status === 0) {
    return { message: "Could not reach the server. Check your connection and try again." };
  }
  if (failure.status === 429) {
    const seconds = failure.retryAfter;
    return {
      message:
        seconds && seconds > 0
          ? `Too many attempts, try again in ${seconds} ${seconds === 1 ? "second" : "seconds"}.`
          : "Too many attempts, try again in a minute.",
    };
  }
  switch (failure.code) {
    case "INVALID_EMAIL_OR_PASSWORD":
      return { message: "Wrong email or password." };
    case "USER_ALREADY_EXISTS":
    case "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL":
      return { message: "An account with this email already exists. Sign in instead, or use another email.", field: "email" };
    case "PASSWORD_TOO_SHORT":
      return { message: `Password too short: use at least ${MIN_PASSWORD_LENGTH} characters.`, field: "password" };
    case "PASSWORD_TOO_LONG":
      return { message: "Password too long: use at most 128 characters.", field: "password" };
    case "INVALID_EMAIL":
      return { message: "Enter a valid email address, like you@example.com.", field: "email" };
    case "INVALID_NAME":
      return { message: failure.message ? `${failure.message}.` : "Enter your name.", field: "name" };
    case "INVALID_ORIGIN":
    case "MISSING_OR_NULL_ORIGIN":
      return { message: "This page's address is not the site's own. Open the site from its usual address and try again." };
  }
  if (failure.status >= 500) return { message: "Something went wrong on our side. Please try again." };
  return { message: failure.message ? `${failure.message}.`.replace(/\.\.$/, ".") : "Something went wrong. Please try again." };
}
