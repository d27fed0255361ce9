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

interface Entry<V> {
  readonly value: V;
  readonly bytes: number;
}

/** The share of the budget (and of the entry limit) that new folds enter by, before they compete for the rest. */
const WINDOW_SHARE = 0.01;

/**
 * Folded streams kept between uses, within a byte budget and an entry limit. A state's size is weighed by the events
 * folded into it (`foldWeight`), not by its entries: one long journey can outweigh a thousand short ones, and a cache
 * bounded only in entries grew with the length of the streams it held (the API peaked past 1 GB under
 * `npm run bench:http` with 20,000 entries per projection).
 *
 * Which folds stay is decided by how often their streams were used lately, not only by how recently (W-TinyLFU,
 * docs/benchmarks.md, "Fold caches"). A new fold enters a small window kept least recently stored first out; leaving
 * it, the fold takes the place of the main part's least recent one only if its stream was used more often. With
 * recency alone, streams written in turn, more of them than the budget holds (a coordinator working down a worklist,
 * a nightly sweep of open journeys, bench:http's pool of journeys visited one after another), each evicted the next
 * one to be needed: no use hit, however near the budget came to holding them all. Now the budget's worth of them
 * stays and is hit, so a smaller budget costs misses in proportion rather than all at once.
 */
export class FoldCache<V> {
  /** New folds, least recently stored first. */
  private readonly window = new Map<string, Entry<V>>();
  /** Folds that won their place, least recently stored first. */
  private readonly main = new Map<string, Entry<V>>();
  private windowHeld = 0;
  private mainHeld = 0;
  private readonly windowBytes: number;
  private readonly windowEntries: number;
  private readonly used: FrequencySketch;

  constructor(
    private readonly budgetBytes: number,
    private readonly maxEntries = Number.POSITIVE_INFINITY,
  ) {
    this.windowBytes = Math.max(0, Math.floor(budgetBytes * WINDOW_SHARE));
    this.windowEntries = Math.max(1, Math.floor(maxEntries * WINDOW_SHARE));
    // Sized to the most entries the budget can hold: the sketch forgets in step with the cache turning over. An
    // unbounded cache still gets a bounded sketch: a million entries' worth, 16 MB.
    this.used = new FrequencySketch(Math.min(maxEntries, Math.ceil(budgetBytes / foldWeight(0)), 1 << 20));
  }

  /** The fold kept for `key`. */
  get(key: string): V | undefined {
    return (this.main.get(key) ?? this.window.get(key))?.value;
  }

  /**
   * Keeps `value`, folded from `events` events, in place of any earlier fold of the same stream. Each call counts as
   * one use of the stream: call it once per use, whether the fold was found here or folded again.
   */
  set(key: string, value: V, events: number): void {
    this.used.add(key);
    const bytes = foldWeight(events);
    const kept = this.main.get(key);
    this.delete(key);
    // A state that alone outweighs the budget is not kept: it would evict everything else and then itself.
    if (bytes > this.budgetBytes || this.maxEntries <= 0) return;
    if (kept) {
      // A fold that won its place keeps it when its stream moves on: it need not compete again.
      this.main.set(key, { value, bytes });
      this.mainHeld += bytes;
      this.evictFromMain();
      return;
    }
    this.window.set(key, { value, bytes });
    this.windowHeld += bytes;
    // Checked before iterating: an iterator starts by stepping over the holes deletions left at the front of the
    // map's table, which made every insert slow while nothing needed moving.
    while (
      this.window.size > 1 &&
      (this.windowHeld > this.windowBytes || this.window.size > this.windowEntries)
    ) {
      const [candidate, entry] = this.window.entries().next().value!;
      this.window.delete(candidate);
      this.windowHeld -= entry.bytes;
      this.admit(candidate, entry);
    }
    // The window itself may hold the last fold past the bounds (one heavy fold in a small cache).
    this.evictFromMain();
  }

  delete(key: string): void {
    const main = this.main.get(key);
    if (main) {
      this.main.delete(key);
      this.mainHeld -= main.bytes;
      return;
    }
    const window = this.window.get(key);
    if (!window) return;
    this.window.delete(key);
    this.windowHeld -= window.bytes;
  }

