import fc from 'fast-check';
import { KEY_GROUPS } from '../family-doctor/key-group';
import { formatInOffset } from '../journey/referral-deadline';
import { DomainError } from '../shared/domain-error';
import { specMetadata } from '../testing/decider-spec';
import type { SlotBlockCommand, SlotReleasePolicy } from './slot-pool.commands';
import {
  decideSlotBlock,
  evolveSlotBlock,
  initialSlotBlockState,
  slotBlockDecider,
  type SlotBlockState,
} from './slot-pool.decider';

/*
 * Whatever the hospital releases and whatever family doctors do, in whatever care-time order the commands arrive,
 * a slot block never holds more bookings than were released, never flags more priority bookings than were reserved,
 * and never holds two bookings for one resident (docs/family-doctors.md, "Specialist slots").
 */
const HOSPITAL = 'HOSP-MH-01';
const CENTRES = ['CHC-MH-01', 'CHC-MH-02'];
const RESIDENTS = ['res-1', 'res-2', 'res-3', 'res-4', 'res-5', 'res-6', 'res-7', 'res-8'];
/** 1 March 2026 00:00 in UTC+8; the session is on 10 March at 08:30. */
const BASE = Date.UTC(2026, 1, 28, 16);
const careTime = (minutes: number) => formatInOffset(BASE + minutes * 60_000, 480);
const DAY = 24 * 60;
/** Releases mostly before the window; bookings and the rest across the window, the session and a day after. */
const releaseMinute = fc.integer({ min: 0, max: 8 * DAY });
const minute = fc.integer({ min: 3 * DAY, max: 10 * DAY });

const policy: fc.Arbitrary<SlotReleasePolicy> = fc.record({
  bookingWindowDays: fc.integer({ min: 0, max: 8 }),
  priority: fc.oneof(
    fc.record({
      mode: fc.constant('share' as const),
      sharePercent: fc.integer({ min: 0, max: 100 }),
      lapseHoursBeforeStart: fc.integer({ min: 0, max: 96 }),
    }),
    fc.record({ mode: fc.constant('head-start' as const), hours: fc.integer({ min: 0, max: 72 }) }),
  ),
  priorityKeyGroups: fc.subarray(['hypertension', 'type-2-diabetes', 'age-60-plus'] as const),
  cancelCutoffHours: fc.integer({ min: 0, max: 48 }),
});

type Step = (i: number) => SlotBlockCommand;
const releaseStep: fc.Arbitrary<Step> = fc
  .record({ count: fc.integer({ min: 1, max: 8 }), policy, at: releaseMinute })
  .map(
    (r) => (i: number) =>
      ({
        type: 'ReleaseSlots',
        data: { blockId: 'blk', releaseId: `rel-${i}`, count: r.count, policy: r.policy },
        metadata: specMetadata({ institutionId: HOSPITAL, occurredAt: careTime(r.at) }),
      }) as const,
  );
const bookStep: fc.Arbitrary<Step> = fc
  .record({
    resident: fc.constantFrom(...RESIDENTS),
    centre: fc.constantFrom(...CENTRES),
    signed: fc.boolean(),
    keyGroups: fc.subarray([...KEY_GROUPS]),
    seenAtCentre: fc.boolean(),
    at: minute,
  })
  .map(
    (r) => (i: number) =>
      ({
        type: 'BookSlot',
        data: {
          blockId: 'blk',
          bookingId: `bk-${i}`,
          residentId: r.resident,
          doctorId: `doc-${r.centre}`,
          centreId: r.centre,
          contract: r.signed
            ? {
                contractId: `fdc-${r.resident}`,
                doctorId: `doc-${r.centre}`,
                centreId: r.centre,
                keyGroups: r.keyGroups,
              }
            : null,
          seenAtCentre: r.seenAtCentre,
        },
        metadata: specMetadata({ institutionId: r.centre, occurredAt: careTime(r.at) }),
      }) as const,
  );
