import { requireActingInstitution } from '../family-doctor/acting-institution';
import { parseCalendarDate } from '../family-doctor/calendar-date';
import { isKeyGroup } from '../family-doctor/key-group';
import type { InstitutionSnapshot } from '../journey/journey.events';
import { formatInOffset } from '../journey/referral-deadline';
import { careTimeMs } from '../shared/care-time';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { RecordedDomainEvent } from '../shared/event';
import { emptyIdRecord, entryOf, type IdRecord, withEntry } from '../shared/id-record';
import type {
  BookSlot,
  PublishSlotBlock,
  ReleaseSlots,
  SlotBlockCommand,
  SlotReleasePolicy,
} from './slot-pool.commands';
import {
  CLINICIAN_GRADES,
  SLOT_BLOCK_EVENT_TYPES,
  type ClinicianGrade,
  type SlotBlockEvent,
  type SlotBooked,
  type SlotsReleased,
} from './slot-pool.events';

/*
 * The slot-block decider: one clinic session's slots, released to family doctors and booked for residents
 * (docs/family-doctors.md, "Specialist slots"). Capacity is counted over every booking not cancelled, whatever its
 * care time, so no order of commands can book more slots than were released.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOT_RESPONSIBLE = 'Another institution is responsible for this step.';
/** A clinic session has at most this many slots: more is a data-entry error. */
export const MAX_SLOTS_PER_BLOCK = 1000;
/** Windows, head starts and cutoffs longer than this are data-entry errors. */
const MAX_POLICY_DAYS = 30;

/**
 * Shanghai's rule as CarePath's defaults (docs/family-doctors.md, "Release window and priority"): book up to 5 days
 * ahead; half of each release held for signed hypertension, diabetes and 60+ residents until 48 hours before the
 * session; cancel until 24 hours before.
 */
export const DEFAULT_SLOT_RELEASE_POLICY: SlotReleasePolicy = {
  bookingWindowDays: 5,
  priority: { mode: 'share', sharePercent: 50, lapseHoursBeforeStart: 48 },
  priorityKeyGroups: ['hypertension', 'type-2-diabetes', 'age-60-plus'],
  cancelCutoffHours: 24,
};

export type SlotRelease = SlotsReleased['data'];

export type SlotBookingStatus = 'booked' | 'cancelled' | 'attended' | 'no-show';

export interface SlotBookingRecord {
  readonly bookingId: string;
  readonly releaseId: string;
  readonly residentId: string;
  readonly doctorId: string;
  readonly centreId: string;
  readonly contractId: string | null;
  readonly signedDoctorId: string | null;
  readonly priority: boolean;
  readonly status: SlotBookingStatus;
  readonly bookedAt: string;
  readonly updatedAt: string;
}

export type SlotBlockState =
  | { readonly status: 'unpublished' }
  | {
      readonly status: 'published';
      readonly blockId: string;
      readonly hospital: InstitutionSnapshot;
      readonly department: string;
      readonly clinicianGrade: ClinicianGrade;
      readonly date: string;
      readonly startTime: string;
      readonly startsAt: string;
      readonly utcOffsetMinutes: number;
      readonly count: number;
      readonly releasedCount: number;
      readonly releases: readonly SlotRelease[];
      readonly bookings: IdRecord<SlotBookingRecord>;
    };
type PublishedState = Extract<SlotBlockState, { status: 'published' }>;

export const initialSlotBlockState = (): SlotBlockState => ({ status: 'unpublished' });

/** A booking holds its slot unless it was cancelled: an attended or missed slot was used all the same. */
const holdsSlot = (b: SlotBookingRecord): boolean => b.status !== 'cancelled';

export interface ReleaseAvailability {
  readonly releaseId: string;
  readonly open: boolean;
  /** Released and not held by a booking. */
  readonly free: number;
  /** Of `free`, held for priority residents at this time (the reserve not yet booked by them). */
  readonly heldForPriority: number;
}

