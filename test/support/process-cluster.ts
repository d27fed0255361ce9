import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApiProcess,
  type AppProcess,
  callApi,
  freePort,
  killAll,
  startApiProcess,
  startProjectorProcess,
  transpileApi,
} from './api-process';
import { EsdbProtocolDouble } from './esdb-protocol-double';
import { CHC, HOSP, REGION } from './fixtures';
import { dropSchemasOf, freshSchema, TEST_DATABASE_URL } from './postgres';
import { as, installTestIssuer } from './test-app';

type Env = Readonly<Record<string, string>>;

export interface ProcessClusterOptions {
  /** Names the cluster's temporary folder and, on PostgreSQL, its schemas (so: letters, digits and underscores). */
  readonly name: string;
  /**
   * `postgres`: the log on the EventStoreDB protocol double and the read models in PostgreSQL, as replicas run
   * (docs/scaling.md), each process with a folder of its own, so nothing is shared but the two servers.
   * `folder`: the log and the read models in one folder every process of the cluster opens.
   */
  readonly store: 'postgres' | 'folder';
  /** What every process of the cluster runs with besides; a function when it names a file in the cluster's folder. */
  readonly env?: Env | ((folder: string) => Env);
}

/** Processes of the project built once and started on one log and read-model store, cleaned up by `stop`. */
export interface ProcessCluster {
  readonly folder: string;
  /** The transpiled apps and libs (transpileApi), for a spec that runs a program of its own from them. */
  readonly build: string;
  /** The prefix of the cluster's schemas in PostgreSQL (empty with the `folder` store). */
  readonly schema: string;
  /**
   * The environment of the process named `name`: the cluster's, and on PostgreSQL its own folder (its database
   * file with the test issuer's key, the read models each API keeps beside itself) and its replica id.
   */
  settings(name: string): Record<string, string>;
  /** Starts an API process on a free port with `settings(name)` and `env`. */
  startApi(name: string, env?: Env): Promise<ApiProcess>;
  /** Starts apps/projector with `settings(name)` and `env`. */
  startProjector(name?: string, env?: Env): Promise<AppProcess>;
  /** Kills whatever the cluster started, then removes its store and folder. */
  stop(): Promise<void>;
}

export async function startProcessCluster(options: ProcessClusterOptions): Promise<ProcessCluster> {
  const folder = mkdtempSync(join(tmpdir(), `carepath-${options.name}-`));
  const started: AppProcess[] = [];
  let double: EsdbProtocolDouble | null = null;
  let schema = '';
  const stop = async () => {
    await killAll(...started);
    await double?.stop();
    if (schema) await dropSchemasOf(schema);
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    let store: Env;
    if (options.store === 'postgres') {
      double = await EsdbProtocolDouble.start();
      schema = freshSchema(options.name);
      store = {
        EVENT_STORE: 'esdb',
        EVENTSTORE_CONNECTION_STRING: double.connectionString,
        READ_MODEL_STORE: 'postgres',
        DATABASE_URL: TEST_DATABASE_URL,
        READ_MODEL_SCHEMA: schema,
        PROJECTIONS: 'external',
      };
    } else {
      store = { ...ownFolder(folder), PROJECTIONS: 'external' };
    }
    const shared = {
      ...store,
      ...(typeof options.env === 'function' ? options.env(folder) : options.env),
    };
    const build = transpileApi(join(folder, 'build'));
    const settings = (name: string) =>
      options.store === 'postgres'
        ? { ...shared, ...ownFolder(join(folder, name)), REPLICA_ID: name }
        : { ...shared };
    const track = <P extends AppProcess>(app: P): P => {
      started.push(app);
      return app;
    };
    return {
      folder,
      build,
      schema,
      settings,
      startApi: async (name, env = {}) =>
        track(await startApiProcess(build, await freePort(), { ...settings(name), ...env })),
      startProjector: async (name = 'projector', env = {}) =>
        track(await startProjectorProcess(build, { ...settings(name), ...env })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A process's local files in `folder`: its database file, which the test issuer's key goes beside, and read models. */
function ownFolder(folder: string): Record<string, string> {
  const databaseFile = join(folder, 'carepath.db');
  installTestIssuer(databaseFile);
  return { DATABASE_FILE: databaseFile, READ_MODEL_DIR: join(folder, 'read-models') };
}

/**
 * Registers CHC and HOSP (the fixtures' community centre and hospital) through `api`, named after `label`, and waits
 * for the read models to show them (consistency=projected), as the registrar of the health commission would.
 */
export async function registerCentreAndHospital(api: ApiProcess, label: string): Promise<void> {
  const admin = as('HC-CY', 'admin', 'registrar-1');
  for (const [institutionId, tier] of [
    [CHC, 'community'],
    [HOSP, 'tertiary'],
  ] as const) {
    const res = await callApi(api, 'POST', '/institutions?consistency=projected', admin, {
      institutionId,
      name: `${label} ${tier}`,
      tier,
      allianceId: 'CY-G1',
      regionCode: REGION,
      occurredAt: '2026-01-01T00:00:00+08:00',
    });
    expect(res.status).toBe(201);
  }
}
