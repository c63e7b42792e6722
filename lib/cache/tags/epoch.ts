/**
 * The owed epoch bump: the last resort when an invalidation could not be
 * confirmed (tags.ts `invalidate` retries the bump itself first).
 *
 * When a write's bump is not confirmed before the write answers, some entry
 * might still be served from before that write. Bumping the EPOCH — a tag of
 * every entry — invalidates them all: a full flush of this app's cache, which
 * is why it is kept for when nothing else works. It is owed by this process
 * until the store confirms it: tried before the next read or write of the
 * tag store, and every 250 ms meanwhile.
 *
 * Known limit: the debt lives in this process. If it dies before the store
 * answers again, entries from before the lost bump live until their TTL.
 */

/** How often an owed epoch bump is tried while the cache does not answer. */
const RETRY_MS = 250;

export class OwedEpoch {
  #owed = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #settling: Promise<void> | undefined;

  /** `bump` bumps the epoch tag; true when the store confirmed it. */
  constructor(private readonly bump: () => Promise<boolean>) {}

  /** True while a bump is owed. */
  get owed(): boolean {
    return this.#owed;
  }

  /** Records that a bump is owed and starts trying. */
  owe(): void {
    this.#owed = true;
    this.#timer ??= setInterval(() => void this.settle(), RETRY_MS);
    this.#timer.unref?.();
  }

  /**
   * Pays an owed bump (one round trip; none when nothing is owed). Concurrent
   * callers share one attempt, so one outage costs one epoch bump per process.
   */
  settle(): Promise<void> {
    if (!this.#owed) return Promise.resolve();
    this.#settling ??= this.bump()
      .then((ok) => {
        if (!ok) return;
        this.#owed = false;
        if (this.#timer) clearInterval(this.#timer);
        this.#timer = undefined;
      })
      .finally(() => {
        this.#settling = undefined;
      });
    return this.#settling;
  }
}
