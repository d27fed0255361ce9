import { simulationArgs } from './command-line';
import { groundTruth } from './ground-truth';
import { DEFAULT_PLAN_OPTIONS, makePlan, type Plan, type PlannedStay, PRESETS } from './simulation.plan';
import { SimulationRunner } from './simulation.runner';
import { type CommandRequest, iso, JOURNEY, type JourneyStep, journeySteps } from './simulation.script';
import { letProcessesAct, type SimulatorApi, startSimulatorApi } from '../../../test/support/simulator-api';

/*
 * Late entries (issue 16, deliverable 5): the simulator enters a share of surgeries, ward moves and whole earlier
 * stays after the discharge they precede, the earlier stays as one admission with its discharge. Only entry times
 * move: the care, and so the ground truth, is the same at any share, and the projections still report it exactly.
 */

const CHAOYANG = PRESETS['chaoyang-2023']!;

interface Entry {
  readonly step: JourneyStep;
  readonly request: CommandRequest;
}

/** Each journey's steps with their requests, the ids named as the script names them (`admission:hospital`, ...). */
function entriesByJourney(plan: Plan): Entry[][] {
  const byJourney: Entry[][] = plan.journeys.map(() => []);
  for (const step of journeySteps(plan)) {
    byJourney[step.journey]!.push({ step, request: step.request((name) => name) });
  }
  return byJourney;
}

/** A route of the journey, its id named as the script names it. */
const route = (path: string) => `/journeys/${JOURNEY}${path}`;
const admissions = route('/admissions');
const ofAdmission = (s: PlannedStay, action: 'discharge' | 'move') =>
  `${admissions}/admission:${s.name}/${action}`;

/** When the stay's discharge was entered: alone, or with its admission when the stay was entered whole. */
function dischargeEntered(entries: readonly Entry[], s: PlannedStay): number {
  const entry = entries.find(
    ({ request: r }) =>
      // The discharge as entered (a wrong time is corrected later), not one entered in error before it.
      (r.path === ofAdmission(s, 'discharge') &&
        r.body.occurredAt === iso(s.recordedDischargedAt ?? s.dischargedAt!)) ||
      (r.path === admissions && r.body.occurredAt === iso(s.admittedAt) && r.body.discharge !== undefined),
  );
  if (!entry) throw new Error(`no discharge entered for ${s.name}`);
  return entry.step.recordAt;
}

function lateEntries(plan: Plan) {
  const stays = plan.journeys.flatMap((j) => j.stays);
  return {
    wholeStays: stays.filter((s) => s.wholeEnteredAt !== null).length,
    surgeries: stays.filter((s) => s.surgeryEnteredAt !== null).length,
    moves: stays.filter((s) => s.movesEnteredAt !== null).length,
  };
}

