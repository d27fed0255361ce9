import { groundTruth } from './ground-truth';
import {
  allTimes,
  DAY,
  HOUR,
  makePlan,
  type PlannedJourney,
  type PlannedStay,
  PRESETS,
  stillOpen,
  untilEnd,
} from './simulation.plan';

const END = Date.parse('2024-01-01T00:00:00+08:00');

const stay: PlannedStay = {
  name: 'community',
  institutionId: 'SIM-CHC-1',
  wardId: 'rehab',
  referral: null,
  admittedAt: END - 3 * DAY,
  moves: [],
  leave: { from: END - 2 * DAY, to: END + 2 * DAY },
  surgeryAt: null,
  rehabAt: [END - 2.5 * DAY, END + 3 * DAY],
  dischargedAt: END + 5 * DAY,
  disposition: 'home',
  destination: null,
  recordedAdmittedAt: null,
  recordedDischargedAt: END + 4 * DAY,
  recordedLeave: { from: END - 2 * DAY, to: END + 3 * DAY },
  wrongWardFirst: null,
  wrongDischargeAt: END + 4.5 * DAY,
  lateDischargeBy: 3 * DAY,
  wholeEnteredAt: null,
  surgeryEnteredAt: null,
  // Entered after a discharge that, at the end of the period, has not happened yet.
  movesEnteredAt: END + 6 * DAY,
};

/** A sequential-ward journey drawn past the end of the period: what untilEnd keeps of it. */
const drawn: PlannedJourney = {
  shape: 'sequential',
  patientId: 'pt-1',
  residenceRegion: '110105',
  visits: [
    {
      institutionId: 'SIM-CHC-1',
      visitType: 'outpatient',
      at: END - 3 * DAY - HOUR,
      referral: null,
      recordedAs: null,
      duplicated: false,
      lateBy: 0,
    },
    {
      institutionId: 'SIM-CHC-1',
      visitType: 'outpatient',
      at: END + 8 * DAY,
      referral: null,
      recordedAs: null,
      duplicated: false,
      lateBy: 0,
    },
  ],
  referrals: [
    {
      name: 'up',
      direction: 'up',
      from: 'SIM-CHC-1',
      to: 'SIM-HOSP-1',
      priority: 'urgent',
      setting: 'inpatient',
      requestedAt: END - 2 * DAY - HOUR,
      redirectedFrom: null,
      receivedAt: END - 2 * DAY - HOUR / 2,
      decision: { kind: 'accepted', at: END - 2 * DAY - HOUR / 4, rejectedInErrorFirst: false },
      end: { kind: 'completed', at: END + 2 * DAY },
      wrongTargetFirst: null,
    },
    {
      name: 'down',
      direction: 'down',
      from: 'SIM-HOSP-1',
      to: 'SIM-CHC-1',
      priority: 'routine',
      setting: 'inpatient',
      requestedAt: END - HOUR,
      redirectedFrom: null,
      receivedAt: END + HOUR,
      decision: { kind: 'redirected', at: END + 2 * HOUR, to: 'redirect' },
      end: null,
      wrongTargetFirst: null,
    },
    {
      name: 'redirect',
      direction: 'down',
      from: 'SIM-HOSP-1',
      to: 'SIM-CHC-2',
      priority: 'routine',
      setting: 'inpatient',
      requestedAt: END + 2 * HOUR,
      redirectedFrom: 'down',
      receivedAt: null,
      decision: { kind: 'accepted', at: END + 3 * HOUR, rejectedInErrorFirst: false },
      end: { kind: 'completed', at: END + 5 * DAY },
      wrongTargetFirst: null,
    },
  ],
  stays: [stay],
  closedAt: null,
};

