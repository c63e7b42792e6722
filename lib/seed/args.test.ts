import { describe, expect, it } from "vitest";
import { parseSeedArgs, SeedUsageError } from "./args";

describe("parseSeedArgs", () => {
  it("has the issue's defaults", () => {
    expect(parseSeedArgs([])).toEqual({
      help: false,
      users: 200,
      posts: 2000,
      maxLikes: 50,
      maxComments: 5,
      seed: 42,
      reset: false,
      ifEmpty: false,
    });
  });

  it("reads every option", () => {
    const args = ["--users", "2000", "--posts=100000", "--max-likes", "20", "--max-comments", "0", "--seed", "7", "--reset"];
    expect(parseSeedArgs(args)).toMatchObject({ users: 2000, posts: 100_000, maxLikes: 20, maxComments: 0, seed: 7, reset: true });
    expect(parseSeedArgs(["--if-empty"])).toMatchObject({ ifEmpty: true, reset: false });
    expect(parseSeedArgs(["--help"])).toEqual({ help: true });
    expect(parseSeedArgs(["-h"])).toEqual({ help: true });
  });

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["extra"], /Unexpected argument/],
    [["--users"], /argument missing/],
    [["--users", "0"], /--users must be at least 1/],
    [["--posts", "1.5"], /--posts must be a whole number/],
    [["--posts", "-3"], /--posts/],
    [["--posts", "1e3"], /--posts must be a whole number/],
    [["--max-likes", "5000"], /--max-likes must be at most 1000/],
    [["--users", "10", "--max-likes", "20"], /cannot exceed --users/],
    [["--seed", "4294967296"], /--seed must be at most/],
    [["--reset", "--if-empty"], /cannot be combined/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseSeedArgs(argv)).toThrow(SeedUsageError);
    expect(() => parseSeedArgs(argv)).toThrow(message);
  });
});
