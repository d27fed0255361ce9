import type { RecordedDomainEvent, SlotBlockEvent } from '@carepath/domain';
import { evolveSlotBlockView, initialSlotBlockView, releaseOffer, slotBlockRows } from './slot-pool.model';
import { slotUseFigures } from '../slot-pool/slot-pool.query';

const HOSP = { institutionId: 'HOSP-1', tier: 'tertiary' as const, allianceId: 'A1', regionCode: '310112' };

const given = (...events: SlotBlockEvent[]) =>
  events.reduce(
    (view, event, i) =>
      evolveSlotBlockView(view, {
        ...event,
        id: `e-${i}`,
        metadata: { occurredAt: `2026-03-0${Math.min(9, 1 + i)}T09:00:00+08:00` },
      } as RecordedDomainEvent<SlotBlockEvent>),
    initialSlotBlockView(),
  );

const published: SlotBlockEvent = {
  type: 'SlotBlockPublished',
  data: {
    blockId: 'b-1',
    hospital: HOSP,
    department: 'cardiology',
    clinicianGrade: 'chief',
    date: '2026-03-10',
    startTime: '08:30',
    startsAt: '2026-03-10T08:30:00+08:00',
    utcOffsetMinutes: 480,
    count: 10,
  },
};
const released: SlotBlockEvent = {
  type: 'SlotsReleased',
  data: {
    blockId: 'b-1',
    releaseId: 'r-1',
    count: 4,
    reservedCount: 2,
    priorityKeyGroups: ['hypertension'],
    opensAt: '2026-03-05T00:00:00+08:00',
    priorityUntil: '2026-03-08T08:30:00+08:00',
    closesAt: '2026-03-10T08:30:00+08:00',
    cancelCutoffAt: '2026-03-09T08:30:00+08:00',
  },
};
const booked = (
  bookingId: string,
  residentId: string,
  priority: boolean,
  keyGroups: string[] = [],
): SlotBlockEvent => ({
  type: 'SlotBooked',
  data: {
    blockId: 'b-1',
    bookingId,
    releaseId: 'r-1',
    residentId,
    doctorId: 'doc-1',
    centreId: 'CHC-1',
    contractId: keyGroups.length > 0 ? `c-${residentId}` : null,
    signedDoctorId: keyGroups.length > 0 ? 'doc-1' : null,
    keyGroups: keyGroups as never,
    priority,
  },
});
const ms = (t: string) => Date.parse(t);

describe('slot block rows (docs/family-doctors.md, "Release window and priority")', () => {
  const view = given(
    published,
    released,
    booked('k-1', 'p-1', true, ['hypertension', 'age-60-plus']),
    booked('k-2', 'p-2', false),
    booked('k-3', 'p-3', false),
    {
      type: 'SlotBookingCancelled',
      data: { blockId: 'b-1', bookingId: 'k-3', releaseId: 'r-1', reason: 'other', cancelledBy: 'centre' },
    },
  );
  const [[release], bookings] = slotBlockRows(view);

  it('given bookings and a cancellation, the release counts what still holds a slot', () => {
    expect(release).toMatchObject({
      count: 4,
      reservedCount: 2,
      booked: 2,
      priorityBooked: 1,
      hospitalId: 'HOSP-1',
    });
    expect(bookings.map((b) => [b.bookingId, b.status, b.keyGroups])).toEqual([
      ['k-1', 'booked', ' age-60-plus hypertension '],
      ['k-2', 'booked', ' '],
      ['k-3', 'cancelled', ' '],
    ]);
  });

  it('while priority runs, the unbooked reserve is held; after the lapse it is back in the general pool', () => {
    expect(releaseOffer(release!, ms('2026-03-06T09:00:00+08:00'))).toEqual({
      open: true,
      free: 2,
      heldForPriority: 1,
      general: 1,
    });
    expect(releaseOffer(release!, ms('2026-03-08T09:00:00+08:00'))).toEqual({
      open: true,
      free: 2,
      heldForPriority: 0,
      general: 2,
    });
  });

  it('outside its window a release offers nothing', () => {
    expect(releaseOffer(release!, ms('2026-03-04T23:59:00+08:00')).free).toBe(0);
    expect(releaseOffer(release!, ms('2026-03-10T08:30:00+08:00')).free).toBe(0);
  });

  it('given attended and missed slots, slot use counts used, closed, priority and booked people by key group', () => {
    const closed = given(
      ...[
        published,
        released,
        booked('k-1', 'p-1', true, ['hypertension', 'age-60-plus']),
        booked('k-2', 'p-2', false),
      ],
      booked('k-3', 'p-3', false),
      { type: 'SlotAttended', data: { blockId: 'b-1', bookingId: 'k-1' } },
      { type: 'SlotNoShowRecorded', data: { blockId: 'b-1', bookingId: 'k-2' } },
      {
        type: 'SlotBookingCancelled',
        data: {
          blockId: 'b-1',
          bookingId: 'k-3',
          releaseId: 'r-1',
          reason: 'other',
          cancelledBy: 'hospital',
        },
      },
    );
    const [, rows] = slotBlockRows(closed);
    const figures = slotUseFigures(4, rows);
    expect(figures.utilisation).toEqual({ numerator: 2, denominator: 4, rate: 50 });
    expect(figures.noShowRate).toEqual({ numerator: 1, denominator: 2, rate: 50 });
    expect(figures.priorityShare).toEqual({ numerator: 1, denominator: 2, rate: 50 });
    expect(figures.signedShare).toEqual({ numerator: 1, denominator: 2, rate: 50 });
    expect(figures.keyGroupShare.hypertension).toEqual({ numerator: 1, denominator: 2, rate: 50 });
    expect(figures.keyGroupShare['type-2-diabetes']).toEqual({ numerator: 0, denominator: 2, rate: 0 });
  });
});
