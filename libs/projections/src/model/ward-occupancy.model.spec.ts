import type { Fact } from './facts';
import {
  bedUseRate,
  deriveStay,
  liveCensus,
  occupancyFigures,
  type OccupancyInput,
  type StaySegment,
  type StaySummary,
} from './ward-occupancy.model';

/*
 * Ward occupancy by midnight census (docs/analytics.md, "Bed-use rate"), each figure worked out by hand in a comment.
 * Times are Beijing time (+08:00); the census is at 24:00 local.
 */
const TZ = { timeZone: 'Asia/Shanghai', heldBedRule: 'physical' as const };
const MARCH = { from: '2026-03-01', to: '2026-04-01' };
const CHC = { institutionId: 'CHC-CY-01', tier: 'community', allianceId: 'CY-G1', regionCode: '110105' };
const HOSP = { institutionId: 'HOSP-CY-01', tier: 'tertiary', allianceId: 'CY-G1', regionCode: '110105' };

let seq = 0;
const fact = (type: string, occurredAt: string, data: Record<string, unknown>, voided = false): Fact => ({
  eventId: `e-${++seq}`,
  type,
  occurredAt,
  data,
  voided,
});
const admitted = (admissionId: string, inst: typeof CHC, wardId: string, at: string, extraBed = false) =>
  fact('PatientAdmitted', at, {
    admissionId,
    institution: inst,
    wardId,
    bedId: null,
    extraBed,
    referralId: null,
  });
const discharged = (admissionId: string, at: string) =>
  fact('PatientDischarged', at, {
    admissionId,
    institutionId: 'x',
    disposition: 'home',
    destinationInstitutionId: null,
  });

function stays(...journeys: [string, Fact[]][]): { stays: StaySummary[]; segments: StaySegment[] } {
  const out = { stays: [] as StaySummary[], segments: [] as StaySegment[] };
  for (const [journeyId, facts] of journeys) {
    const byAdmission = new Map<string, Fact[]>();
    for (const f of facts) {
      const id = f.data.admissionId as string;
      byAdmission.set(id, [...(byAdmission.get(id) ?? []), f]);
    }
    for (const list of byAdmission.values()) {
      const stay = deriveStay(journeyId, list);
      if (stay) {
        out.stays.push(stay.summary);
        out.segments.push(...stay.segments);
      }
    }
  }
  return out;
}

const wardOf = (inst: typeof CHC, wardId: string, ...counts: [string, number][]): OccupancyInput => ({
  institutionId: inst.institutionId,
  wardId,
  bedCounts: counts.map(([from, openBeds]) => ({ from: Date.parse(from), openBeds })),
});