describe('untilEnd: a journey as the end of the period leaves it', () => {
  const cut = untilEnd(drawn, END);

  it('keeps the care before the end and nothing after it', () => {
    expect(allTimes(cut).filter((t) => t >= END)).toEqual([]);
    expect(cut.visits.map((v) => v.at)).toEqual([END - 3 * DAY - HOUR]);
  });

  it('leaves a request not yet decided pending and an accepted one open, and makes no redirect yet', () => {
    expect(
      cut.referrals.map((r) => [r.name, r.receivedAt !== null, r.decision?.kind ?? null, r.end]),
    ).toEqual([
      ['up', true, 'accepted', null],
      ['down', false, null, null],
    ]);
  });

  it('leaves the stay open, the patient away from the held bed, without the mistakes made about what is to come', () => {
    expect(cut.stays[0]).toEqual({
      ...stay,
      leave: { from: END - 2 * DAY, to: null },
      rehabAt: [END - 2.5 * DAY],
      dischargedAt: null,
      recordedDischargedAt: null,
      recordedLeave: null,
      wrongDischargeAt: null,
      lateDischargeBy: 0,
      movesEnteredAt: null,
    });
    expect(stillOpen(cut)).toBe(true);
  });
});

describe('plans at the end of the period', () => {
  // A year of Chaoyang at scale 0.02 (1,203 upward and 2,294 downward requests).
  const plan = makePlan(PRESETS['chaoyang-2023']!, 0.02, 7);
  const truth = groundTruth(plan);

  it('hold no care after the end, and close no journey with something still open', () => {
    expect(plan.journeys.flatMap((j) => allTimes(j)).filter((t) => t >= END)).toEqual([]);
    expect(plan.journeys.filter((j) => j.closedAt !== null && (stillOpen(j) || j.closedAt >= END))).toEqual(
      [],
    );
  });

  it('leave a small share of the requests of the last days undecided (for the deadline process), and of accepted ones open', () => {
    for (const direction of ['up', 'down'] as const) {
      const { total, outcomes } = truth.referrals.byDirection[direction]!;
      const unfinished = plan.journeys
        .flatMap((j) => j.referrals)
        .filter((r) => r.direction === direction && r.end === null);
      const undecided = unfinished.filter((r) => r.decision === null);
      const open = unfinished.filter((r) => r.decision?.kind === 'accepted');
      expect(undecided.length).toBeGreaterThan(0);
      expect(outcomes.accepted).toBeGreaterThan(0);
      expect(open).toHaveLength(outcomes.accepted);
      // The deadline process expires the undecided ones once the plan is recorded: none is left pending.
      expect(outcomes.pending).toBe(0);
      // About the requests of the last days of a year, each share well under 5%.
      expect((undecided.length + open.length) / total).toBeLessThan(0.05);
      // Every one of them was requested in the last weeks of the period.
      expect([...undecided, ...open].filter((r) => r.requestedAt < END - 21 * DAY)).toEqual([]);
    }
  });
});

describe('the minhang-2024 preset at scale 1', () => {
  const plan = makePlan(PRESETS['minhang-2024']!, 1, 1);
  const fd = plan.familyDoctors!;
  const truth = groundTruth(plan).familyDoctors;

  it('has 14 community centres and 9,486 used slots over 100 days, each booked within its 5-day window', () => {
    expect(plan.institutions.filter((i) => i.tier === 'community')).toHaveLength(14);
    const bookings = fd.blocks.flatMap((b) => b.bookings.map((booking) => ({ block: b, booking })));
    expect(bookings.filter(({ booking }) => booking.end?.kind !== 'cancelled')).toHaveLength(9_486);
    const from = Date.parse('2024-04-12T00:00:00+08:00');
    const to = Date.parse('2024-07-21T00:00:00+08:00');
    expect((to - from) / DAY).toBe(100);
    const outside = bookings.filter(
      ({ block, booking }) =>
        booking.at < from ||
        block.start >= to ||
        booking.at >= block.start ||
        block.start - booking.at > 6 * DAY,
    );
    expect(outside).toEqual([]);
  });

  it("books people at the source's key-group shares and signs at its coverage figures", () => {
    const used = fd.blocks.flatMap((b) => b.bookings).filter((b) => b.end?.kind !== 'cancelled');
    const share = (test: (groups: readonly string[]) => boolean) =>
      Math.round((used.filter((b) => test(b.keyGroups)).length / used.length) * 1_000) / 10;
    expect(share((g) => g.includes('hypertension') || g.includes('type-2-diabetes'))).toBe(62.5);
    expect(share((g) => g.includes('age-60-plus'))).toBe(77.4);
    const region = truth.coverage.byRegion['310112']!;
    expect([region.coverage.rate, region.keyGroupCoverage.rate]).toEqual([44.87, 98.98]);
    expect(Object.keys(truth.coverage.byCentre)).toHaveLength(14);
  });
});
