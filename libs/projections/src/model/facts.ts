/**
 * An entity's facts as projections see them: the events that shaped it, with corrections applied and voided
 * ones kept but flagged. Projections derive their rows from the effective facts, so a correction or an
 * entered-in-error event anywhere in the log moves the figures exactly as a rebuild would (brief, rule 4).
 */
export interface Fact {
  readonly eventId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly voided: boolean;
}

/** Adds a fact; a fact already present (same event id) changes nothing: duplicate delivery is harmless. */
export function addFact(facts: readonly Fact[], fact: Omit<Fact, 'voided'>): readonly Fact[] {
  if (facts.some((f) => f.eventId === fact.eventId)) return facts;
  return [...facts, { ...fact, voided: false }];
}

export function voidFact(facts: readonly Fact[], targetEventId: string): readonly Fact[] {
  return facts.map((f) => (f.eventId === targetEventId ? { ...f, voided: true } : f));
}

/** The latest correction wins; applying the same correction twice gives the same result. */
export function correctFact(
  facts: readonly Fact[],
  targetEventId: string,
  occurredAt: string,
  patch: Readonly<Record<string, unknown>>,
): readonly Fact[] {
  return facts.map((f) =>
    f.eventId === targetEventId ? { ...f, occurredAt, data: { ...f.data, ...patch } } : f,
  );
}

/** Effective facts in care-time order, log order breaking ties: late entries are normal (docs/analytics.md, "Care time"). */
export function effectiveFacts(facts: readonly Fact[]): Fact[] {
  const kept = facts.filter((fact) => !fact.voided);
  const at = kept.map((fact) => Date.parse(fact.occurredAt));
  // Most entities' facts are recorded in care-time order already: then log order is the answer, and no sort is needed.
  if (at.every((t, i) => i === 0 || at[i - 1]! <= t)) return kept;
  return kept
    .map((fact, index) => ({ fact, index, at: at[index]! }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map(({ fact }) => fact);
}
