/**
 * Refusal codes of the slot-block decider (docs/family-doctors.md, "Specialist slots"). `SLOT_BLOCK_NOT_PUBLISHED`
 * and `BOOKING_NOT_FOUND` mean "no such thing" (HTTP 404); `NO_SLOT_LEFT` and `RESIDENT_ALREADY_BOOKED` are
 * conflicts with bookings already made (a shell may answer 409); the others are rules (422).
 */
export const SLOT_POOL_ERROR_CODES = [
  'SLOT_BLOCK_NOT_PUBLISHED',
  'SLOT_BLOCK_ALREADY_PUBLISHED',
  'SLOT_BLOCK_INVALID',
  'SLOT_BLOCK_NOT_AT_HOSPITAL',
  'SLOT_BLOCK_IN_PAST',
  'SLOT_COUNT_INVALID',
  'SLOT_POLICY_INVALID',
  'RELEASE_EXCEEDS_BLOCK',
  'SLOTS_NOT_RELEASED',
  'BOOKING_WINDOW_NOT_OPEN',
  'BOOKING_WINDOW_CLOSED',
  'NO_SLOT_LEFT',
  'SLOTS_RESERVED_FOR_PRIORITY',
  'RESIDENT_NOT_IN_CARE',
  'RESIDENT_ALREADY_BOOKED',
  'BOOKING_NOT_FOUND',
  'BOOKING_NOT_ACTIVE',
  'BEFORE_BOOKING',
  'CANCEL_AFTER_CUTOFF',
  'BEFORE_SLOT_START',
] as const;
export type SlotPoolErrorCode = (typeof SLOT_POOL_ERROR_CODES)[number];
