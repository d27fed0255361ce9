/**
 * What a folded stream holds in memory: a fixed part (the state's own structure) and a part per event folded into
 * it (the stored event the state keeps, with its data, metadata and hashes, and what was derived from it). Both
 * measured on journeys by `npm run bench:fold-weight` (docs/benchmarks.md, "Fold caches") and rounded up, so a
 * budget is an upper bound in practice.
 */
export const FOLD_BASE_BYTES = 2_048;
export const FOLDED_EVENT_BYTES = 512;

/** The weight a fold cache gives a state folded from `events` events. */
export const foldWeight = (events: number): number =>
  FOLD_BASE_BYTES + FOLDED_EVENT_BYTES * Math.max(0, events);

/**
 * Folded streams kept between uses, within a byte budget and an entry limit, least recently stored first out.
 * A state's size is weighed by the events folded into it (`foldWeight`), not by its entries: one
 * long journey can outweigh a thousand short ones, and a cache bounded only in entries grew with the length of the
 * streams it held (the API peaked past 1 GB under `npm run bench:http` with 20,000 entries per projection).
 */
export class FoldCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly bytes: number }>();
  private held = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly maxEntries = Number.POSITIVE_INFINITY,
  ) {}

  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Keeps `value`, folded from `events` events, as the most recent entry; evicts the oldest past the bounds. */
  set(key: string, value: V, events: number): void {
    this.delete(key);
    const bytes = foldWeight(events);
    // A state that alone outweighs the budget is not kept: it would evict everything else and then itself.
    if (bytes > this.budgetBytes || this.maxEntries <= 0) return;
    this.entries.set(key, { value, bytes });
    this.held += bytes;
    // Checked before iterating: an iterator starts by stepping over the holes deletions left at the front of the
    // map's table, which made every insert slow while nothing needed evicting.
    while (this.held > this.budgetBytes || this.entries.size > this.maxEntries) {
      const [oldest, entry] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.held -= entry.bytes;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.held -= entry.bytes;
  }

  /** False when the cache keeps nothing (an entry limit or budget of 0): work done only to fill it can be skipped. */
  keeps(): boolean {
    return this.maxEntries > 0 && this.budgetBytes > 0;
  }

  /** Entries held, and their estimated weight in bytes. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.held };
  }
}
