import type { SignedContractReference } from '../family-doctor/family-doctor.decider';
import type { KeyGroup } from '../family-doctor/key-group';
import type { InstitutionSnapshot } from '../journey/journey.events';
import type { CommandMetadata } from '../shared/event';
import type { BookingCancellationReason } from './slot-pool.events';

/*
 * Slot-block commands. Ids, the hospital's snapshot, the release policy in force and the resident's standing (their
 * contract, whether the booking centre is seeing them) are resolved by the application shell and passed in, so
 * the decider stays pure. Care time is metadata.occurredAt; the acting institution is metadata.institutionId.
 */

type Command<Type extends string, Data extends object> = Readonly<{
  type: Type;
  data: Readonly<Data>;
  metadata: CommandMetadata;
}>;

/**
 * Priority for signed key-group residents (docs/family-doctors.md, "Release window and priority"): either a share
 * of each release held until some hours before the session, or the whole release held for a head start after it
 * opens. Either way, what is not booked in time goes back to the general pool.
 */
export type PriorityRule =
  | { readonly mode: 'share'; readonly sharePercent: number; readonly lapseHoursBeforeStart: number }
  | { readonly mode: 'head-start'; readonly hours: number };

export interface SlotReleasePolicy {
  /** Family doctors book from local midnight this many days before the session (Shanghai: 5). */
  readonly bookingWindowDays: number;
  readonly priority: PriorityRule;
  /** Signed residents in any of these groups have priority (Shanghai: hypertension, diabetes, 60 and over). */
  readonly priorityKeyGroups: readonly KeyGroup[];
  /** A booking can be cancelled until this many hours before the session starts. */
  readonly cancelCutoffHours: number;
}

export type PublishSlotBlock = Command<
  'PublishSlotBlock',
  {
    blockId: string;
    hospital: InstitutionSnapshot;
    department: string;
    clinicianGrade: string;
    date: string;
    startTime: string;
    /** The hospital's wall clock, minutes east of UTC (Asia/Shanghai: 480). */
    utcOffsetMinutes: number;
    count: number;
  }
>;

export type ReleaseSlots = Command<
  'ReleaseSlots',
  { blockId: string; releaseId: string; count: number; policy: SlotReleasePolicy }
>;

export type BookSlot = Command<
  'BookSlot',
  {
    blockId: string;
    bookingId: string;
    residentId: string;
    doctorId: string;
    centreId: string;
    /** The resident's contract in force at the booking's care time (signedContractOn), or null. */
    contract: SignedContractReference | null;
    /** The booking centre has the resident in its care (an open journey there), signed or not. */
    seenAtCentre: boolean;
  }
>;

export type CancelSlotBooking = Command<
  'CancelSlotBooking',
  { blockId: string; bookingId: string; reason: BookingCancellationReason }
>;

export type RecordSlotAttendance = Command<'RecordSlotAttendance', { blockId: string; bookingId: string }>;
export type RecordSlotNoShow = Command<'RecordSlotNoShow', { blockId: string; bookingId: string }>;

export type SlotBlockCommand =
  PublishSlotBlock | ReleaseSlots | BookSlot | CancelSlotBooking | RecordSlotAttendance | RecordSlotNoShow;
