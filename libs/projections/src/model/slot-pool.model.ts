import {
  careTimeMs,
  evolveSlotBlock,
  initialSlotBlockState,
  type KeyGroup,
  type RecordedDomainEvent,
  type SlotBlockEvent,
  type SlotBlockState,
  type SlotBookingRecord,
} from '@carepath/domain';
import { keyGroupsText } from './family-doctor.model';

/**
 * A slot block as the read models fold it: the domain's own fold (so capacity, priority and statuses mean what the
 * decider means by them, docs/family-doctors.md, "Specialist slots"), and each booking's key groups, which the
 * decider does not keep but the key-group share of booked people needs.
 */
export interface SlotBlockView {
  readonly block: SlotBlockState;
  readonly keyGroups: Readonly<Record<string, readonly KeyGroup[]>>;
}

export const initialSlotBlockView = (): SlotBlockView => ({ block: initialSlotBlockState(), keyGroups: {} });

export function evolveSlotBlockView(
  view: SlotBlockView,
  event: RecordedDomainEvent<SlotBlockEvent>,
): SlotBlockView {
  const block = evolveSlotBlock(view.block, event);
  if (event.type !== 'SlotBooked') return { ...view, block };
  return { block, keyGroups: { ...view.keyGroups, [event.data.bookingId]: event.data.keyGroups } };
}

/**
 * A release of a block with its bookings counted, for the booking screen: what is free, and how much of it is held
 * for priority residents until `priorityUntilMs` (times as epoch milliseconds: they are compared with "now").
 */
export interface SlotReleaseRow {
  readonly releaseId: string;
  readonly blockId: string;
  readonly hospitalId: string;
  readonly department: string;
  readonly clinicianGrade: string;
  readonly date: string;
  readonly startTime: string;
  readonly startsAt: string;
  readonly count: number;
  readonly reservedCount: number;
  /** Bookings holding a slot of this release (not cancelled): attended and missed slots were used. */
  readonly booked: number;
  readonly priorityBooked: number;
  readonly opensAtMs: number;
  readonly priorityUntilMs: number;
  readonly closesAtMs: number;
}

/** A booking as the decider folds it, with the session's place and date and the resident's key groups copied in. */
export interface SlotBookingRow extends SlotBookingRecord {
  readonly blockId: string;
  readonly hospitalId: string;
  readonly department: string;
  readonly clinicianGrade: string;
  readonly date: string;
  readonly startsAt: string;
  /** As `keyGroupsText`: codes between spaces. */
  readonly keyGroups: string;
}

/** A block's rows: its releases with their counts, and its bookings. */
export function slotBlockRows(view: SlotBlockView): [SlotReleaseRow[], SlotBookingRow[]] {
  const b = view.block;
  if (b.status !== 'published') return [[], []];
  const bookings = Object.values(b.bookings);
  const session = {
    blockId: b.blockId,
    hospitalId: b.hospital.institutionId,
    department: b.department,
    clinicianGrade: b.clinicianGrade,
    date: b.date,
    startsAt: b.startsAt,
  };
  const releases = b.releases.map((r) => {
    const holding = bookings.filter((k) => k.releaseId === r.releaseId && k.status !== 'cancelled');
    return {
      ...session,
      releaseId: r.releaseId,
      startTime: b.startTime,
      count: r.count,
      reservedCount: r.reservedCount,
      booked: holding.length,
      priorityBooked: holding.filter((k) => k.priority).length,
      opensAtMs: careTimeMs(r.opensAt),
      priorityUntilMs: careTimeMs(r.priorityUntil),
      closesAtMs: careTimeMs(r.closesAt),
    };
  });
  const rows = bookings.map((k) => ({
    ...session,
    ...k,
    keyGroups: keyGroupsText(view.keyGroups[k.bookingId] ?? []),
  }));
  return [releases, rows];
}

/**
 * What a release offers at `at` (docs/family-doctors.md, "Release window and priority"): `free` slots, of which
 * `held = min(free, max(0, reservedCount − priority bookings))` while the priority period runs and none after. A
 * resident without priority can take `free − held`; a priority resident any free slot. Outside its window a release
 * offers nothing. The same rule as the decider's `slotAvailabilityAt`, over counted rows.
 */
export function releaseOffer(
  r: Pick<
    SlotReleaseRow,
    'count' | 'reservedCount' | 'booked' | 'priorityBooked' | 'opensAtMs' | 'priorityUntilMs' | 'closesAtMs'
  >,
  at: number,
): { open: boolean; free: number; heldForPriority: number; general: number } {
  const open = r.opensAtMs <= at && at < r.closesAtMs;
  if (!open) return { open, free: 0, heldForPriority: 0, general: 0 };
  const free = r.count - r.booked;
  const held = at < r.priorityUntilMs ? Math.min(free, Math.max(0, r.reservedCount - r.priorityBooked)) : 0;
  return { open, free, heldForPriority: held, general: free - held };
}
