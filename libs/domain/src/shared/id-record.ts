/**
 * Ids are data, never object keys with meaning (docs/robustness.md, "Ids are data"): a ward called `constructor` or
 * a referral called `__proto__` must be an entry like any other. States are served as JSON, so id-keyed
 * collections are records without a prototype, made only here, and read only through `entryOf`, which also holds
 * for a record that came back through `JSON.parse` and so has `Object.prototype` again.
 */
export type IdRecord<T> = Readonly<Record<string, T>>;

/**
 * One empty record for every state: a journey starts with seven of them, and each record without a prototype is a
 * hash table of its own, about 240 bytes even when empty, which made most of a just-opened journey's weight in the
 * fold caches (docs/benchmarks.md, "Fold caches"). Frozen, so sharing it is safe: records are only ever copied.
 */
const EMPTY: IdRecord<never> = Object.freeze(Object.create(null) as Record<string, never>);

export function emptyIdRecord<T>(): IdRecord<T> {
  return EMPTY;
}

/** A new record to fill before it is handed out (the shared empty one is frozen). */
export function writableIdRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** The entry for `id`, or undefined: never an inherited member such as `Object.prototype.valueOf`. */
export function entryOf<T>(record: IdRecord<T>, id: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, id) ? record[id] : undefined;
}

/**
 * The record with `id` set to `value`, as a new record. Copied into ordinary object literals, every new UUID key
 * gave V8 a new hidden class, which made the journey fold (the hot path of every load and rebuild) several times
 * slower; a record without a prototype is a hash table from the start.
 */
export function withEntry<T>(record: IdRecord<T>, id: string, value: T): IdRecord<T> {
  const next = Object.create(null) as Record<string, T>;
  for (const key of Object.keys(record)) next[key] = record[key]!;
  next[id] = value;
  return next;
}
