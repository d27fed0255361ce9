/**
 * Refusal codes of the family-doctor contract decider (docs/family-doctors.md, "Contracts"). `CONTRACT_NOT_FOUND`
 * means "no such contract for this resident" (HTTP 404); the others are rules (422).
 */
export const FAMILY_DOCTOR_ERROR_CODES = [
  'CONTRACT_NOT_FOUND',
  'CONTRACT_RESIDENT_MISMATCH',
  'CONTRACT_OVERLAP',
  'CONTRACT_NOT_ACTIVE',
  'CONTRACT_RENEWAL_TOO_EARLY',
  'CONTRACT_TRANSFER_SAME_DOCTOR',
  'CONTRACT_CENTRE_NOT_COMMUNITY',
  'CONTRACT_TERM_INVALID',
  'CONTRACT_POLICY_INVALID',
  'CONTRACT_DATE_INVALID',
  'CONTRACT_START_BEFORE_SIGNING',
  'BEFORE_CONTRACT_START',
  'CONTRACT_CHANGE_OUT_OF_ORDER',
  'KEY_GROUPS_INVALID',
  'KEY_GROUPS_UNCHANGED',
] as const;
export type FamilyDoctorErrorCode = (typeof FAMILY_DOCTOR_ERROR_CODES)[number];
