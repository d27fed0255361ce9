import {
  parsePeriod,
  queryLocalTreatmentByRegion,
  queryReferralVolume,
  queryWardOccupancy,
} from '@carepath/projections';
import type { EventStore } from '@carepath/event-store';
import { ProjectionsService } from '../../apps/api/src/projections/projections.service';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import { groundTruth } from '../../apps/simulator/src/ground-truth';
import { makePlan, PRESETS } from '../../apps/simulator/src/simulation.plan';
import { SimulationRunner } from '../../apps/simulator/src/simulation.runner';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The simulator as an oracle (issue 6): it knows what it generated, computes the figures from its plan with its
 * own arithmetic, and every projection must report exactly those figures, live and after a rebuild.
 */
describe.each([
  ['chaoyang-2023', 0.0005, 1],
  ['chaoyang-2023', 0.0005, 2],
  ['shanghai-h1-2024', 0.00001, 3],
  ['zhaohua-county', 0.0005, 4],
])('simulator oracle, %s at scale %d, seed %i', (preset, scale, seed) => {
  let t: TestApp;
  const plan = makePlan(PRESETS[preset]!, scale, seed);
  const region = plan.preset.regionCode;
  const year = plan.preset.from.slice(0, 4);
  const truth = groundTruth(plan);
  const options = { timeZone: 'Asia/Shanghai', heldBedRule: 'physical' as const };

  beforeAll(async () => {
    t = await startTestApp();
    await new SimulationRunner(t.app).run(plan);
    const head = await t.app.get<EventStore>(EVENT_STORE).headPosition();
    await t.app.get(ProjectionsService).waitFor(head);
  }, 60_000);
  afterAll(async () => t.close());

  const figures = () => {
    const projections = t.app.get(ProjectionsService);
    const period = parsePeriod({ from: plan.preset.from, to: plan.preset.to });
    const referrals = queryReferralVolume(projections.reader('referral-volume'), period, {}, ['direction'], {
      timeZone: 'Asia/Shanghai',
      unit: 'year',
    });
    const byDirection = Object.fromEntries(referrals.map((r) => [r.group.direction, r.figures]));
    // Every simulated patient lives in the region, so the visits located there are the residents' visits inside.
    const visits = queryLocalTreatmentByRegion(
      projections.reader('local-treatment'),
      period,
      region,
      'Asia/Shanghai',
    )[0]!;
    expect(visits.communityShare.denominator).toBe(visits.inRegionRate.numerator);
    const bedDays: Record<string, Record<string, number>> = {};
    for (let m = 1; m <= 12; m++) {
      const month = `${year}-${String(m).padStart(2, '0')}`;
      for (const row of queryWardOccupancy(
        projections.reader('ward-occupancy'),
        parsePeriod({ period: month }),
        {},
        'ward',
        options,
      )) {
        if (row.figures.occupiedBedDays === 0) continue;
        (bedDays[`${row.institutionId}/${row.wardId}`] ??= {})[month] = row.figures.occupiedBedDays;
      }
    }
    return {
      referrals: {
        up: byDirection.up?.total ?? 0,
        down: byDirection.down?.total ?? 0,
        upAccepted: byDirection.up?.outcomes.completed ?? 0,
        upRejected: byDirection.up?.outcomes.rejected ?? 0,
        upCancelled: byDirection.up?.outcomes.cancelled ?? 0,
      },
      visits: {
        total: visits.inRegionRate.denominator,
        community: visits.communityShare.numerator,
        outpatient: visits.residentsCommunityShare.denominator,
        communityOutpatient: visits.residentsCommunityShare.numerator,
        inRegion: visits.inRegionRate.numerator,
      },
      bedDays,
    };
  };

  it("generates the preset's figures in proportion to the scale", () => {
    const p = plan.preset;
    const years = (Date.parse(p.to) - Date.parse(p.from)) / (365 * 86_400_000);
    expect(truth.referrals.up).toBe(Math.round(p.upwardReferrals * scale * years));
    expect(truth.referrals.down).toBe(Math.round(p.downwardReferrals * scale * years));
    const visitsOnly = Math.round(p.outpatientVisits * scale);
    // Visit-only journeys are drawn by quota, so their rates are the preset's up to rounding of the counts.
    expect(truth.visits.outpatient - truth.referrals.up).toBe(visitsOnly);
    expect(truth.visits.communityOutpatient - truth.referrals.up).toBe(
      Math.round(visitsOnly * p.residentsCommunityShare),
    );
    expect(truth.visits.total - truth.visits.inRegion).toBe(
      visitsOnly - Math.round(visitsOnly * p.inRegionRate),
    );
  });

  it('reports exactly the ground truth live', () => {
    expect(figures()).toEqual(truth);
  });

  it('reports exactly the ground truth after a rebuild of every projection', async () => {
    const projections = t.app.get(ProjectionsService);
    for (const name of projections.names()) await projections.runner(name).rebuild();
    expect(figures()).toEqual(truth);
  });
});
