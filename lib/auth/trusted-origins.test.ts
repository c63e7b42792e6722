import { describe, expect, it } from "vitest";
import { trustedOriginsFor } from "./trusted-origins";

describe("trustedOriginsFor", () => {
  it("trusts only the app's own origin on a public host", () => {
    expect(trustedOriginsFor("https://blog.example.com")).toEqual(["https://blog.example.com"]);
    expect(trustedOriginsFor("https://blog.example.com:8443/some/path")).toEqual(["https://blog.example.com:8443"]);
  });

  it("adds the loopback twins of a loopback origin, same scheme and port", () => {
    expect(trustedOriginsFor("http://127.0.0.1:3100")).toEqual([
      "http://localhost:3100",
      "http://127.0.0.1:3100",
      "http://[::1]:3100",
    ]);
    expect(trustedOriginsFor("http://localhost")).toEqual(["http://localhost", "http://127.0.0.1", "http://[::1]"]);
  });

  it("does not treat a look-alike host as loopback", () => {
    expect(trustedOriginsFor("http://localhost.evil.com:3000")).toEqual(["http://localhost.evil.com:3000"]);
    expect(trustedOriginsFor("http://127.0.0.2:3000")).toEqual(["http://127.0.0.2:3000"]);
  });
});
