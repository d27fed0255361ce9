import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ALL_PROJECTIONS,
  type ProjectionStatus,
  ReadModelFiles,
  rebuildTogether,
} from '@carepath/projections';
import { loadConfig, openEventStore } from '@carepath/runtime';
import { type ApiProcessOptions, startApiProcess } from './api-process';
import type { GroundTruth } from './ground-truth';
import { HttpCommandSink } from './http-command-sink';
import { compareServedWithTruth, configuredCensus, ORACLE_READ_MODELS } from './oracle-comparison';
import { ACTING_ENV, type ProcessActs, processesSettled } from './processes-settled';
import { devToken, SIMULATOR } from './service-account';
import type { Plan } from './simulation.plan';
import { SimulationRunner } from './simulation.runner';

/** What one oracle run found, and how long its stages took (ms). */
export interface OracleReport {
  readonly commands: number;
  readonly events: number;
  /** The log's file with its write-ahead log, in bytes. */
  readonly logBytes: number;
  /** Differences with the truth in the read models the API left, then after the lib rebuilt them from the log. */
  readonly live: readonly string[];
  readonly rebuilt: readonly string[];
  /** Acts the care processes appended once let act, by process. */
  readonly acts: ProcessActs;
  readonly ms: {
    readonly start: number;
    readonly run: number;
    /** The API restarted with its processes on, until they had nothing left to do. */
    readonly processes: number;
    readonly live: number;
    readonly rebuild: number;
  };
}

export interface OracleOptions extends Pick<ApiProcessOptions, 'build' | 'env'> {
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * The oracle's run: the built API in a child process on a fresh embedded log (so the log holds this plan alone),
 * configured for the truth's census, takes the whole plan over HTTP with its care processes off; once its
 * projections have applied the log it is stopped and started again on the same files with the processes on, which
 * then act on what the plan left them (expiries, follow-ups, proposals) until they have nothing left to do. It is
 * stopped again, and the read models it left are read through the projections' own query functions and compared
 * with the truth. Then the lib rebuilds those read models from the log, as apps/projector does, and they are
 * compared again. The census of both readings is that of loadConfig, as the API read it.
 *
 * Why off, then on: the plan writes months of care in seconds, each command at its care time, long past. Processes
 * running meanwhile would find every timer run out at once and act before the plan's own later commands (expire a
 * referral the plan accepts a minute later, owe a follow-up before the visit that does it is recorded), so what
 * they did would depend on how fast the run went. With the plan recorded first, each acts on the finished record,
 * at the care time its rule gives (an expiry at the deadline, a follow-up at the discharge), as it would have live.
 */
export async function runOracle(
  plan: Plan,
  truth: GroundTruth,
  options: OracleOptions = {},
): Promise<OracleReport> {
  const folder = mkdtempSync(join(tmpdir(), 'carepath-oracle-'));
  const env = {
    EVENT_STORE: 'sqlite',
    DATABASE_FILE: join(folder, 'carepath.db'),
    READ_MODEL_DIR: join(folder, 'read-models'),
    PROJECTIONS: 'in-process',
    CENSUS_TIME_ZONE: truth.census.timeZone,
    HELD_BED_RULE: truth.census.heldBedRule,
    // The development issuer beside the temporary log, whose service account the oracle signs in as.
    AUTH_ISSUER: '',
    AUTH_DEV_KEY_FILE: '',
    // One service account sends the whole plan, as fast as the API takes it.
    RATE_LIMIT_SYSTEM_REQUESTS: '10000000',
    ...options.env,
  };
  const config = loadConfig({ ...process.env, ...env });
  const ms = { start: 0, run: 0, processes: 0, live: 0, rebuild: 0 };
  const build = options.build !== undefined ? { build: options.build } : {};
  let acts: ProcessActs = {};
  let started = Date.now();
  try {
    const system = devToken(config, SIMULATOR);
    // An auditor of the health commission may read the projections' and processes' status; nothing more.
    const auditor = devToken(config, { sub: 'carepath-oracle', role: 'auditor', institutionId: 'SIM-HC' });
    const api = await startApiProcess({ env: { ...env, PROCESSES: 'off' }, ...build });
    ms.start = Date.now() - started;
    const runner = new SimulationRunner(new HttpCommandSink(api.url, system), options.concurrency);
    try {
      started = Date.now();
      await runner.run(plan, options.onProgress);
      ms.run = Date.now() - started;
      await projectionsCaughtUp(api.url, auditor);
    } catch (error) {
      throw api.explain(error);
    } finally {
      await api.stop();
    }
    started = Date.now();
    const acting = await startApiProcess({ env: { ...env, ...ACTING_ENV }, ...build });
    try {
      acts = await processesSettled(acting.url, auditor);
      ms.processes = Date.now() - started;
    } catch (error) {
      throw acting.explain(error);
    } finally {
      await acting.stop();
    }
    started = Date.now();
    const quiet = { log: () => undefined, warn: () => undefined, error: (m: object) => console.error(m) };
    const store = openEventStore(config, quiet);
    const files = new ReadModelFiles(config.readModelDir);
    try {
      const head = await store.headPosition();
      const census = configuredCensus(config);
      const compared = ALL_PROJECTIONS.filter((p) =>
        (ORACLE_READ_MODELS as readonly string[]).includes(p.name),
      );
      const last = new Map<string, bigint>();
      for (const p of compared)
        last.set(p.name, await store.headPosition({ streamPrefixes: p.streamPrefixes }));
      const lastOnStreams = (name: string) => last.get(name) ?? head;
      const live = await compareServedWithTruth(files, head, lastOnStreams, truth, census);
      ms.live = Date.now() - started;
      started = Date.now();
      await rebuildTogether(store, files, compared);
      const rebuilt = await compareServedWithTruth(files, head, lastOnStreams, truth, census);
      ms.rebuild = Date.now() - started;
      return {
        commands: runner.commands,
        events: Number(head),
        logBytes: fileSize(config.databaseFile) + fileSize(`${config.databaseFile}-wal`),
        live,
        rebuilt,
        acts,
        ms,
      };
    } finally {
      files.close();
      await store.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const fileSize = (file: string) => (existsSync(file) ? statSync(file).size : 0);

/**
 * Waits until the API's projections have applied all it has written (GET /projections, as an auditor): every one
 * live with no lag. The comparison then checks each file's checkpoint against the log head itself.
 */
async function projectionsCaughtUp(url: string, token: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${url}/projections`, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok)
      throw new Error(`GET /projections answered ${response.status}: ${await response.text()}`);
    const { projections } = (await response.json()) as { projections: ProjectionStatus[] };
    const failed = projections.find((p) => p.state === 'failed');
    if (failed) throw new Error(`projection ${failed.name} failed: ${failed.lastError?.message ?? '?'}`);
    if (projections.every((p) => p.state === 'live' && p.lag === '0')) return;
    await delay(100);
  }
}
