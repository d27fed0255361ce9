import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventStore } from '@carepath/event-store';
import { type AppConfig, DEFAULT_PROCESS_CONFIG } from '@carepath/runtime';
import { APP_CONFIG } from '../../apps/api/src/config/app-config.token';
import { ProjectionsService } from '../../apps/api/src/projections/projections.service';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import type { GroundTruth } from '../../apps/simulator/src/ground-truth';
import { HttpCommandSink } from '../../apps/simulator/src/http-command-sink';
import { compareWithTruth, configuredCensus } from '../../apps/simulator/src/oracle-comparison';
import { processesSettled } from '../../apps/simulator/src/processes-settled';
import type { Plan } from '../../apps/simulator/src/simulation.plan';
import { SimulationRunner } from '../../apps/simulator/src/simulation.runner';
import { startTestApp, type TestApp, token } from './test-app';

/**
 * The test app listening on a free port of 127.0.0.1, for the simulator to drive over HTTP as it drives any API,
 * with the projections it runs in process at hand for the oracle's comparison.
 */
export interface SimulatorApi {
  readonly t: TestApp;
  readonly url: string;
  /** The simulator's way in: a `system` service account of the test issuer. */
  readonly sink: HttpCommandSink;
  /** Waits until every projection has applied the whole log. */
  caughtUp(): Promise<void>;
  /** Rebuilds every projection from the log into a fresh generation and waits until each is in service. */
  rebuild(): Promise<void>;
  /** The differences between `truth` and what the projections report now, for the census the app runs with. */
  compare(truth: GroundTruth): Promise<string[]>;
  close(): Promise<void>;
}

export async function startSimulatorApi(overrides: Partial<AppConfig> = {}): Promise<SimulatorApi> {
  return listening(await startTestApp(overrides));
}

async function listening(t: TestApp): Promise<SimulatorApi> {
  await t.app.listen(0, '127.0.0.1');
  const { port } = (t.app.getHttpServer() as Server).address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const projections = t.app.get(ProjectionsService);
  return {
    t,
    url,
    sink: new HttpCommandSink(url, token({ sub: 'carepath-simulator', role: 'system' })),
    caughtUp: async () => projections.waitFor(await t.app.get<EventStore>(EVENT_STORE).headPosition()),
    // Side by side, as the rebuild commands do: the runners share each page read and each page's journey fold.
    rebuild: async () => {
      await Promise.all(projections.names().map((name) => projections.runner(name).rebuild()));
    },
    compare: (truth) =>
      compareWithTruth(
        (name) => projections.sql(name),
        truth,
        configuredCensus(t.app.get<AppConfig>(APP_CONFIG)),
      ),
    close: () => t.close(),
  };
}

/**
 * Restarts the app (its care processes off while the plan was recorded) on the same files with the processes on,
 * and waits until they have nothing left to do and every projection has applied what they wrote.
 */
export async function letProcessesAct(api: SimulatorApi): Promise<SimulatorApi> {
  const acting = await listening(
    // No late-entry grace, as ACTING_ENV (apps/simulator/src/processes-settled.ts) says why.
    await api.t.restart({
      processes: { ...DEFAULT_PROCESS_CONFIG, enabled: true, lateEntryGraceMinutes: 0 },
    }),
  );
  await processesSettled(
    acting.url,
    token({ sub: 'carepath-oracle', role: 'auditor', institutionId: 'SIM-HC' }),
  );
  await acting.caughtUp();
  return acting;
}

/**
 * The app for the specs of the enclosing block: started before them with its care processes off (the test app's
 * default), sent the whole `plan` over HTTP (the runner stops at the first refused command) and waited on until its
 * projections have applied it; then restarted on the same files with the processes on, and waited on until they
 * have nothing left to do and the projections have applied what they wrote (as `npm run simulate:oracle` does,
 * apps/simulator/src/oracle-run.ts says why); closed after them.
 */
export function withSimulatedPlan(plan: Plan, overrides: Partial<AppConfig> = {}): () => SimulatorApi {
  let api: SimulatorApi | undefined;
  beforeAll(async () => {
    api = await startSimulatorApi(overrides);
    await new SimulationRunner(api.sink).run(plan);
    await api.caughtUp();
    api = await letProcessesAct(api);
  }, 180_000);
  afterAll(async () => api?.close());
  return () => api!;
}
