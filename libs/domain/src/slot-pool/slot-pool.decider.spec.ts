import type { SignedContractReference } from '../family-doctor/family-doctor.decider';
import type { InstitutionSnapshot } from '../journey/journey.events';
import type { CommandMetadata } from '../shared/event';
import { deciderSpec, type GivenEvent, specMetadata } from '../testing/decider-spec';
import type { SlotBlockCommand, SlotReleasePolicy } from './slot-pool.commands';
import {
  decideSlotBlock,
  DEFAULT_SLOT_RELEASE_POLICY,
  evolveSlotBlock,
  slotAvailabilityAt,
  slotBlockDecider,
  type SlotBlockState,
} from './slot-pool.decider';
import { type SlotBlockEvent, type SlotBooked, slotBlockStreamId } from './slot-pool.events';

/*
 * Given/when/then for the specialist slot pool (issue 19; rules in docs/family-doctors.md, "Specialist slots" and
 * "Release window and priority"). The block is a cardiology session on 10 March 2026 at 08:30 in UTC+8; with the
 * default policy its release opens on 5 March at 00:00, holds half for priority until 8 March 08:30 and can be
 * cancelled until 9 March 08:30.
 */
const spec = deciderSpec(slotBlockDecider);

const HOSP: InstitutionSnapshot = {
  institutionId: 'HOSP-MH-01',
  tier: 'tertiary',
  allianceId: 'MH-A1',
  regionCode: '310112',
};
const CHC = 'CHC-MH-01';
const CHC2 = 'CHC-MH-02';

const at = (occurredAt: string, institutionId = CHC): Partial<CommandMetadata> => ({
  institutionId,
  occurredAt,
});
const cmd = (
  type: SlotBlockCommand['type'],
  data: object,
  meta: Partial<CommandMetadata>,
): SlotBlockCommand =>
  ({ type, data: { blockId: 'blk-1', ...data }, metadata: specMetadata(meta) }) as SlotBlockCommand;
const past = (event: SlotBlockEvent, occurredAt: string, institutionId = HOSP.institutionId) =>
  ({ event, metadata: at(occurredAt, institutionId) }) satisfies GivenEvent<SlotBlockEvent>;

const publishData = {
  blockId: 'blk-1',
  hospital: HOSP,
  department: 'cardiology',
  clinicianGrade: 'chief',
  date: '2026-03-10',
  startTime: '08:30',
  utcOffsetMinutes: 480,
  count: 10,
};
const published = past(
  {
    type: 'SlotBlockPublished',
    data: {
      ...publishData,
      clinicianGrade: 'chief',
      startsAt: '2026-03-10T08:30:00+08:00',
    },
  },
  '2026-03-01T09:00:00+08:00',
);
const releasedEvent = (count = 10, reservedCount = 5, releaseId = 'rel-1'): SlotBlockEvent => ({
  type: 'SlotsReleased',
  data: {
    blockId: 'blk-1',
    releaseId,
    count,
    reservedCount,
    priorityKeyGroups: ['hypertension', 'type-2-diabetes', 'age-60-plus'],
    opensAt: '2026-03-05T00:00:00+08:00',
    priorityUntil: '2026-03-08T08:30:00+08:00',
    closesAt: '2026-03-10T08:30:00+08:00',
    cancelCutoffAt: '2026-03-09T08:30:00+08:00',
  },
});
const released = (count = 10, reservedCount = 5) =>
  past(releasedEvent(count, reservedCount), '2026-03-01T10:00:00+08:00');
const release = (data: object, occurredAt = '2026-03-01T10:00:00+08:00') =>
  cmd(
    'ReleaseSlots',
    { releaseId: 'rel-1', count: 10, policy: DEFAULT_SLOT_RELEASE_POLICY, ...data },
    at(occurredAt, HOSP.institutionId),
  );

