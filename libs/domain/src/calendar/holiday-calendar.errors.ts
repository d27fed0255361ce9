/** Refusal codes of the holiday calendar (docs/holidays.md); all are rules (422). */
export const CALENDAR_ERROR_CODES = [
  'CALENDAR_INVALID',
  'CALENDAR_ID_MISMATCH',
  'CALENDAR_YEAR_NOT_COVERED',
] as const;
export type CalendarErrorCode = (typeof CALENDAR_ERROR_CODES)[number];