/**
 * Each release's slots at care time `at`. Priority bookings take the reserve first, so the reserve still held is
 * what priority bookings have not yet filled; once `priorityUntil` passes, nothing is held (the lapse).
 */
export function slotAvailabilityAt(state: SlotBlockState, at: string): ReleaseAvailability[] {
  if (state.status !== 'published') return [];
  const t = careTimeMs(at);
  const bookings = Object.values(state.bookings).filter(holdsSlot);
  return state.releases.map((r) => {
    const held = bookings.filter((b) => b.releaseId === r.releaseId);
    const free = r.count - held.length;
    const priorityHeld = held.filter((b) => b.priority).length;
    const inPriority = t < careTimeMs(r.priorityUntil);
    return {
      releaseId: r.releaseId,
      open: careTimeMs(r.opensAt) <= t && t < careTimeMs(r.closesAt),
      free,
      heldForPriority: inPriority ? Math.min(free, Math.max(0, r.reservedCount - priorityHeld)) : 0,
    };
  });
}

export function decideSlotBlock(command: SlotBlockCommand, state: SlotBlockState): SlotBlockEvent[] {
  if (command.type === 'PublishSlotBlock') {
    if (state.status === 'published') {
      throw new DomainError('SLOT_BLOCK_ALREADY_PUBLISHED', 'This slot block is already published.', {
        blockId: state.blockId,
      });
    }
    return publish(command);
  }
  if (state.status !== 'published') {
    throw new DomainError('SLOT_BLOCK_NOT_PUBLISHED', 'No such slot block.', {
      blockId: command.data.blockId,
    });
  }
  const at = command.metadata.occurredAt;
  const { blockId } = state;
  switch (command.type) {
    case 'ReleaseSlots':
      return release(command, state);
    case 'BookSlot':
      return book(command, state);
    case 'CancelSlotBooking': {
      const booking = activeBooking(state, command.data.bookingId, at);
      const release = state.releases.find((r) => r.releaseId === booking.releaseId)!;
      requireActingInstitution(
        command.metadata,
        [booking.centreId, state.hospital.institutionId],
        NOT_RESPONSIBLE,
      );
      if (careTimeMs(at) >= careTimeMs(release.cancelCutoffAt)) {
        throw new DomainError(
          'CANCEL_AFTER_CUTOFF',
          'Too close to the session to cancel; record a no-show instead.',
          {
            cancelCutoffAt: release.cancelCutoffAt,
          },
        );
      }
      return [
        {
          type: 'SlotBookingCancelled',
          data: {
            blockId,
            bookingId: booking.bookingId,
            releaseId: booking.releaseId,
            reason: command.data.reason,
            cancelledBy: command.metadata.institutionId === booking.centreId ? 'centre' : 'hospital',
          },
        },
      ];
    }
    case 'RecordSlotAttendance':
    case 'RecordSlotNoShow': {
      const booking = activeBooking(state, command.data.bookingId, at);
      requireActingInstitution(command.metadata, [state.hospital.institutionId], NOT_RESPONSIBLE);
      if (careTimeMs(at) < careTimeMs(state.startsAt)) {
        throw new DomainError('BEFORE_SLOT_START', 'The session has not started yet.', {
          startsAt: state.startsAt,
        });
      }
      const data = { blockId, bookingId: booking.bookingId };
      return [
        command.type === 'RecordSlotAttendance'
          ? { type: 'SlotAttended', data }
          : { type: 'SlotNoShowRecorded', data },
      ];
    }
  }
}

const START_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

