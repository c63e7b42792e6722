import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, describeError, fetchJson, isRetryable, parseApiError, parseRetryAfter } from "./api";

const noHeaders = new Headers();

describe("parseRetryAfter", () => {
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("42")).toBe(42);
    expect(parseRetryAfter(" 7 ")).toBe(7);
    expect(parseRetryAfter("0")).toBe(0);
  });

  it("reads an HTTP date, counted from now and rounded up, never negative", () => {
    const now = Date.parse("2026-11-27T10:00:00.000Z");
    expect(parseRetryAfter("Fri, 27 Nov 2026 10:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Fri, 27 Nov 2026 10:00:30 GMT", now + 500)).toBe(30);
    expect(parseRetryAfter("Fri, 27 Nov 2026 09:59:00 GMT", now)).toBe(0);
  });

  it("is null when absent or unreadable", () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter("-5")).toBeNull();
    expect(parseRetryAfter("1.5")).toBeNull();
  });
});

describe("parseApiError", () => {
  it("reads the docs/api.md error shape with its details", () => {
    const error = parseApiError(
      400,
      {
        error: {
          code: "validation_error",
          message: "Invalid body.",
          details: [{ field: "title", message: "title must not be empty" }, { message: "no field" }, { bogus: 1 }, "x"],
        },
      },
      noHeaders,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ status: 400, code: "validation_error", message: "Invalid body.", retryAfter: null });
    expect(error.details).toEqual([{ field: "title", message: "title must not be empty" }, { message: "no field" }]);
  });

  it("takes Retry-After from a 429", () => {
    const error = parseApiError(
      429,
      { error: { code: "rate_limited", message: "Too many comments." } },
      new Headers({ "Retry-After": "12" }),
    );
    expect(error).toMatchObject({ status: 429, code: "rate_limited", retryAfter: 12, details: [] });
  });

  it("falls back on the status when the body is not the docs/api.md shape", () => {
    expect(parseApiError(401, null, noHeaders)).toMatchObject({ code: "unauthenticated", message: "The request failed (HTTP 401)." });
    expect(parseApiError(403, "<html>", noHeaders).code).toBe("forbidden");
    expect(parseApiError(502, { error: "Bad gateway" }, noHeaders)).toMatchObject({
      code: "internal",
      message: "Something went wrong on our side. Please try again.",
    });
    expect(parseApiError(418, {}, noHeaders).code).toBe("unknown");
  });
});

describe("fetchJson", () => {
  afterEach(() => vi.unstubAllGlobals());

  function stubFetch(impl: (input: string, init: RequestInit) => Promise<Response>) {
    const fn = vi.fn(impl);
    vi.stubGlobal("fetch", fn);
    return fn;
  }

  it("sends JSON same-origin and returns the parsed body", async () => {
    const fetch = stubFetch(async () => Response.json({ liked: true, likesCount: 3 }));
    await expect(fetchJson("/api/posts/1/like", { method: "PUT" })).resolves.toEqual({ liked: true, likesCount: 3 });
    await fetchJson("/api/posts", { method: "POST", body: { title: "t", content: "c" } });
    const [, init] = fetch.mock.calls[1]!;
    expect(init).toMatchObject({ method: "POST", credentials: "same-origin", body: '{"title":"t","content":"c"}' });
    expect((init.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
    expect((fetch.mock.calls[0]![1].headers as Record<string, string>)["Content-Type"]).toBeUndefined();
  });

  it("returns undefined for a 204", async () => {
    stubFetch(async () => new Response(null, { status: 204 }));
    await expect(fetchJson("/api/posts/1", { method: "DELETE" })).resolves.toBeUndefined();
  });

  it("throws an ApiError for an error answer, with Retry-After", async () => {
    stubFetch(async () =>
      Response.json(
        { error: { code: "rate_limited", message: "Slow down." } },
        { status: 429, headers: { "Retry-After": "30" } },
      ),
    );
    const error = await fetchJson("/api/posts/1/comments", { method: "POST", body: { body: "hi" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: "rate_limited", retryAfter: 30 });
    expect(describeError(error, "Your comment was not posted")).toBe(
      "Your comment was not posted. You're doing that too often — try again in 30 s.",
    );
  });

  it("throws an ApiError for an answer that is not JSON", async () => {
    stubFetch(async () => new Response("<h1>Bad gateway</h1>", { status: 502 }));
    await expect(fetchJson("/api/posts/1")).rejects.toMatchObject({ status: 502, code: "internal" });
  });

  it("turns a network failure into network_error, but lets an abort through", async () => {
    stubFetch(async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(fetchJson("/api/posts/1")).rejects.toMatchObject({ status: 0, code: "network_error" });

    const abort = new DOMException("The operation was aborted.", "AbortError");
    stubFetch(async () => {
      throw abort;
    });
    await expect(fetchJson("/api/posts/1")).rejects.toBe(abort);
  });
});

describe("isRetryable", () => {
  it("retries network failures and 5xx only", () => {
    expect(isRetryable(new ApiError(0, "network_error", "x"))).toBe(true);
    expect(isRetryable(new ApiError(503, "internal", "x"))).toBe(true);
    expect(isRetryable(new ApiError(404, "not_found", "x"))).toBe(false);
    expect(isRetryable(new ApiError(429, "rate_limited", "x"))).toBe(false);
  });
});

describe("describeError", () => {
  it("says what failed and what to do", () => {
    expect(describeError(new ApiError(429, "rate_limited", "x"))).toBe("You're doing that too often — try again in a moment.");
    expect(describeError(new ApiError(401, "unauthenticated", "x"), "Your like was not saved")).toBe(
      "Your like was not saved. Your session has ended — please sign in again.",
    );
    expect(
      describeError(new ApiError(400, "validation_error", "Invalid body.", [{ field: "body", message: "body must not be empty" }])),
    ).toBe("body must not be empty");
    expect(describeError(new ApiError(400, "validation_error", "Invalid body."))).toBe("Invalid body.");
    expect(describeError(new Error("boom"))).toBe("Something went wrong. Please try again.");
    expect(describeError(new ApiError(503, "unavailable", "x", [], 5), "Your like was not saved")).toBe(
      "Your like was not saved. The site is busy or cannot reach its database right now — try again in 5 s.",
    );
  });
});