describe('ward occupancy by midnight census', () => {
  it('reproduces the national 2021 bed-use rate: 1,920,237,366 / 2,575,612,968 = 74.55%', () => {
    expect(bedUseRate(1_920_237_366, 2_575_612_968)).toBe(74.55);
    expect(bedUseRate(5, 0)).toBeNull();
  });

  it('counts open bed-days from the bed-count events over the month', () => {
    // 10 beds from before March, 12 from 16 March 08:00: census nights 1..15 March have 10 (150),
    // 16..31 March have 12 (16 × 12 = 192): 342 open bed-days, 31 days, average 342 / 31 = 11.03 beds.
    const ward = wardOf(CHC, 'rehab', ['2026-01-01T00:00:00+08:00', 10], ['2026-03-16T08:00:00+08:00', 12]);
    const figures = occupancyFigures([ward], [], [], MARCH, TZ);
    expect(figures).toMatchObject({
      days: 31,
      openBedDays: 342,
      occupiedBedDays: 0,
      averageOpenBeds: 11.03,
      bedUseRate: 0,
    });
  });

  it('counts a same-day admission and discharge as one bed-day', () => {
    const { stays: s, segments } = stays([
      'j1',
      [
        admitted('a1', HOSP, 'icu', '2026-03-10T08:00:00+08:00'),
        discharged('a1', '2026-03-10T18:00:00+08:00'),
      ],
    ]);
    const figures = occupancyFigures(
      [wardOf(HOSP, 'icu', ['2026-01-01T00:00:00+08:00', 4])],
      segments,
      s,
      MARCH,
      TZ,
    );
    // No midnight crossed, yet one occupied bed-day; 4 × 31 = 124 open; rate 1 / 124 = 0.81%.
    expect(figures).toMatchObject({
      occupiedBedDays: 1,
      openBedDays: 124,
      bedUseRate: 0.81,
      discharges: 1,
      dischargedBedDays: 1,
      averageLengthOfStay: 1,
    });
  });

  it('dates stays that begin or end exactly at midnight by their local date: never two bed-days for one day', () => {
    const icu = [wardOf(HOSP, 'icu', ['2026-01-01T00:00:00+08:00', 4])];
    const figuresOf = (admittedAt: string, dischargedAt: string) => {
      const { stays: s, segments } = stays([
        'j1',
        [admitted('a1', HOSP, 'icu', admittedAt), discharged('a1', dischargedAt)],
      ]);
      return occupancyFigures(icu, segments, s, MARCH, TZ);
    };
    // Admitted at 00:00 on 10 March, discharged at 18:00 that day: a same-day stay, one bed-day (the 10th's),
    // not also one in the census of the 9th, whose 24:00 is the admission instant.
    expect(figuresOf('2026-03-10T00:00:00+08:00', '2026-03-10T18:00:00+08:00')).toMatchObject({
      occupiedBedDays: 1,
      dischargedBedDays: 1,
    });
    // Admitted at 20:00 on 11 March, discharged at 00:00 on 12 March: in bed at 24:00 on the 11th, one bed-day.
    expect(figuresOf('2026-03-11T20:00:00+08:00', '2026-03-12T00:00:00+08:00')).toMatchObject({
      occupiedBedDays: 1,
      dischargedBedDays: 1,
    });
  });

  it('gives bed work-days, turnover and average stay of discharged patients', () => {
    const { stays: s, segments } = stays(
      [
        'j1',
        [
          admitted('a1', HOSP, 'cs', '2026-03-02T09:30:00+08:00'),
          discharged('a1', '2026-03-05T10:00:00+08:00'),
        ],
      ],
      [
        'j2',
        [
          admitted('a2', HOSP, 'cs', '2026-03-20T22:00:00+08:00'),
          discharged('a2', '2026-03-27T09:00:00+08:00'),
        ],
      ],
    );
    const figures = occupancyFigures(
      [wardOf(HOSP, 'cs', ['2026-01-01T00:00:00+08:00', 2])],
      segments,
      s,
      MARCH,
      TZ,
    );
    // j1: nights of 2, 3, 4 March = 3; j2: nights of 20..26 March = 7; occupied 10; open 2 × 31 = 62.
    // Rate 10/62 = 16.13%; average open beds 2; bed work-days 10/2 = 5; turnover 2 discharges / 2 beds = 1;
    // discharged patients' bed-days 3 + 7 = 10; average stay 10 / 2 = 5.
    expect(figures).toEqual({
      days: 31,
      occupiedBedDays: 10,
      openBedDays: 62,
      bedUseRate: 16.13,
      averageOpenBeds: 2,
      bedWorkDays: 5,
      discharges: 2,
      turnover: 1,
      dischargedBedDays: 10,
      averageLengthOfStay: 5,
    });
  });

  it('lands a late-recorded event on the day it occurred', () => {
    // The discharge was recorded before a move that happened earlier: care time, not log order, decides.
    const facts = [
      admitted('a1', HOSP, 'cs', '2026-03-02T09:00:00+08:00'),
      discharged('a1', '2026-03-06T10:00:00+08:00'),
      fact('PatientMovedWard', '2026-03-04T12:00:00+08:00', {
        admissionId: 'a1',
        fromWardId: 'cs',
        toWardId: 'icu',
        bedId: null,
        extraBed: false,
      }),
    ];
    const { stays: s, segments } = stays(['j1', facts]);
    const wards = [
      wardOf(HOSP, 'cs', ['2026-01-01T00:00:00+08:00', 2]),
      wardOf(HOSP, 'icu', ['2026-01-01T00:00:00+08:00', 4]),
    ];
    // cs holds the nights of 2 and 3 March; icu the nights of 4 and 5 March.
    expect(occupancyFigures([wards[0]!], segments, s, MARCH, TZ).occupiedBedDays).toBe(2);
    expect(occupancyFigures([wards[1]!], segments, s, MARCH, TZ).occupiedBedDays).toBe(2);
  });

  describe('sequential ward: a patient is never in two censuses on one night', () => {
    const journey: [string, Fact[]] = [
      'j1',
      [
        admitted('chc', CHC, 'rehab', '2026-03-01T12:00:00+08:00'),
        fact('LeaveStarted', '2026-03-02T08:00:00+08:00', { admissionId: 'chc', bedHeld: true }),
        admitted('hosp', HOSP, 'cs', '2026-03-02T09:30:00+08:00'),
        discharged('hosp', '2026-03-05T10:00:00+08:00'),
        fact('LeaveEnded', '2026-03-05T15:00:00+08:00', { admissionId: 'chc' }),
        discharged('chc', '2026-03-08T10:00:00+08:00'),
      ],
    ];
    const chc = wardOf(CHC, 'rehab', ['2026-01-01T00:00:00+08:00', 10]);
    const hosp = wardOf(HOSP, 'cs', ['2026-01-01T00:00:00+08:00', 2]);

    it('counts the patient where they physically are by default', () => {
      const { stays: s, segments } = stays(journey);
      // Community: nights of 1 March (in bed), then 5, 6, 7 March (back) = 4; hospital: nights of 2, 3, 4 = 3.
      expect(occupancyFigures([chc], segments, s, MARCH, TZ).occupiedBedDays).toBe(4);
      expect(occupancyFigures([hosp], segments, s, MARCH, TZ).occupiedBedDays).toBe(3);
    });

    it('counts them at the held bed instead under the held-bed rule', () => {
      const { stays: s, segments } = stays(journey);
      const heldBed = { ...TZ, heldBedRule: 'held-bed' as const };
      // Community: every night from 1 to 7 March = 7; the hospital stay is not counted on those nights = 0.
      expect(occupancyFigures([chc], segments, s, MARCH, heldBed).occupiedBedDays).toBe(7);
      expect(occupancyFigures([hosp], segments, s, MARCH, heldBed).occupiedBedDays).toBe(0);
    });

    it('counts them in the live census as the midnight census does, under either rule', () => {
      // Now: 3 March, the patient upstairs with the community bed held (the journey above up to that day).
      const { segments } = stays(['j1', journey[1].slice(0, 3)]);
      const open = segments.filter((x) => x.to === null);
      const atChc = open.filter((x) => x.institutionId === CHC.institutionId);
      const atHosp = open.filter((x) => x.institutionId === HOSP.institutionId);
      // Physical: in a bed upstairs (1 of 2), away from the community ward (0 of 10, 1 on leave).
      expect(liveCensus(10, atChc, 'physical', open)).toMatchObject({ occupied: 0, onLeave: 1 });
      expect(liveCensus(2, atHosp, 'physical', open)).toMatchObject({ occupied: 1, rate: 50 });
      // Held bed: counted at the community bed (1 of 10, still listed on leave), not upstairs.
      expect(liveCensus(10, atChc, 'held-bed', open)).toMatchObject({ occupied: 1, onLeave: 1, rate: 10 });
      expect(liveCensus(2, atHosp, 'held-bed', open)).toMatchObject({ occupied: 0, rate: 0 });
    });
  });

  it('counts extra beds (加床) as occupied but not open, so the rate can pass 100%', () => {
    const { stays: s, segments } = stays(
      ['j1', [admitted('a1', HOSP, 'cs', '2026-03-01T09:00:00+08:00')]],
      ['j2', [admitted('a2', HOSP, 'cs', '2026-03-01T10:00:00+08:00')]],
      ['j3', [admitted('a3', HOSP, 'cs', '2026-03-01T11:00:00+08:00', true)]],
    );
    // Three patients in a 2-bed ward every night: 93 occupied ÷ 62 open = 150%.
    expect(
      occupancyFigures([wardOf(HOSP, 'cs', ['2026-01-01T00:00:00+08:00', 2])], segments, s, MARCH, TZ),
    ).toMatchObject({
      occupiedBedDays: 93,
      openBedDays: 62,
      bedUseRate: 150,
    });
  });

  it('follows corrections: a voided admission yields no stay, a corrected date moves the bed-days', () => {
    expect(
      deriveStay(
        'j1',
        [admitted('a1', HOSP, 'cs', '2026-03-02T09:00:00+08:00')].map((f) => ({ ...f, voided: true })),
      ),
    ).toBeNull();
    const later = stays([
      'j1',
      [
        admitted('a1', HOSP, 'cs', '2026-03-04T09:00:00+08:00'),
        discharged('a1', '2026-03-06T10:00:00+08:00'),
      ],
    ]);
    const earlier = stays([
      'j1',
      [
        admitted('a1', HOSP, 'cs', '2026-03-01T20:00:00+08:00'),
        discharged('a1', '2026-03-06T10:00:00+08:00'),
      ],
    ]);
    const ward = wardOf(HOSP, 'cs', ['2026-01-01T00:00:00+08:00', 2]);
    // Nights of 4, 5 March = 2; after the correction to 1 March 20:00: nights of 1..5 March = 5.
    expect(occupancyFigures([ward], later.segments, later.stays, MARCH, TZ).occupiedBedDays).toBe(2);
    expect(occupancyFigures([ward], earlier.segments, earlier.stays, MARCH, TZ).occupiedBedDays).toBe(5);
  });

  it('gives the live census: occupied, extra beds, on leave, rate', () => {
    const { segments } = stays(
      ['j1', [admitted('a1', HOSP, 'cs', '2026-03-01T09:00:00+08:00')]],
      ['j2', [admitted('a2', HOSP, 'cs', '2026-03-01T10:00:00+08:00')]],
      [
        'j3',
        [
          admitted('a3', HOSP, 'cs', '2026-03-01T11:00:00+08:00'),
          fact('LeaveStarted', '2026-03-02T08:00:00+08:00', { admissionId: 'a3', bedHeld: true }),
        ],
      ],
    );
    // Two in bed, one on leave, 1 open bed: one extra bed, rate 2/1 = 200%.
    expect(liveCensus(1, segments)).toEqual({
      occupied: 2,
      openBeds: 1,
      extraBeds: 1,
      onLeave: 1,
      rate: 200,
    });
  });
});
