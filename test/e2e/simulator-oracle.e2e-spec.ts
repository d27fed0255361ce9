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
describe.each([1, 2])('simulator oracle, chaoyang-2023 at scale 0.0005, seed %i', (seed) => {
  let t: TestApp;
  const plan = makePlan(PRESETS['chaoyang-2023']!, 0.0005, seed);
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
    const year = parsePeriod({ period: '2023' });
    const referrals = queryReferralVolume(projections.reader('referral-volume'), year, {}, ['direction'], {
      timeZone: 'Asia/Shanghai',
      unit: 'year',
    });
    const byDirection = Object.fromEntries(referrals.map((r) => [r.group.direction, r.figures]));
    const visits = queryLocalTreatmentByRegion(
      projections.reader('local-treatment'),
      year,
      '110105',
      'Asia/Shanghai',
    )[0]!;
    const bedDays: Record<string, Record<string, number>> = {};
    for (let m = 1; m <= 12; m++) {
      const month = `2023-${String(m).padStart(2, '0')}`;
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
      visits: { total: visits.communityShare.denominator, community: visits.communityShare.numerator },
      bedDays,
    };
  };

  it('generates the preset in proportion: 60,156 up and 114,696 down a year, scaled', () => {
    expect(truth.referrals).toMatchObject({
      up: Math.round(60_156 * 0.0005),
      down: Math.round(114_696 * 0.0005),
    });
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