/** A resident signed with doc-1 at CHC; `keyGroups` decide priority. */
const contract = (
  keyGroups: SignedContractReference['keyGroups'] = ['hypertension'],
): SignedContractReference => ({
  contractId: 'fdc-1',
  doctorId: 'doc-1',
  centreId: CHC,
  keyGroups,
});
const PRIORITY_TIME = '2026-03-06T09:00:00+08:00';
const AFTER_LAPSE = '2026-03-08T09:00:00+08:00';
const book = (
  bookingId: string,
  residentId: string,
  resident: { contract?: SignedContractReference | null; seenAtCentre?: boolean } = {},
  occurredAt = PRIORITY_TIME,
) =>
  cmd(
    'BookSlot',
    {
      bookingId,
      residentId,
      doctorId: 'doc-1',
      centreId: CHC,
      contract: resident.contract === undefined ? contract() : resident.contract,
      seenAtCentre: resident.seenAtCentre ?? false,
    },
    at(occurredAt),
  );
const bookedEvent = (
  bookingId: string,
  residentId: string,
  priority: boolean,
  signed = true,
  keyGroups: SlotBooked['data']['keyGroups'] = signed && priority ? ['hypertension'] : [],
): SlotBooked => ({
  type: 'SlotBooked',
  data: {
    blockId: 'blk-1',
    bookingId,
    releaseId: 'rel-1',
    residentId,
    doctorId: 'doc-1',
    centreId: CHC,
    contractId: signed ? 'fdc-1' : null,
    signedDoctorId: signed ? 'doc-1' : null,
    keyGroups,
    priority,
  },
});
const booked = (bookingId: string, residentId: string, priority: boolean, occurredAt = PRIORITY_TIME) =>
  past(bookedEvent(bookingId, residentId, priority), occurredAt, CHC);
/** `n` bookings already made: priority ones first, then general ones. */
const bookings = (priority: number, general: number) => [
  ...Array.from({ length: priority }, (_, i) => booked(`bk-p${i}`, `res-p${i}`, true)),
  ...Array.from({ length: general }, (_, i) => booked(`bk-g${i}`, `res-g${i}`, false)),
];

