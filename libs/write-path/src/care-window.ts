import { parseCareTime } from '@carepath/domain';

/** The plausible window for a care time (docs/robustness.md, "Care time"). */
export interface CareWindow {
  /** Nothing happened in care before this (CARE_TIME_NOT_BEFORE). */
  readonly careTimeNotBeforeMs: number;
  /** How far ahead of the server clock a client's clock may run. */
  readonly futureSkewMs: number;
}

/** A field the server rejects after the DTO passed: the API answers 400 naming it. */
export class InvalidFieldError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
    this.name = 'InvalidFieldError';
  }
}

/**
 * A care time must parse and fall inside the plausible window: not before the configured earliest date, not
 * beyond now plus the tolerated clock skew. The DTO checks the grammar; only the server knows "now".
 */
export function checkCareWindow(field: string, value: string, now: Date, window: CareWindow): number {
  const ms = parseCareTime(value);
  if (ms === null) throw new InvalidFieldError(field, 'must be an RFC 3339 date-time with an offset');
  if (ms > now.getTime() + window.futureSkewMs)
    throw new InvalidFieldError(field, 'must not be in the future');
  if (ms < window.careTimeNotBeforeMs) {
    throw new InvalidFieldError(
      field,
      `must not be before ${new Date(window.careTimeNotBeforeMs).toISOString()} (CARE_TIME_NOT_BEFORE)`,
    );
  }
  return ms;
}
