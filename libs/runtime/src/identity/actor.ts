/**
 * Who acts: the roles a token's `role` claim may name, and the shape of the institution id it acts for. The API's
 * policy table (apps/api/src/auth/access-policy.ts) says what each role may do; the CLI signs development tokens
 * for the same roles.
 */
export const ROLES = [
  'coordinator',
  'doctor',
  'nurse',
  'registrar',
  'family-doctor',
  'auditor',
  'analyst',
  'admin',
  'system',
] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Institution, ward and bed ids are the hospital's own codes (HIS identifiers), not free text. */
export const CODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