describe('late entries in the plan', () => {
  // A year of Chaoyang at scale 0.02 (1,203 upward and 2,294 downward requests), at the default share.
  const plan = makePlan(CHAOYANG, 0.02, 7);
  const byJourney = entriesByJourney(plan);

  it('are a share of the surgeries, ward moves and earlier stays at the default share', () => {
    expect(plan.options).toEqual(DEFAULT_PLAN_OPTIONS);
    const late = lateEntries(plan);
    const stays = plan.journeys.flatMap((j) => j.stays.filter((s) => s.dischargedAt !== null));
    const earlier = plan.journeys.flatMap((j) =>
      j.stays.filter(
        (s) =>
          s.dischargedAt !== null &&
          s.leave === null &&
          j.stays.some((o) => o.dischargedAt !== null && o.dischargedAt > s.dischargedAt!),
      ),
    );
    // Of the stays entered as they go, those whose surgery or moves were entered after the discharge.
    const goingOn = stays.filter((s) => s.wholeEnteredAt === null);
    const operated = goingOn.filter((s) => s.surgeryAt !== null);
    const moved = goingOn.filter((s) => s.moves.length > 0);
    expect(late.wholeStays).toBeGreaterThan(0);
    expect(late.surgeries).toBeGreaterThan(0);
    expect(late.moves).toBeGreaterThan(0);
    // About a tenth of each: hundreds of earlier stays and surgeries, a few hundred moves (a wider margin).
    const share = (part: readonly PlannedStay[], whole: readonly PlannedStay[]) => part.length / whole.length;
    expect(late.wholeStays / earlier.length).toBeGreaterThan(0.05);
    expect(late.wholeStays / earlier.length).toBeLessThan(0.15);
    const lateSurgeries = share(
      operated.filter((s) => s.surgeryEnteredAt !== null),
      operated,
    );
    expect(lateSurgeries).toBeGreaterThan(0.05);
    expect(lateSurgeries).toBeLessThan(0.15);
    const lateMoves = share(
      moved.filter((s) => s.movesEnteredAt !== null),
      moved,
    );
    expect(lateMoves).toBeGreaterThan(0.03);
    expect(lateMoves).toBeLessThan(0.2);
    // Both shapes with an earlier stay have some entered whole: the stay before a transfer down, the stay upstairs.
    const shapes = plan.journeys
      .filter((j) => j.stays.some((s) => s.wholeEnteredAt !== null))
      .map((j) => j.shape);
    expect(new Set(shapes)).toEqual(new Set(['down', 'sequential']));
  });

  it('enter an earlier stay whole, admission with discharge, after the discharge of a later stay', () => {
    let checked = 0;
    plan.journeys.forEach((j, k) => {
      const entries = byJourney[k]!;
      for (const s of j.stays.filter((x) => x.wholeEnteredAt !== null)) {
        const whole = entries.filter(
          ({ request: r }) => r.path === admissions && r.body.occurredAt === iso(s.admittedAt),
        );
        expect(whole.map(({ step, request }) => [step.recordAt, request])).toEqual([
          [
            s.wholeEnteredAt,
            expect.objectContaining({
              body: expect.objectContaining({
                wardId: s.wardId,
                discharge: expect.objectContaining({ occurredAt: iso(s.dischargedAt!) }),
              }),
            }),
          ],
        ]);
        // No other entry of its admission or discharge, and nothing of it entered before it.
        expect(entries.filter(({ request: r }) => r.path === ofAdmission(s, 'discharge'))).toEqual([]);
        const later = j.stays.filter((o) => o.dischargedAt !== null && o.dischargedAt > s.dischargedAt!);
        expect(later.length).toBeGreaterThan(0);
        expect(s.wholeEnteredAt!).toBeGreaterThan(
          Math.min(...later.map((o) => dischargeEntered(entries, o))),
        );
        checked++;
      }
    });
    expect(checked).toBe(lateEntries(plan).wholeStays);
  });

  it("enter a late surgery or ward move after its stay's discharge, at its care time", () => {
    let checked = 0;
    plan.journeys.forEach((j, k) => {
      const entries = byJourney[k]!;
      for (const s of j.stays) {
        const late = [
          ...(s.surgeryEnteredAt !== null
            ? entries.filter(
                ({ request: r }) =>
                  r.path === route('/surgeries') &&
                  r.body.institutionId === s.institutionId &&
                  r.body.occurredAt === iso(s.surgeryAt!),
              )
            : []),
          ...(s.movesEnteredAt !== null
            ? entries.filter(({ request: r }) => r.path === ofAdmission(s, 'move'))
            : []),
        ];
        expect(late).toHaveLength(
          (s.surgeryEnteredAt !== null ? 1 : 0) + (s.movesEnteredAt !== null ? s.moves.length : 0),
        );
        for (const { step } of late) expect(step.recordAt).toBeGreaterThan(dischargeEntered(entries, s));
        checked += late.length;
      }
    });
    expect(checked).toBeGreaterThan(0);
  });

  it('change when facts are entered, never what happened: the truth is the same at any share', () => {
    const none = makePlan(CHAOYANG, 0.002, 1, { lateShare: 0 });
    const all = makePlan(CHAOYANG, 0.002, 1, { lateShare: 1 });
    expect(lateEntries(none)).toEqual({ wholeStays: 0, surgeries: 0, moves: 0 });
    const late = lateEntries(all);
    // At share 1, every stay that can be is entered late.
    expect(late.wholeStays).toBe(
      all.journeys.flatMap((j) =>
        j.stays.filter(
          (s) =>
            s.dischargedAt !== null &&
            s.leave === null &&
            j.stays.some((o) => o.dischargedAt !== null && o.dischargedAt > s.dischargedAt!),
        ),
      ).length,
    );
    const truth = groundTruth(makePlan(CHAOYANG, 0.002, 1));
    expect(groundTruth(none)).toEqual(truth);
    expect(groundTruth(all)).toEqual(truth);
  });
});

describe('--late-share', () => {
  it('sets the share of the plan, 0 to 1, the default otherwise', () => {
    expect(simulationArgs(['--late-share', '0.3'], [])?.plan).toEqual({ lateShare: 0.3 });
    expect(simulationArgs(['--late-share', '0'], [])?.plan).toEqual({ lateShare: 0 });
    expect(simulationArgs([], [])?.plan).toEqual(DEFAULT_PLAN_OPTIONS);
    expect(simulationArgs(['--late-share', '1.5'], [])).toBeNull();
    expect(simulationArgs(['--late-share', 'some'], [])).toBeNull();
  });
});

describe('late entries through the API, every one that can be entered late', () => {
  const plan = makePlan(CHAOYANG, 0.0005, 1, { lateShare: 1 });
  const truth = groundTruth(plan);
  // The app on a temporary database, listening on a free port: the HTTP path validates the whole-stay body.
  let api: SimulatorApi;

  beforeAll(async () => {
    api = await startSimulatorApi();
    // The runner stops at the first refused command: every late entry is accepted.
    await new SimulationRunner(api.sink).run(plan);
    await api.caughtUp();
    // Then the care processes act on the recorded plan (expiries, follow-ups), as in every oracle run.
    api = await letProcessesAct(api);
  }, 180_000);
  afterAll(async () => api?.close());

  it('holds late entries of each kind', () => {
    const stays = plan.journeys.flatMap((j) => j.stays);
    const enteredAsItWent = stays.filter((s) => s.wholeEnteredAt === null);
    expect(lateEntries(plan).wholeStays).toBeGreaterThan(0);
    expect(enteredAsItWent.filter((s) => s.surgeryEnteredAt !== null).length).toBeGreaterThan(0);
    expect(enteredAsItWent.filter((s) => s.movesEnteredAt !== null).length).toBeGreaterThan(0);
  });

  it('leads to exactly the ground truth, live and after a rebuild', async () => {
    expect(await api.compare(truth)).toEqual([]);
    await api.rebuild();
    expect(await api.compare(truth)).toEqual([]);
    // A rebuild of every projection from the TypeScript sources, on two cores other test runs share.
  }, 180_000);
});
