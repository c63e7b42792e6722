import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./circuit-breaker";

describe("CircuitBreaker", () => {
  it("opens after the threshold, refuses while open, lets one probe through, closes on its success", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 1_000, now: () => now });
    for (let i = 0; i < 2; i++) breaker.failure();
    expect(breaker.state).toBe("closed");
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe("open");
    expect(breaker.allow()).toBe(false);
    now = 999;
    expect(breaker.allow()).toBe(false);
    now = 1_000;
    expect(breaker.state).toBe("half-open");
    expect(breaker.allow()).toBe(true); // the probe
    expect(breaker.allow()).toBe(false); // only one
    breaker.success();
    expect(breaker.state).toBe("closed");
    expect(breaker.allow()).toBe(true);
  });

  it("a failed probe opens it again for another period", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 500, now: () => now });
    breaker.failure();
    now = 500;
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe("open");
    expect(breaker.allow()).toBe(false);
    now = 1_000;
    expect(breaker.allow()).toBe(true);
  });

  it("a success resets the count of consecutive failures", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2 });
    breaker.failure();
    breaker.success();
    breaker.failure();
    expect(breaker.state).toBe("closed");
  });
});
