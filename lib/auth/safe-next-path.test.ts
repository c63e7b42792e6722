import { describe, expect, it } from "vitest";
import { safeNextPath, withNextParam } from "./safe-next-path";

describe("safeNextPath", () => {
  it.each([
    ["/posts/3", "/posts/3"],
    ["/", "/"],
    ["/?page=2", "/?page=2"],
    ["/posts/3#comments", "/posts/3#comments"],
    ["/posts/new?draft=1", "/posts/new?draft=1"],
    ["/a/../posts/3", "/posts/3"],
  ])("keeps the relative path %s", (raw, expected) => {
    expect(safeNextPath(raw)).toBe(expected);
  });

  it.each([
    ["absent", undefined],
    ["not a string", ["/posts/3"]],
    ["empty", ""],
    ["protocol-relative", "//evil.com"],
    ["protocol-relative with path", "//evil.com/posts/3"],
    ["backslash", "/\\evil.com"],
    ["backslash first", "\\\\evil.com"],
    ["backslash later", "/posts\\..\\..\\x"],
    ["tab before a slash", "/\t/evil.com"],
    ["newline", "/\n/evil.com"],
    ["space", "/ /evil.com"],
    ["absolute http", "http://evil.com/"],
    ["absolute same host", "http://localhost:3000/posts/3"],
    ["javascript:", "javascript:alert(1)"],
    ["relative without slash", "posts/3"],
    ["sign-in loop", "/sign-in"],
    ["sign-up loop", "/sign-up?next=/x"],
    ["too long", "/" + "a".repeat(5000)],
  ])("rejects %s", (_label, raw) => {
    expect(safeNextPath(raw)).toBe("/");
  });
});

describe("withNextParam", () => {
  it("adds an encoded next, or nothing for the home page", () => {
    expect(withNextParam("/sign-up", "/posts/3?x=1&y=2")).toBe("/sign-up?next=%2Fposts%2F3%3Fx%3D1%26y%3D2");
    expect(withNextParam("/sign-up", "/")).toBe("/sign-up");
  });
});