  /** False when the cache keeps nothing (an entry limit or budget of 0): work done only to fill it can be skipped. */
  keeps(): boolean {
    return this.maxEntries > 0 && this.budgetBytes > 0;
  }

  /** Entries held, and their estimated weight in bytes. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.main.size + this.window.size, bytes: this.mainHeld + this.windowHeld };
  }

  /**
   * A fold leaving the window: kept if there is room, or if its stream was used more often than each fold it would
   * evict, not counting the use that brought it here. Among streams used in turn, the one arriving is always one use
   * ahead of the least recent one held, which is the next to come round: counted, it won every time, and each miss
   * evicted the next hit.
   */
  private admit(key: string, entry: Entry<V>): void {
    let freed = 0;
    let evicted = 0;
    const fits = () =>
      this.mainHeld - freed + this.windowHeld + entry.bytes <= this.budgetBytes &&
      this.main.size - evicted + this.window.size + 1 <= this.maxEntries;
    if (!fits()) {
      const frequency = this.used.frequency(key) - 1;
      for (const [victim, held] of this.main) {
        // Ties keep the incumbent: among streams used in turn, the ones held stay held.
        if (this.used.frequency(victim) >= frequency) return;
        freed += held.bytes;
        evicted += 1;
        if (fits()) break;
      }
      // The whole main part is not room enough (the window holds the rest): not kept.
      if (!fits()) return;
      this.evictOldest(evicted);
    }
    this.main.set(key, entry);
    this.mainHeld += entry.bytes;
  }

  /** Evicts the main part's least recent folds while the cache is past its bounds. */
  private evictFromMain(): void {
    while (
      this.main.size > 0 &&
      (this.mainHeld + this.windowHeld > this.budgetBytes ||
        this.main.size + this.window.size > this.maxEntries)
    )
      this.evictOldest(1);
  }

  private evictOldest(count: number): void {
    for (let i = 0; i < count; i++) {
      const [oldest, entry] = this.main.entries().next().value!;
      this.main.delete(oldest);
      this.mainHeld -= entry.bytes;
    }
  }
}

/** Counters saturate here: four bits each, as in TinyLFU; what matters is which stream was used more. */
const MAX_COUNT = 15;

/**
 * How often each key was used lately, approximately and in a fixed space (a count-min sketch): four counters
 * per key, picked by hashing, and the smallest is the estimate; collisions only ever overestimate. Sixteen counters
 * per entry the cache can hold, and every counter halved once ten uses per entry were counted, as TinyLFU sizes
 * them: a counter then takes a few increments between halvings, so counts stay apart, and old popularity fades
 * (a stream that stopped being used gives way) while the cache turns over.
 */
class FrequencySketch {
  private readonly counters: Uint8Array;
  private readonly mask: number;
  private readonly sample: number;
  private counted = 0;

  constructor(entries: number) {
    let size = 64;
    while (size < entries * 16 && size < 1 << 24) size *= 2;
    this.counters = new Uint8Array(size);
    this.mask = size - 1;
    this.sample = Math.max(64, entries * 10);
  }

  add(key: string): void {
    const hash = hashOf(key);
    const step = (Math.imul(hash, 0x9e3779b1) >>> 16) | 1;
    for (let i = 0, at = hash; i < 4; i++, at += step) {
      const slot = at & this.mask;
      if (this.counters[slot]! < MAX_COUNT) this.counters[slot]! += 1;
    }
    if (++this.counted >= this.sample) this.halve();
  }

  frequency(key: string): number {
    const hash = hashOf(key);
    const step = (Math.imul(hash, 0x9e3779b1) >>> 16) | 1;
    let least = MAX_COUNT;
    for (let i = 0, at = hash; i < 4; i++, at += step)
      least = Math.min(least, this.counters[at & this.mask]!);
    return least;
  }

  private halve(): void {
    for (let i = 0; i < this.counters.length; i++) this.counters[i]! >>= 1;
    this.counted = Math.floor(this.counted / 2);
  }
}

/** FNV-1a over the key's UTF-16 code units, then mixed so that keys differing only at the end spread apart. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}
