import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { createApp } from '../../apps/api/src/app.setup';
import { type AppConfig, loadConfig } from '../../apps/api/src/config/app-config';
import { EsdbProtocolDouble } from './esdb-protocol-double';

/** The real app (same module, pipes, filters) on a temporary database file. */
export interface TestApp {
  readonly app: INestApplication;
  readonly http: () => ReturnType<typeof request>;
  /** A GET of a journey's record as a doctor of `institution` treating the patient (reads are logged). */
  readonly read: (path: string, institution?: string) => request.Test;
  readonly databaseFile: string;
  /** Closes the app and starts a new one on the same file, as a process restart would. */
  restart(): Promise<TestApp>;
  close(): Promise<void>;
}

export type TestStore = 'sqlite' | 'esdb';

/**
 * `esdb` runs the app on the EventStoreDB adapter against a fresh in-process protocol double (kept across
 * `restart()`, as a server outlives the API process).
 */
export async function startTestApp(
  overrides: Partial<AppConfig> = {},
  store: TestStore = 'sqlite',
): Promise<TestApp> {
  const folder = mkdtempSync(join(tmpdir(), 'carepath-e2e-'));
  if (store === 'sqlite') return start(overrides, folder);
  const double = await EsdbProtocolDouble.start();
  return start(
    { eventStore: 'esdb', eventStoreConnectionString: double.connectionString, ...overrides },
    folder,
    double,
  );
}

async function start(
  overrides: Partial<AppConfig>,
  folder: string,
  double?: EsdbProtocolDouble,
): Promise<TestApp> {
  const config: AppConfig = {
    ...loadConfig({}),
    databaseFile: join(folder, 'carepath.db'),
    readModelDir: join(folder, 'read-models'),
    ...overrides,
  };
  const app = await createApp(config, { logger: false });
  await app.init();
  const server = app.getHttpServer() as App;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  return {
    app,
    http: () => request(server),
    read: (path, institution = 'CHC-CY-01') =>
      request(server).get(path).set(as(institution)).set('X-Access-Reason', 'treatment'),
    databaseFile: config.databaseFile,
    restart: async () => {
      await close();
      return start(overrides, folder, double);
    },
    close: async () => {
      await close();
      await double?.stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Headers of an actor acting for an institution. */
export function as(institutionId: string, role = 'doctor', actorId = `dr-${institutionId.toLowerCase()}`) {
  return { 'X-Actor-Id': actorId, 'X-Actor-Role': role, 'X-Institution-Id': institutionId };
}