function publish(command: PublishSlotBlock): SlotBlockEvent[] {
  const d = command.data;
  const day = parseCalendarDate(d.date);
  const offset = d.utcOffsetMinutes;
  if (
    day === null ||
    !START_TIME.test(String(d.startTime)) ||
    !(CLINICIAN_GRADES as readonly string[]).includes(d.clinicianGrade) ||
    !Number.isInteger(offset) ||
    offset < -720 ||
    offset > 840
  ) {
    throw new DomainError(
      'SLOT_BLOCK_INVALID',
      'The date, start time, clinician grade or UTC offset is not valid.',
      {
        date: String(d.date),
        startTime: String(d.startTime),
        clinicianGrade: String(d.clinicianGrade),
      },
    );
  }
  requireCount(d.count, MAX_SLOTS_PER_BLOCK);
  if (d.hospital.tier === 'community') {
    throw new DomainError(
      'SLOT_BLOCK_NOT_AT_HOSPITAL',
      'Specialist slots are published by upper-tier hospitals.',
      {
        institutionId: d.hospital.institutionId,
      },
    );
  }
  requireActingInstitution(command.metadata, [d.hospital.institutionId], NOT_RESPONSIBLE);
  const [hours, minutes] = d.startTime.split(':').map(Number) as [number, number];
  const startMs = day * DAY + hours * HOUR + minutes * MINUTE - offset * MINUTE;
  const startsAt = formatInOffset(startMs, offset);
  if (careTimeMs(command.metadata.occurredAt) >= startMs) {
    throw new DomainError('SLOT_BLOCK_IN_PAST', 'The session has already started.', { startsAt });
  }
  return [
    {
      type: 'SlotBlockPublished',
      data: {
        blockId: d.blockId,
        hospital: d.hospital,
        department: d.department,
        clinicianGrade: d.clinicianGrade as ClinicianGrade,
        date: d.date,
        startTime: d.startTime,
        startsAt,
        utcOffsetMinutes: offset,
        count: d.count,
      },
    },
  ];
}

function release(command: ReleaseSlots, state: PublishedState): SlotBlockEvent[] {
  const { releaseId, count, policy } = command.data;
  requireActingInstitution(command.metadata, [state.hospital.institutionId], NOT_RESPONSIBLE);
  if (state.releases.some((r) => r.releaseId === releaseId)) {
    throw new DomainError('DUPLICATE_ID', 'This release id is already used in the block.', { id: releaseId });
  }
  requireCount(count, MAX_SLOTS_PER_BLOCK);
  requirePolicy(policy);
  const unreleased = state.count - state.releasedCount;
  if (count > unreleased) {
    throw new DomainError('RELEASE_EXCEEDS_BLOCK', 'The block has fewer slots left to release.', {
      unreleased,
    });
  }
  const releasedMs = careTimeMs(command.metadata.occurredAt);
  const startMs = careTimeMs(state.startsAt);
  if (releasedMs >= startMs) {
    throw new DomainError('BOOKING_WINDOW_CLOSED', 'The session has already started.', {
      closesAt: state.startsAt,
    });
  }
  const offset = state.utcOffsetMinutes;
  // The window opens at local midnight `bookingWindowDays` before the session's date, or at the release if later.
  const windowStartMs = (parseCalendarDate(state.date)! - policy.bookingWindowDays) * DAY - offset * MINUTE;
  const opensMs = Math.max(releasedMs, windowStartMs);
  const rule = policy.priority;
  const reservedCount = rule.mode === 'share' ? Math.floor((count * rule.sharePercent) / 100) : count;
  const priorityUntilMs =
    rule.mode === 'share'
      ? Math.max(opensMs, startMs - rule.lapseHoursBeforeStart * HOUR)
      : Math.min(startMs, opensMs + rule.hours * HOUR);
  return [
    {
      type: 'SlotsReleased',
      data: {
        blockId: state.blockId,
        releaseId,
        count,
        reservedCount,
        priorityKeyGroups: [...policy.priorityKeyGroups],
        opensAt: formatInOffset(opensMs, offset),
        priorityUntil: formatInOffset(priorityUntilMs, offset),
        closesAt: state.startsAt,
        cancelCutoffAt: formatInOffset(startMs - policy.cancelCutoffHours * HOUR, offset),
      },
    },
  ];
}