describe('slot-block decider', () => {
  it('names one stream per slot block', () => {
    expect(slotBlockStreamId('blk-1')).toBe('slot-block-blk-1');
  });

  describe('publish', () => {
    const publish = (data: object = {}, meta = at('2026-03-01T09:00:00+08:00', HOSP.institutionId)) =>
      cmd('PublishSlotBlock', { ...publishData, ...data }, meta);

    it('publishes a session with its start as a care time in the hospital offset', () => {
      spec().when(publish()).then([published.event]);
    });

    it('publishes once', () => {
      spec([published]).when(publish()).thenFails('SLOT_BLOCK_ALREADY_PUBLISHED');
    });

    it.each([
      ['an impossible date', { date: '2026-02-29' }, 'SLOT_BLOCK_INVALID'],
      ['a start at 24:00', { startTime: '24:00' }, 'SLOT_BLOCK_INVALID'],
      ['an unknown clinician grade', { clinicianGrade: 'professor' }, 'SLOT_BLOCK_INVALID'],
      ['an offset beyond +14:00', { utcOffsetMinutes: 900 }, 'SLOT_BLOCK_INVALID'],
      ['no slots', { count: 0 }, 'SLOT_COUNT_INVALID'],
      ['a fraction of a slot', { count: 2.5 }, 'SLOT_COUNT_INVALID'],
      ['more slots than a session holds', { count: 1001 }, 'SLOT_COUNT_INVALID'],
      [
        'a community centre as the hospital',
        { hospital: { ...HOSP, tier: 'community' } },
        'SLOT_BLOCK_NOT_AT_HOSPITAL',
      ],
    ] as const)('refuses %s', (_, change, code) => {
      spec().when(publish(change)).thenFails(code);
    });

    it('is published by the hospital, before the session starts', () => {
      spec()
        .when(publish({}, at('2026-03-01T09:00:00+08:00', CHC)))
        .thenFails('ACTING_INSTITUTION_MISMATCH');
      spec()
        .when(publish({}, at('2026-03-10T08:30:00+08:00', HOSP.institutionId)))
        .thenFails('SLOT_BLOCK_IN_PAST');
    });

    it('refuses every other command on a block not published', () => {
      spec().when(release({})).thenFails('SLOT_BLOCK_NOT_PUBLISHED');
      spec().when(book('bk-1', 'res-1')).thenFails('SLOT_BLOCK_NOT_PUBLISHED');
    });
  });

  describe('release', () => {
    it('opens at local midnight the window before the session, holds a share until the lapse, fixes the cutoff', () => {
      spec([published]).when(release({})).then([releasedEvent()]);
    });

    it('opens at the release itself when released inside the window', () => {
      const [event] = spec([published]).when(release({}, '2026-03-07T15:20:00+08:00')).events();
      expect(event?.type === 'SlotsReleased' && event.data.opensAt).toBe('2026-03-07T15:20:00+08:00');
    });

    it('gives a head start instead: the whole release held for priority after it opens', () => {
      const policy: SlotReleasePolicy = {
        ...DEFAULT_SLOT_RELEASE_POLICY,
        priority: { mode: 'head-start', hours: 24 },
      };
      const [event] = spec([published])
        .when(release({ count: 4, policy }))
        .events();
      expect(event?.type === 'SlotsReleased' && event.data).toMatchObject({
        count: 4,
        reservedCount: 4,
        opensAt: '2026-03-05T00:00:00+08:00',
        priorityUntil: '2026-03-06T00:00:00+08:00',
      });
    });

    it('reserves the share rounded down, and takes a configured window', () => {
      const policy: SlotReleasePolicy = {
        ...DEFAULT_SLOT_RELEASE_POLICY,
        bookingWindowDays: 7,
        priority: { mode: 'share', sharePercent: 30, lapseHoursBeforeStart: 24 },
      };
      const [event] = spec([published])
        .when(release({ count: 5, policy }))
        .events();
      expect(event?.type === 'SlotsReleased' && event.data).toMatchObject({
        reservedCount: 1,
        opensAt: '2026-03-03T00:00:00+08:00',
        priorityUntil: '2026-03-09T08:30:00+08:00',
      });
    });

    it('releases no more than the block has left, under a new id each time', () => {
      spec([published, released(6, 3)])
        .when(release({ releaseId: 'rel-2', count: 5 }))
        .thenFails('RELEASE_EXCEEDS_BLOCK');
      expect(
        spec([published, released(6, 3)])
          .when(release({ releaseId: 'rel-2', count: 4 }))
          .events(),
      ).toHaveLength(1);
      spec([published, released(6, 3)])
        .when(release({ count: 1 }))
        .thenFails('DUPLICATE_ID');
      spec([published])
        .when(release({ count: 0 }))
        .thenFails('SLOT_COUNT_INVALID');
    });

    it.each([
      ['a window of 31 days', { bookingWindowDays: 31 }],
      ['a fractional window', { bookingWindowDays: 1.5 }],
      ['a negative cutoff', { cancelCutoffHours: -1 }],
      ['a share over 100%', { priority: { mode: 'share', sharePercent: 101, lapseHoursBeforeStart: 48 } }],
      ['an unknown priority mode', { priority: { mode: 'lottery', hours: 1 } }],
      ['an unknown key group', { priorityKeyGroups: ['smoker'] }],
    ])('refuses a policy with %s', (_, change) => {
      spec([published])
        .when(release({ policy: { ...DEFAULT_SLOT_RELEASE_POLICY, ...change } }))
        .thenFails('SLOT_POLICY_INVALID');
    });

    it('is done by the hospital, before the session', () => {
      spec([published])
        .when(
          cmd(
            'ReleaseSlots',
            { releaseId: 'rel-1', count: 1, policy: DEFAULT_SLOT_RELEASE_POLICY },
            at(PRIORITY_TIME),
          ),
        )
        .thenFails('ACTING_INSTITUTION_MISMATCH');
      spec([published]).when(release({}, '2026-03-10T08:30:00+08:00')).thenFails('BOOKING_WINDOW_CLOSED');
    });
  });

  describe('book', () => {
    it('books a signed key-group resident into the reserve during the priority period', () => {
      spec([published, released()])
        .when(book('bk-1', 'res-1'))
        .then([bookedEvent('bk-1', 'res-1', true)]);
    });

    it('books a resident outside the key groups into the general part, naming the signed doctor', () => {
      spec([published, released()])
        .when(book('bk-1', 'res-1', { contract: contract([]) }))
        .then([bookedEvent('bk-1', 'res-1', false)]);
    });

    it('books a resident the centre is seeing without a contract, naming no signed doctor', () => {
      spec([published, released()])
        .when(book('bk-1', 'res-1', { contract: null, seenAtCentre: true }))
        .then([bookedEvent('bk-1', 'res-1', false, false)]);
    });

    it('refuses a resident neither signed with the booking doctor nor seen by the centre', () => {
      const otherDoctor = { ...contract(), doctorId: 'doc-9' };
      spec([published, released()])
        .when(book('bk-1', 'res-1', { contract: otherDoctor }))
        .thenFails('RESIDENT_NOT_IN_CARE');
      spec([published, released()])
        .when(book('bk-1', 'res-1', { contract: null }))
        .thenFails('RESIDENT_NOT_IN_CARE');
      const [event] = spec([published, released()])
        .when(book('bk-1', 'res-1', { contract: otherDoctor, seenAtCentre: true }))
        .events();
      expect(event?.type === 'SlotBooked' && [event.data.signedDoctorId, event.data.priority]).toEqual([
        'doc-9',
        true,
      ]);
    });

    it('holds the unfilled reserve from residents without priority until the priority period lapses', () => {
      const full = [published, released(), ...bookings(2, 5)];
      spec(full)
        .when(book('bk-x', 'res-x', { contract: contract([]) }))
        .thenFails('SLOTS_RESERVED_FOR_PRIORITY');
      spec(full)
        .when(book('bk-x', 'res-x', { contract: null, seenAtCentre: true }))
        .thenFails('SLOTS_RESERVED_FOR_PRIORITY');
      spec(full)
        .when(book('bk-x', 'res-x'))
        .then([bookedEvent('bk-x', 'res-x', true)]);
      expect(
        spec(full)
          .when(book('bk-x', 'res-x', { contract: contract([]) }, AFTER_LAPSE))
          .events(),
      ).toEqual([bookedEvent('bk-x', 'res-x', false)]);
    });

    it('lets priority residents take general slots once the reserve is filled, without the priority flag', () => {
      spec([published, released(), ...bookings(5, 0)])
        .when(book('bk-x', 'res-x'))
        .then([bookedEvent('bk-x', 'res-x', false, true, ['hypertension'])]);
    });

    it('refuses when every released slot is taken', () => {
      spec([published, released(), ...bookings(5, 5)])
        .when(book('bk-x', 'res-x'))
        .thenFails('NO_SLOT_LEFT');
      spec([published, released(), ...bookings(5, 5)])
        .when(book('bk-x', 'res-x', {}, AFTER_LAPSE))
        .thenFails('NO_SLOT_LEFT');
    });

    it('books only inside the booking window', () => {
      spec([published, released()])
        .when(book('bk-1', 'res-1', {}, '2026-03-04T23:59:59+08:00'))
        .thenFails('BOOKING_WINDOW_NOT_OPEN');
      expect(
        spec([published, released()])
          .when(book('bk-1', 'res-1', {}, '2026-03-05T00:00:00+08:00'))
          .events(),
      ).toHaveLength(1);
      spec([published, released()])
        .when(book('bk-1', 'res-1', {}, '2026-03-10T08:30:00+08:00'))
        .thenFails('BOOKING_WINDOW_CLOSED');
      spec([published]).when(book('bk-1', 'res-1')).thenFails('SLOTS_NOT_RELEASED');
    });

    it('books a resident once per session, again after a cancellation', () => {
      spec([published, released(), booked('bk-1', 'res-1', true)])
        .when(book('bk-2', 'res-1'))
        .thenFails('RESIDENT_ALREADY_BOOKED');
      const cancelled = past(
        {
          type: 'SlotBookingCancelled',
          data: {
            blockId: 'blk-1',
            bookingId: 'bk-1',
            releaseId: 'rel-1',
            reason: 'patient-declined',
            cancelledBy: 'centre',
          },
        },
        PRIORITY_TIME,
        CHC,
      );
      expect(
        spec([published, released(), booked('bk-1', 'res-1', true), cancelled])
          .when(book('bk-2', 'res-1'))
          .events(),
      ).toHaveLength(1);
    });

    it('refuses a booking id already used, and a centre booking for another', () => {
      spec([published, released(), booked('bk-1', 'res-1', true)])
        .when(book('bk-1', 'res-2'))
        .thenFails('DUPLICATE_ID');
      spec([published, released()])
        .when(cmd('BookSlot', { ...book('bk-1', 'res-1').data, centreId: CHC2 }, at(PRIORITY_TIME)))
        .thenFails('ACTING_INSTITUTION_MISMATCH');
    });

    it('gives the last slot to exactly one of 32 family doctors racing for it', () => {
      // The write path serialises the race on the block stream's revision: each loser decides again on the state
      // with the winner's booking in it (docs/family-doctors.md, "Stream boundaries").
      const given = [published, released(), ...bookings(5, 4)];
      let state = spec(given).state;
      const outcomes = Array.from({ length: 32 }, (_, i) => {
        try {
          const events = decideSlotBlock(book(`bk-r${i}`, `res-r${i}`, {}, AFTER_LAPSE), state);
          state = events.reduce(
            (s, e, j) =>
              evolveSlotBlock(s, { ...e, id: `race-${i}-${j}`, metadata: specMetadata(at(AFTER_LAPSE)) }),
            state,
          );
          return 'booked';
        } catch (error) {
          return (error as { code: string }).code;
        }
      });
      expect(outcomes.filter((o) => o === 'booked')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'NO_SLOT_LEFT')).toHaveLength(31);
    });
  });

  describe('cancel', () => {
    const cancel = (bookingId: string, occurredAt: string, institutionId = CHC) =>
      cmd('CancelSlotBooking', { bookingId, reason: 'patient-declined' }, at(occurredAt, institutionId));
    const given = [published, released(), booked('bk-1', 'res-1', true)];

    it('cancels before the cutoff, by the booking centre or the hospital, and frees the slot', () => {
      const cancelled = (cancelledBy: 'centre' | 'hospital') => ({
        type: 'SlotBookingCancelled' as const,
        data: {
          blockId: 'blk-1',
          bookingId: 'bk-1',
          releaseId: 'rel-1',
          reason: 'patient-declined' as const,
          cancelledBy,
        },
      });
      spec(given)
        .when(cancel('bk-1', '2026-03-09T08:29:00+08:00'))
        .then([cancelled('centre')]);
      spec(given)
        .when(cancel('bk-1', PRIORITY_TIME, HOSP.institutionId))
        .then([cancelled('hospital')]);
      const after = spec([...given, past(cancelled('centre'), PRIORITY_TIME, CHC)]).state;
      expect(slotAvailabilityAt(after, PRIORITY_TIME)).toEqual([
        { releaseId: 'rel-1', open: true, free: 10, heldForPriority: 5 },
      ]);
    });

    it('refuses a cancel from the cutoff on', () => {
      spec(given).when(cancel('bk-1', '2026-03-09T08:30:00+08:00')).thenFails('CANCEL_AFTER_CUTOFF');
    });

    it('refuses an unknown booking, one already closed, one before it was made, and a third institution', () => {
      spec(given).when(cancel('bk-9', PRIORITY_TIME)).thenFails('BOOKING_NOT_FOUND');
      const attended = past(
        { type: 'SlotAttended', data: { blockId: 'blk-1', bookingId: 'bk-1' } },
        '2026-03-10T09:00:00+08:00',
      );
      spec([...given, attended])
        .when(cancel('bk-1', PRIORITY_TIME))
        .thenFails('BOOKING_NOT_ACTIVE');
      spec(given).when(cancel('bk-1', '2026-03-06T08:00:00+08:00')).thenFails('BEFORE_BOOKING');
      spec(given)
        .when(cancel('bk-1', PRIORITY_TIME, CHC2))
        .thenFails('ACTING_INSTITUTION_MISMATCH');
    });
  });

  describe('attended and no-show', () => {
    const given = [published, released(), booked('bk-1', 'res-1', true)];
    const record = (
      type: 'RecordSlotAttendance' | 'RecordSlotNoShow',
      occurredAt: string,
      institutionId = HOSP.institutionId,
    ) => cmd(type, { bookingId: 'bk-1' }, at(occurredAt, institutionId));

    it('are recorded by the hospital from the session start', () => {
      spec(given)
        .when(record('RecordSlotAttendance', '2026-03-10T08:45:00+08:00'))
        .then([{ type: 'SlotAttended', data: { blockId: 'blk-1', bookingId: 'bk-1' } }]);
      spec(given)
        .when(record('RecordSlotNoShow', '2026-03-10T12:00:00+08:00'))
        .then([{ type: 'SlotNoShowRecorded', data: { blockId: 'blk-1', bookingId: 'bk-1' } }]);
      spec(given)
        .when(record('RecordSlotNoShow', '2026-03-10T08:29:00+08:00'))
        .thenFails('BEFORE_SLOT_START');
      spec(given)
        .when(record('RecordSlotAttendance', '2026-03-10T08:45:00+08:00', CHC))
        .thenFails('ACTING_INSTITUTION_MISMATCH');
    });

    it('close the booking, which still holds its slot', () => {
      const noShow = past(
        { type: 'SlotNoShowRecorded', data: { blockId: 'blk-1', bookingId: 'bk-1' } },
        '2026-03-10T12:00:00+08:00',
      );
      spec([...given, noShow])
        .when(record('RecordSlotAttendance', '2026-03-10T12:05:00+08:00'))
        .thenFails('BOOKING_NOT_ACTIVE');
      expect(slotAvailabilityAt(spec([...given, noShow]).state, PRIORITY_TIME)[0]?.free).toBe(9);
    });
  });

  describe('ids named like Object.prototype members are ordinary ids (docs/robustness.md)', () => {
    it.each([...Object.getOwnPropertyNames(Object.prototype), 'prototype'])(
      'a booking called %s',
      (bookingId) => {
        const given = [published, released()];
        spec(given)
          .when(cmd('CancelSlotBooking', { bookingId, reason: 'other' }, at(PRIORITY_TIME)))
          .thenFails('BOOKING_NOT_FOUND');
        const [event] = spec(given).when(book(bookingId, 'res-1')).events();
        expect(event).toEqual(bookedEvent(bookingId, 'res-1', true));
        const state = JSON.parse(
          JSON.stringify(spec([...given, booked(bookingId, 'res-1', true)]).state),
        ) as SlotBlockState;
        expect(() => decideSlotBlock(book(bookingId, 'res-2'), state)).toThrow(
          expect.objectContaining({ code: 'DUPLICATE_ID' }) as Error,
        );
      },
    );
  });
});
