import type { INestApplication } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { createApp } from '../../apps/api/src/app.setup';
import type { Clock } from '../../apps/api/src/store/tokens';
import {
  type AppConfig,
  type DevKey,
  devKeyFileFor,
  loadConfig,
  readDevKey,
  signDevToken,
  type TokenClaims,
} from '@carepath/runtime';
import { EsdbProtocolDouble } from './esdb-protocol-double';

/** The real app (same module, pipes, filters) on a temporary database file. */
export interface TestApp {
  readonly app: INestApplication;
  readonly http: () => ReturnType<typeof request>;
  /** A GET of a journey's record as a doctor of `institution` treating the patient (reads are logged). */
  readonly read: (path: string, institution?: string) => request.Test;
  readonly databaseFile: string;
  /**
   * Closes the app and starts a new one on the same file, as a process restart would; `more` changes its
   * configuration from then on (as an operator restarting with another environment).
   */
  restart(more?: Partial<AppConfig>): Promise<TestApp>;
  close(): Promise<void>;
}

export type TestStore = 'sqlite' | 'esdb';

export interface TestAppOptions {
  /** The app's one clock (CLOCK): a FakeClock lets a spec move care time; `restart()` keeps it. */
  readonly clock?: Clock;
}

/**
 * `esdb` runs the app on the EventStoreDB adapter against a fresh in-process protocol double (kept across
 * `restart()`, as a server outlives the API process).
 */
export async function startTestApp(
  overrides: Partial<AppConfig> = {},
  store: TestStore = 'sqlite',
  options: TestAppOptions = {},
): Promise<TestApp> {
  const folder = mkdtempSync(join(tmpdir(), 'carepath-e2e-'));
  if (store === 'sqlite') return start(overrides, folder, options);
  const double = await EsdbProtocolDouble.start();
  return start(
    { eventStore: 'esdb', eventStoreConnectionString: double.connectionString, ...overrides },
    folder,
    options,
    double,
  );
}

async function start(
  overrides: Partial<AppConfig>,
  folder: string,
  options: TestAppOptions,
  double?: EsdbProtocolDouble,
): Promise<TestApp> {
  const defaults = loadConfig({});
  const config: AppConfig = {
    ...defaults,
    databaseFile: join(folder, 'carepath.db'),
    readModelDir: join(folder, 'read-models'),
    // Specs send hundreds of requests as one actor; the rate-limit spec sets its own budget.
    edge: { ...defaults.edge, rateLimit: { requests: 1e6, systemRequests: 1e6, windowSeconds: 60 } },
    // Specs record care months ago: running processes would expire their referrals at once. Specs of processes
    // turn them on (processesOn() in test/support/processes.ts) with a fake clock.
    processes: { ...defaults.processes, enabled: false },
    ...overrides,
  };
  installTestIssuer(config.databaseFile);
  const app = await createApp(config, { logger: false, clock: options.clock });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
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
    restart: async (more = {}) => {
      await close();
      return start({ ...overrides, ...more }, folder, options, double);
    },
    close: async () => {
      await close();
      await double?.stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/**
 * One development-issuer key per test process: every app a spec starts trusts it (it is written beside the
 * database file before the app starts, where the app would otherwise create its own), so `as()` can sign tokens
 * synchronously without knowing which app will receive them.
 */
let testKeyPem: string | null = null;
let testKey: DevKey | null = null;

/** Puts this process's development-issuer key beside `databaseFile` (an app or API process then trusts it). */
export function installTestIssuer(databaseFile: string): DevKey {
  testKeyPem ??= generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const file = devKeyFileFor(databaseFile);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, testKeyPem, { mode: 0o600 });
  }
  testKey ??= readDevKey(file);
  return testKey;
}

function key(): DevKey {
  if (testKey) return testKey;
  // A token asked for before any app started: the key is made now, and the next app will trust it.
  const folder = mkdtempSync(join(tmpdir(), 'carepath-key-'));
  const made = installTestIssuer(join(folder, 'carepath.db'));
  rmSync(folder, { recursive: true, force: true });
  return made;
}

/** A token of this process's development issuer; `extra` and the other fields make unusual ones for specs. */
export function token(claims: TokenClaims): string {
  return signDevToken(key(), claims);
}

/**
 * Headers of an actor acting for an institution: a bearer token with the role and the institution as claims.
 * A `system` service account names the institution it acts for in X-Institution-Id.
 */
export function as(
  institutionId: string,
  role = 'doctor',
  actorId = `dr-${institutionId.toLowerCase()}`,
): Record<string, string> {
  const authorization = `Bearer ${token({ sub: actorId, role, institutionId })}`;
  return role === 'system'
    ? { Authorization: authorization, 'X-Institution-Id': institutionId }
    : { Authorization: authorization };
}

/**
 * Headers for a read that is not a journey's record, with a role the policy allows on that path
 * (apps/api/src/auth/access-policy.ts): a coordinator of the worklist's own institution, an analyst for analytics,
 * an admin for projections, an auditor for the audit routes, a doctor otherwise.
 */
export function asReaderOf(path: string, institutionId = 'HOSP-CY-01'): Record<string, string> {
  const worklist = /^\/worklists\/([^/?]+)/.exec(path);
  if (worklist?.[1]) return as(decodeURIComponent(worklist[1]), 'coordinator');
  if (path.startsWith('/analytics'))
    return as(institutionId, 'analyst', `analyst-${institutionId.toLowerCase()}`);
  if (path.startsWith('/projections'))
    return as(institutionId, 'admin', `admin-${institutionId.toLowerCase()}`);
  if (path.startsWith('/audit'))
    return as(institutionId, 'auditor', `auditor-${institutionId.toLowerCase()}`);
  return as(institutionId);
}