function book(command: BookSlot, state: PublishedState): SlotBlockEvent[] {
  const d = command.data;
  const at = command.metadata.occurredAt;
  requireActingInstitution(command.metadata, [d.centreId], NOT_RESPONSIBLE);
  if (entryOf(state.bookings, d.bookingId)) {
    throw new DomainError('DUPLICATE_ID', 'This booking id is already used in the block.', {
      id: d.bookingId,
    });
  }
  const signedWithBooker = d.contract !== null && d.contract.doctorId === d.doctorId;
  if (!signedWithBooker && !d.seenAtCentre) {
    throw new DomainError(
      'RESIDENT_NOT_IN_CARE',
      'A family doctor books for residents they have signed or their centre is seeing.',
      { doctorId: d.doctorId },
    );
  }
  const existing = Object.values(state.bookings).find((b) => b.residentId === d.residentId && holdsSlot(b));
  if (existing) {
    throw new DomainError('RESIDENT_ALREADY_BOOKED', 'The resident already has a slot in this session.', {
      bookingId: existing.bookingId,
    });
  }
  if (state.releases.length === 0) {
    throw new DomainError('SLOTS_NOT_RELEASED', 'The hospital has not released slots of this session.');
  }
  const t = careTimeMs(at);
  if (t >= careTimeMs(state.startsAt)) {
    throw new DomainError('BOOKING_WINDOW_CLOSED', 'The session has already started.', {
      closesAt: state.startsAt,
    });
  }
  const availability = slotAvailabilityAt(state, at).filter((a) => a.open);
  if (availability.length === 0) {
    const opensAt = state.releases.map((r) => r.opensAt).sort((a, b) => careTimeMs(a) - careTimeMs(b))[0]!;
    throw new DomainError('BOOKING_WINDOW_NOT_OPEN', 'Booking for this session has not opened yet.', {
      opensAt,
    });
  }
  const keyGroups = d.contract?.keyGroups ?? [];
  const qualifies = (r: SlotRelease): boolean =>
    d.contract !== null && keyGroups.some((g) => r.priorityKeyGroups.includes(g));
  const releaseOf = (id: string): SlotRelease => state.releases.find((r) => r.releaseId === id)!;
  const chosen = availability.find(
    (a) => (qualifies(releaseOf(a.releaseId)) ? a.free : a.free - a.heldForPriority) > 0,
  );
  if (!chosen) {
    if (availability.every((a) => a.free === 0)) {
      throw new DomainError('NO_SLOT_LEFT', 'Every released slot of this session is taken.');
    }
    const priorityUntil = availability
      .filter((a) => a.free > 0)
      .map((a) => releaseOf(a.releaseId).priorityUntil)
      .sort((a, b) => careTimeMs(a) - careTimeMs(b))[0]!;
    throw new DomainError(
      'SLOTS_RESERVED_FOR_PRIORITY',
      'The slots left are held for signed residents in the priority key groups until the priority period ends.',
      { priorityUntil },
    );
  }
  const booked: SlotBooked = {
    type: 'SlotBooked',
    data: {
      blockId: state.blockId,
      bookingId: d.bookingId,
      releaseId: chosen.releaseId,
      residentId: d.residentId,
      doctorId: d.doctorId,
      centreId: d.centreId,
      contractId: d.contract?.contractId ?? null,
      signedDoctorId: d.contract?.doctorId ?? null,
      keyGroups: [...keyGroups],
      priority: qualifies(releaseOf(chosen.releaseId)) && chosen.heldForPriority > 0,
    },
  };
  return [booked];
}

