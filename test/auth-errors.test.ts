import { describe, expect, it } from "vitest";
import { describeAuthError, validateAuthFields } from "@/app/_components/auth-errors";

// The words a reader sees for each way signing in or up can fail.

describe("describeAuthError", () => {
  it("says wrong email or password, without saying which", () => {
    expect(describeAuthError({ status: 401, code: "INVALID_EMAIL_OR_PASSWORD", message: "Invalid email or password" })).toEqual({
      message: "Wrong email or password.",
    });
  });

  it("points a taken email and a weak password at their fields", () => {
    expect(describeAuthError({ status: 422, code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL" })).toMatchObject({ field: "email" });
    expect(describeAuthError({ status: 422, code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL" }).message).toMatch(/already exists/);
    expect(describeAuthError({ status: 400, code: "PASSWORD_TOO_SHORT" })).toEqual({
      message: "Password too short: use at least 8 characters.",
      field: "password",
    });
    expect(describeAuthError({ status: 400, code: "INVALID_NAME", message: "Name must be 1 to 100 characters" })).toEqual({
      message: "Name must be 1 to 100 characters.",
      field: "name",
    });
  });

  it("tells how long to wait after too many attempts, when the server says", () => {
    expect(describeAuthError({ status: 429, retryAfter: 42 }).message).toBe("Too many attempts, try again in 42 seconds.");
    expect(describeAuthError({ status: 429, retryAfter: 1 }).message).toBe("Too many attempts, try again in 1 second.");
    expect(describeAuthError({ status: 429, retryAfter: null }).message).toBe("Too many attempts, try again in a minute.");
  });

  it("tells a network failure and a server failure apart", () => {
    expect(describeAuthError({ status: 0 }).message).toMatch(/Could not reach the server/);
    expect(describeAuthError({ status: 500, message: "boom" }).message).toBe("Something went wrong on our side. Please try again.");
  });

  it("falls back to the server's message, with one full stop", () => {
    expect(describeAuthError({ status: 400, code: "SOMETHING_NEW", message: "Something new." }).message).toBe("Something new.");
    expect(describeAuthError({ status: 400 }).message).toBe("Something went wrong. Please try again.");
  });
});

describe("validateAuthFields", () => {
  it("asks for what is missing", () => {
    expect(validateAuthFields("sign-up", { name: " ", email: "", password: "" })).toEqual({
      name: "Enter your name.",
      email: "Enter your email address.",
      password: "Enter your password.",
    });
    expect(validateAuthFields("sign-in", { email: "", password: "" })).not.toHaveProperty("name");
  });

  it("checks the email's shape and, on sign-up only, the password's length", () => {
    expect(validateAuthFields("sign-in", { email: "nope", password: "x" })).toEqual({
      email: "Enter a valid email address, like you@example.com.",
    });
    expect(validateAuthFields("sign-up", { name: "A", email: "a@example.com", password: "1234567" })).toEqual({
      password: "Use at least 8 characters for your password.",
    });
    expect(validateAuthFields("sign-up", { name: "A", email: "a@example.com", password: "12345678" })).toEqual({});
  });
});
