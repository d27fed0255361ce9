import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { groundTruth } from '../../apps/simulator/src/ground-truth';
import { HttpCommandSink } from '../../apps/simulator/src/http-command-sink';
import { compareWithTruth, projectionsCaughtUp } from '../../apps/simulator/src/oracle-comparison';
import { makePlan, PRESETS } from '../../apps/simulator/src/simulation.plan';
import { SimulationRunner } from '../../apps/simulator/src/simulation.runner';
import { institutionIntents, journeySteps } from '../../apps/simulator/src/simulation.script';
import { startTestApp, type TestApp, token } from '../support/test-app';

/**
 * `npm run simulate -- --url`: the same plan driven over HTTP against a listening server (the routes, the DTO
 * validation and a service account's bearer token), checked against the same ground truth as the in-process runs.
 */
describe('simulator over HTTP', () => {
  let t: TestApp;
  let url: string;
  const plan = makePlan(PRESETS['chaoyang-2023']!, 0.0003, 2);
  const truth = groundTruth(plan);
  let runner: SimulationRunner;
  // A service account: the simulator records every institution's commands, naming each in X-Institution-Id.
  const system = token({ sub: 'carepath-simulator', role: 'system' });

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${((t.app.getHttpServer() as Server).address() as AddressInfo).port}`;
    runner = new SimulationRunner(new HttpCommandSink(url, system));
    await runner.run(plan);
    await projectionsCaughtUp(t.app);
  }, 60_000);
  afterAll(async () => t.close());

  it('sends every command of the plan, each accepted, through every journey route', () => {
    const steps = journeySteps(plan);
    expect(runner.commands).toBe(institutionIntents(plan).length + steps.length);
    expect(new Set(steps.map((s) => s.intent(() => 'id').kind))).toEqual(
      new Set([
        'OpenJourney',
        'RecordVisit',
        'RequestReferral',
        'ReceiveReferral',
        'AcceptReferral',
        'RejectReferral',
        'CompleteReferral',
        'CancelReferral',
        'ExpireReferral',
        'AdmitPatient',
        'StartLeave',
        'EndLeave',
        'MoveWard',
        'DischargePatient',
        'RecordSurgery',
        'RecordRehabSession',
        'CloseJourney',
        'MarkEnteredInError',
        'CorrectEvent',
      ]),
    );
  });

  it('leads to exactly the ground truth', () => {
    expect(compareWithTruth(t.app, truth)).toEqual([]);
  });

  it('stops at the first refused command and says which and why', async () => {
    // The institutions exist already: registering them again is refused by the decider (422).
    await expect(new SimulationRunner(new HttpCommandSink(url, system)).run(plan)).rejects.toThrow(
      /^POST \/institutions answered 422: .*INSTITUTION_ALREADY_REGISTERED/,
    );
  });
});
