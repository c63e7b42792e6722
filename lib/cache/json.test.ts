import { describe, expect, it } from "vitest";
import { CacheValueError } from "./errors";
import { decodeValue, encodeValue } from "./json";

describe("encodeValue", () => {
  it("encodes plain JSON exactly as JSON.stringify does", () => {
    const value = { a: [1, "two", null, true, { b: -0.5 }], "ключ": "значение", empty: {}, list: [] };
    expect(encodeValue(value)).toBe(JSON.stringify(value));
    expect(decodeValue(encodeValue(value))).toEqual(value);
    for (const scalar of [0, false, "", null, 1e21, -1]) expect(decodeValue(encodeValue(scalar))).toEqual(scalar);
  });

  it("names where the offending value is", () => {
    const message = (value: unknown) => {
      try {
        encodeValue(value);
      } catch (error) {
        expect(error).toBeInstanceOf(CacheValueError);
        return (error as Error).message;
      }
      throw new Error("expected a refusal");
    };
    expect(message({ posts: [{ id: 1 }, { id: 2, createdAt: new Date() }] })).toMatch(/value\.posts\[1\]\.createdAt is a Date/);
    expect(message({ n: Number.NaN })).toMatch(/value\.n is NaN/);
    expect(message({ tags: new Set(["a"]) })).toMatch(/value\.tags is an instance of Set/);
    expect(message({ a: { b: undefined } })).toMatch(/value\.a\.b is undefined/);
    expect(message({ big: 1n })).toMatch(/BigInt/);
    expect(message(undefined)).toMatch(/store null/);
  });

  it("refuses structures nested deeper than 1,000 levels", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1_100; i++) deep = [deep];
    expect(() => encodeValue(deep)).toThrow(/nested more than 1000 levels/);
  });
});
