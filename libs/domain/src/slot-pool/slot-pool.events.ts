import type { KeyGroup } from '../family-doctor/key-group';
import type { InstitutionSnapshot } from '../journey/journey.events';
import type { DomainEvent } from '../shared/event';

/*
 * Specialist slot events (专家号源下沉): one stream per slot block, `slot-block-<blockId>` (docs/family-doctors.md,
 * "Stream boundaries"). A block is one clinic session: a department's clinician grade at a hospital on a date from a
 * start time, with a number of slots. The times a release computes (window, priority, cutoff) are written into its
 * event, so that a later change of policy never moves a window already announced.
 */

/** 主任医师, 副主任医师, 主治医师, 住院医师: the grade a patient books and pays for. */
export const CLINICIAN_GRADES = ['chief', 'associate-chief', 'attending', 'resident'] as const;
export type ClinicianGrade = (typeof CLINICIAN_GRADES)[number];

export const BOOKING_CANCELLATION_REASONS = [
  'patient-declined',
  'patient-recovered',
  'booked-in-error',
  'clinic-cancelled',
  'other',
] as const;
export type BookingCancellationReason = (typeof BOOKING_CANCELLATION_REASONS)[number];

export type SlotBlockPublished = DomainEvent<
  'SlotBlockPublished',
  {
    blockId: string;
    hospital: InstitutionSnapshot;
    department: string;
    clinicianGrade: ClinicianGrade;
    date: string;
    /** `HH:MM` on the hospital's wall clock. */
    startTime: string;
    /** The same instant as a care time in the hospital's offset. */
    startsAt: string;
    utcOffsetMinutes: number;
    count: number;
  }
>;

export type SlotsReleased = DomainEvent<
  'SlotsReleased',
  {
    blockId: string;
    releaseId: string;
    count: number;
    /** Held for signed residents of `priorityKeyGroups` until `priorityUntil`; then open to every booking. */
    reservedCount: number;
    priorityKeyGroups: readonly KeyGroup[];
    opensAt: string;
    priorityUntil: string;
    closesAt: string;
    /** From this instant a booking can no longer be cancelled. */
    cancelCutoffAt: string;
  }
>;

export type SlotBooked = DomainEvent<
  'SlotBooked',
  {
    blockId: string;
    bookingId: string;
    releaseId: string;
    residentId: string;
    /** The family doctor who booked, and their centre. */
    doctorId: string;
    centreId: string;
    /** The resident's contract in force when booking, and the doctor holding it: named whether or not they booked. */
    contractId: string | null;
    signedDoctorId: string | null;
    /** The signed resident's key groups when booking (codes only; empty when not signed). */
    keyGroups: readonly KeyGroup[];
    /** The booking took a slot held for priority. */
    priority: boolean;
  }
>;

export type SlotBookingCancelled = DomainEvent<
  'SlotBookingCancelled',
  {
    blockId: string;
    bookingId: string;
    releaseId: string;
    reason: BookingCancellationReason;
    cancelledBy: 'centre' | 'hospital';
  }
>;

export type SlotAttended = DomainEvent<'SlotAttended', { blockId: string; bookingId: string }>;
export type SlotNoShowRecorded = DomainEvent<'SlotNoShowRecorded', { blockId: string; bookingId: string }>;

export type SlotBlockEvent =
  SlotBlockPublished | SlotsReleased | SlotBooked | SlotBookingCancelled | SlotAttended | SlotNoShowRecorded;
export type SlotBlockEventType = SlotBlockEvent['type'];

export const SLOT_BLOCK_EVENT_TYPES: readonly SlotBlockEventType[] = [
  'SlotBlockPublished',
  'SlotsReleased',
  'SlotBooked',
  'SlotBookingCancelled',
  'SlotAttended',
  'SlotNoShowRecorded',
];

export const slotBlockStreamId = (blockId: string): string => `slot-block-${blockId}`;
