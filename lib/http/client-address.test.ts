import { describe, expect, it } from "vitest";
import { clientAddress, isLoopback, withClientAddress } from "./client-address";

const forwardedFor = (value?: string) => new Headers(value === undefined ? {} : { "x-forwarded-for": value });

describe("clientAddress", () => {
  it.each([
    ["203.0.113.9", "203.0.113.9"],
    // What the client claimed comes first; the proxy's word is the last entry.
    ["127.0.0.1, 203.0.113.9", "203.0.113.9"],
    ["10.0.0.1,203.0.113.9 ", "203.0.113.9"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["2001:DB8::1", "2001:db8::1"],
  ])("takes the last entry of %j", (header, expected) => {
    expect(clientAddress(forwardedFor(header))).toBe(expected);
  });

  it.each([[undefined], [""], ["unknown"], ["203.0.113.9, not-an-ip"], ["203.0.113.9,"]])("has no address for %j", (header) => {
    expect(clientAddress(forwardedFor(header))).toBeNull();
  });
});

describe("isLoopback", () => {
  it.each(["127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1"])("%s is loopback", (address) => {
    expect(isLoopback(address)).toBe(true);
  });
  it.each([null, "203.0.113.9", "10.0.0.1", "::", "::2", "2001:db8::1", "128.0.0.1", "localhost"])("%s is not", (address) => {
    expect(isLoopback(address)).toBe(false);
  });
  it("looks at the proxy's entry, never at what the client claimed", () => {
    expect(isLoopback(clientAddress(forwardedFor("127.0.0.1, 203.0.113.9")))).toBe(false);
  });
});

describe("withClientAddress", () => {
  it("leaves exactly the client's address in X-Forwarded-For, and the other headers as they were", () => {
    const headers = withClientAddress(new Headers({ "x-forwarded-for": "127.0.0.1, 203.0.113.9", cookie: "a=b" }));
    expect([headers.get("x-forwarded-for"), headers.get("cookie")]).toEqual(["203.0.113.9", "a=b"]);
    expect(withClientAddress(forwardedFor("garbage")).has("x-forwarded-for")).toBe(false);
  });
});