const closeStep: fc.Arbitrary<Step> = fc
  .record({
    type: fc.constantFrom('CancelSlotBooking', 'RecordSlotAttendance', 'RecordSlotNoShow'),
    target: fc.nat(60),
    byHospital: fc.boolean(),
    centre: fc.constantFrom(...CENTRES),
    at: minute,
  })
  .map(
    (r) => () =>
      ({
        type: r.type,
        data: { blockId: 'blk', bookingId: `bk-${r.target}`, reason: 'other' },
        metadata: specMetadata({
          institutionId: r.byHospital ? HOSPITAL : r.centre,
          occurredAt: careTime(r.at),
        }),
      }) as SlotBlockCommand,
  );
const step = fc.oneof(
  { weight: 1, arbitrary: releaseStep },
  { weight: 4, arbitrary: bookStep },
  { weight: 2, arbitrary: closeStep },
);

function published(count: number): SlotBlockState {
  const events = decideSlotBlock(
    {
      type: 'PublishSlotBlock',
      data: {
        blockId: 'blk',
        hospital: { institutionId: HOSPITAL, tier: 'tertiary', allianceId: 'MH-A1', regionCode: '310112' },
        department: 'cardiology',
        clinicianGrade: 'chief',
        date: '2026-03-10',
        startTime: '08:30',
        utcOffsetMinutes: 480,
        count,
      },
      metadata: specMetadata({ institutionId: HOSPITAL, occurredAt: careTime(0) }),
    },
    initialSlotBlockState(),
  );
  return fold(
    initialSlotBlockState(),
    events,
    specMetadata({ institutionId: HOSPITAL, occurredAt: careTime(0) }),
  );
}

function fold(
  state: SlotBlockState,
  events: ReturnType<typeof decideSlotBlock>,
  metadata: ReturnType<typeof specMetadata>,
) {
  return events.reduce(
    (s, e, j) => evolveSlotBlock(s, { ...e, id: `${metadata.occurredAt}-${j}`, metadata }),
    state,
  );
}

/** What a block's bookings must never be, or null. */
function violation(state: SlotBlockState): string | null {
  if (state.status !== 'published') return 'the block is not published';
  const holding = Object.values(state.bookings).filter((b) => b.status !== 'cancelled');
  if (state.releasedCount > state.count) return 'more released than the block has';
  if (holding.length > state.releasedCount) return 'more bookings than released';
  for (const r of state.releases) {
    const inRelease = holding.filter((b) => b.releaseId === r.releaseId);
    if (inRelease.length > r.count) return `more bookings than ${r.releaseId} released`;
    if (inRelease.filter((b) => b.priority).length > r.reservedCount)
      return `more priority than ${r.releaseId} reserved`;
  }
  if (new Set(holding.map((b) => b.residentId)).size !== holding.length) return 'a resident booked twice';
  return null;
}

describe('slot block under any sequence of commands', () => {
  it('never books more than released, flags more priority than reserved, or books a resident twice', () => {
    let accepted = 0;
    const refusals = new Set<string>();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        releaseStep,
        fc.array(step, { minLength: 20, maxLength: 60 }),
        (count, firstRelease, steps) => {
          let state = published(count);
          [firstRelease, ...steps].forEach((make, i) => {
            const command = make(i);
            try {
              const events = decideSlotBlock(command, state);
              // The write path refuses to fold a type its decider does not list.
              const unlisted = events.find((e) => !slotBlockDecider.eventTypes.includes(e.type));
              if (unlisted) throw new Error(`${unlisted.type} is not in the decider's event types`);
              state = fold(state, events, command.metadata);
              if (command.type === 'BookSlot') accepted++;
            } catch (error) {
              // Refusals are answers; anything else is a bug in the decider.
              if (!(error instanceof DomainError)) throw error;
              refusals.add(error.code);
            }
            const broken = violation(state);
            if (broken) throw new Error(`${broken} after ${command.type} #${i}`);
          });
        },
      ),
      { numRuns: 200 },
    );
    // The generator reaches the interesting cases: bookings are made, and refused for each limit.
    expect(accepted).toBeGreaterThan(100);
    for (const code of [
      'NO_SLOT_LEFT',
      'SLOTS_RESERVED_FOR_PRIORITY',
      'RELEASE_EXCEEDS_BLOCK',
      'RESIDENT_ALREADY_BOOKED',
    ])
      expect(refusals).toContain(code);
  });
});
