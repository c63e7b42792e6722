/**
 * The most frequent items of a stream in bounded memory (the Space-Saving
 * algorithm, Metwally et al. 2005): at most `capacity` counters. When a new
 * item arrives and every counter is taken, it replaces the item with the
 * smallest count and inherits that count (+1) — so a count may overestimate
 * by at most the count it inherited (`error`), never underestimate. Items
 * whose true count exceeds total/capacity are always kept.
 *
 * Used for "most invalidated tags": tags carry post ids, so keeping every tag
 * would grow with the data.
 */
export class TopK {
  readonly #capacity: number;
  readonly #counts = new Map<string, { count: number; error: number }>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(item: string, by = 1): void {
    const entry = this.#counts.get(item);
    if (entry) {
      entry.count += by;
      return;
    }
    if (this.#counts.size < this.#capacity) {
      this.#counts.set(item, { count: by, error: 0 });
      return;
    }
    // O(capacity) on a miss when full: fine for a few hundred counters and
    // invalidations (writes), which are rare next to reads.
    let minItem: string | undefined;
    let min = Number.POSITIVE_INFINITY;
    for (const [key, value] of this.#counts) {
      if (value.count < min) {
        min = value.count;
        minItem = key;
      }
    }
    if (minItem !== undefined) this.#counts.delete(minItem);
    this.#counts.set(item, { count: min + by, error: min });
  }

  /**
   * The `n` items with the largest guaranteed counts (`count - error`, a
   * lower bound of the true count), largest first; ties by name, for a
   * stable display. `count` is an upper bound.
   */
  top(n: number): { item: string; count: number; error: number }[] {
    return [...this.#counts]
      .map(([item, { count, error }]) => ({ item, count, error }))
      .sort((a, b) => b.count - b.error - (a.count - a.error) || b.count - a.count || a.item.localeCompare(b.item))
      .slice(0, n);
  }
}
