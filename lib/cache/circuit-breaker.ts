/**
 * A circuit breaker for the cache connection. After `failureThreshold`
 * consecutive failures (errors or timeouts) it OPENS: calls are refused at
 * once, so an outage costs no timeout per request. After `openMs` it lets ONE
 * probe through (half-open); the probe's success closes it, its failure opens
 * it again for another `openMs`.
 */
export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long it stays open before a probe. Default 1,000 ms. */
  openMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #now: () => number;
  #failures = 0;
  #state: CircuitState = "closed";
  #openUntil = 0;
  #probing = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = options.failureThreshold ?? 5;
    this.#openMs = options.openMs ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.#state === "open" && this.#now() >= this.#openUntil) return "half-open";
    return this.#state;
  }

  /** Whether a call may go out now. In half-open, only one probe at a time. */
  allow(): boolean {
    if (this.#state === "closed") return true;
    if (this.#now() < this.#openUntil) return false;
    if (this.#probing) return false;
    this.#state = "half-open";
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#probing = false;
    this.#state = "closed";
  }

  failure(): void {
    this.#failures += 1;
    if (this.#state === "half-open" || this.#failures >= this.#threshold) {
      this.#state = "open";
      this.#openUntil = this.#now() + this.#openMs;
      this.#probing = false;
    }
  }
}