function activeBooking(state: PublishedState, bookingId: string, at: string): SlotBookingRecord {
  const booking = entryOf(state.bookings, bookingId);
  if (!booking)
    throw new DomainError('BOOKING_NOT_FOUND', 'No such booking in this slot block.', { bookingId });
  if (booking.status !== 'booked') {
    throw new DomainError('BOOKING_NOT_ACTIVE', `This booking is already ${booking.status}.`, {
      bookingId,
      status: booking.status,
    });
  }
  if (careTimeMs(at) < careTimeMs(booking.bookedAt)) {
    throw new DomainError('BEFORE_BOOKING', 'This happens before the slot was booked.', {
      bookingId,
      bookedAt: booking.bookedAt,
    });
  }
  return booking;
}

function requireCount(count: number, max: number): void {
  if (!Number.isInteger(count) || count < 1 || count > max) {
    throw new DomainError('SLOT_COUNT_INVALID', `A count of slots is a whole number from 1 to ${max}.`, {
      count,
    });
  }
}

function requirePolicy(policy: SlotReleasePolicy): void {
  const within = (value: number, max: number, integer = false): boolean =>
    typeof value === 'number' && value >= 0 && value <= max && (!integer || Number.isInteger(value));
  const rule = policy.priority;
  const ok =
    within(policy.bookingWindowDays, MAX_POLICY_DAYS, true) &&
    within(policy.cancelCutoffHours, MAX_POLICY_DAYS * 24) &&
    Array.isArray(policy.priorityKeyGroups) &&
    policy.priorityKeyGroups.every(isKeyGroup) &&
    (rule.mode === 'share'
      ? within(rule.sharePercent, 100) && within(rule.lapseHoursBeforeStart, MAX_POLICY_DAYS * 24)
      : rule.mode === 'head-start' && within(rule.hours, MAX_POLICY_DAYS * 24));
  if (!ok) {
    throw new DomainError(
      'SLOT_POLICY_INVALID',
      `Booking window 0-${MAX_POLICY_DAYS} days, share 0-100%, hours 0-${MAX_POLICY_DAYS * 24}, known key groups.`,
    );
  }
}

export function evolveSlotBlock(
  state: SlotBlockState,
  event: RecordedDomainEvent<SlotBlockEvent>,
): SlotBlockState {
  if (event.type === 'SlotBlockPublished') {
    return { status: 'published', ...event.data, releasedCount: 0, releases: [], bookings: emptyIdRecord() };
  }
  if (state.status !== 'published') return state;
  const at = event.metadata.occurredAt;
  switch (event.type) {
    case 'SlotsReleased':
      return {
        ...state,
        releasedCount: state.releasedCount + event.data.count,
        releases: [...state.releases, event.data],
      };
    case 'SlotBooked': {
      const d = event.data;
      return {
        ...state,
        bookings: withEntry(state.bookings, d.bookingId, {
          bookingId: d.bookingId,
          releaseId: d.releaseId,
          residentId: d.residentId,
          doctorId: d.doctorId,
          centreId: d.centreId,
          contractId: d.contractId,
          signedDoctorId: d.signedDoctorId,
          priority: d.priority,
          status: 'booked',
          bookedAt: at,
          updatedAt: at,
        }),
      };
    }
    case 'SlotBookingCancelled':
      return withStatus(state, event.data.bookingId, 'cancelled', at);
    case 'SlotAttended':
      return withStatus(state, event.data.bookingId, 'attended', at);
    case 'SlotNoShowRecorded':
      return withStatus(state, event.data.bookingId, 'no-show', at);
  }
}

function withStatus(
  state: PublishedState,
  bookingId: string,
  status: SlotBookingStatus,
  at: string,
): SlotBlockState {
  const booking = entryOf(state.bookings, bookingId);
  if (!booking) return state;
  return { ...state, bookings: withEntry(state.bookings, bookingId, { ...booking, status, updatedAt: at }) };
}

/** A slot block's stream, as the write path and every reader fold it. */
export const slotBlockDecider: Decider<SlotBlockCommand, SlotBlockEvent, SlotBlockState> = {
  initialState: initialSlotBlockState,
  decide: decideSlotBlock,
  evolve: evolveSlotBlock,
  eventTypes: SLOT_BLOCK_EVENT_TYPES,
};
