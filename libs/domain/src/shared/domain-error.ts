import type { FamilyDoctorErrorCode } from '../family-doctor/family-doctor.errors';
import type { SlotPoolErrorCode } from '../slot-pool/slot-pool.errors';
import type { PopulationErrorCode } from '../population/population.errors';
import type { JourneyProcessErrorCode } from '../journey/journey.errors';
import type { WebhookErrorCode } from '../notification/webhook-endpoint.errors';
import type { CalendarErrorCode } from '../calendar/holiday-calendar.errors';

/**
 * A rule the decider refuses. The code is stable and machine-readable (clients switch on it; HTTP maps it to
 * 422), the message is for people. Carries no patient data.
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: Readonly<Record<string, string | number | boolean | null>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export type DomainErrorCode =
  | FamilyDoctorErrorCode
  | SlotPoolErrorCode
  | PopulationErrorCode
  | WebhookErrorCode
  | CalendarErrorCode
  // journey lifecycle
  | 'JOURNEY_ALREADY_OPENED'
  | 'JOURNEY_NOT_OPENED'
  | 'JOURNEY_CLOSED'
  | 'JOURNEY_NEEDS_REPAIR'
  | 'BEFORE_JOURNEY_OPENED'
  | 'JOURNEY_HAS_ACTIVE_ADMISSION'
  | 'JOURNEY_HAS_PENDING_REFERRALS'
  | 'ACTING_INSTITUTION_MISMATCH'
  // referrals
  | 'REFERRAL_ALREADY_EXISTS'
  | 'REFERRAL_NOT_FOUND'
  | 'REFERRAL_SAME_INSTITUTION'
  | 'REFERRAL_TIER_MISMATCH'
  | 'REFERRAL_INVALID_TRANSITION'
  | 'REFERRAL_WRONG_SIDE'
  | 'REFERRAL_NOT_OVERDUE'
  | 'REDIRECT_REQUIRES_CAPACITY_REASON'
  | 'REDIRECT_OUTSIDE_ALLIANCE'
  | 'REFERRAL_NOT_ACCEPTED'
  | 'DECISION_BEFORE_REQUEST'
  // care processes (#20): reminders, escalation, acknowledgement, transfer proposals, follow-ups
  | JourneyProcessErrorCode
  // stays
  | 'ALREADY_ADMITTED'
  | 'ADMISSION_NOT_FOUND'
  | 'ADMISSION_ALREADY_EXISTS'
  | 'NOT_ADMITTED'
  | 'ALREADY_ON_LEAVE'
  | 'NOT_ON_LEAVE'
  | 'WARD_NOT_IN_INSTITUTION'
  | 'SAME_WARD'
  | 'SURGERY_WITHOUT_ADMISSION'
  | 'OCCURRED_BEFORE_ADMISSION'
  | 'DESTINATION_REQUIRED'
  | 'DESTINATION_NOT_ALLOWED'
  | 'DUPLICATE_ID'
  // corrections
  | 'EVENT_NOT_FOUND'
  | 'EVENT_ALREADY_ENTERED_IN_ERROR'
  | 'EVENT_NOT_CORRECTABLE'
  | 'CORRECTION_TYPE_MISMATCH'
  | 'CORRECTION_BY_OTHER_INSTITUTION'
  // reference data
  | 'INSTITUTION_ALREADY_REGISTERED'
  | 'INSTITUTION_NOT_REGISTERED'
  | 'INSTITUTION_NEEDS_REPAIR'
  | 'WARD_ALREADY_OPENED'
  | 'WARD_NOT_FOUND'
  | 'BED_COUNT_UNCHANGED';
