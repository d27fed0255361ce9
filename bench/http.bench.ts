/*
 * Durable HTTP commands through the real API (built output, its own process, the embedded store on a temporary
 * file), as ratios to a bare Fastify + better-sqlite3 server doing the same durable work (bench/raw-fastify-
 * server.ts), measured in the same run with the same load (brief, rule 6), twice: the baseline commits each request
 * on its own (bound by the disk's commit rate), the ceiling shares one commit among the requests that arrive
 * together, as CarePath's store does (bound by CPU: what a server doing nothing but the durable insert reaches on
 * this machine). Two commands:
 * - `POST /journeys`: two events in a new stream, a unique patient id per request. Load shapes, each server in turn:
 *   saturation (autocannon, 64 connections); 1,000/s with autocannon's `overallRate`; 1,000/s evenly paced by an
 *   open-loop generator (see `paced`).
 * - `POST /journeys/:id/visits`: one event on an existing journey, the API's full write path (load the stream,
 *   fold, decide, append at the expected revision). A pool of journeys (`--pool`, 64 per connection by default) is
 *   opened first, outside the measures; requests go round the pool in turn, so a journey is asked again only after
 *   the whole pool has been, and two requests in flight on one journey (a 409) are rare; any 409 is counted and shown
 *   on its own. Shapes: saturation and 1,000/s paced. The streams grow as the phases run, faster on the faster
 *   server: the mean journey length is reported next to the figures.
 * The three servers run one after the other, each through every phase. After each server stops, its file is opened:
 * the journey events are counted against the acknowledged writes, and every acknowledged visit's event id is looked
 * up in its journey's stream.
 * Usage: npm run bench:http -- [--seconds 10] [--warmup 3] [--connections 64] [--pipelining 1] [--rate 1000]
 *          [--rate-connections 64] [--pool <connections × 64>] [--projections in-process|external] [--out dir]
 *          [--only carepath]
 * `--only carepath` runs the API's phases alone and prints its figures (peak RSS, rates, CPU per request by thread),
 * saving nothing: no ratio means anything without the bare servers of the same run. It takes a third of the time,
 * for trying a change to the API's memory or CPU.
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  apiNodeArgs,
  benchArgs,
  cleanUpOnExit,
  fmt,
  log,
  now,
  ratio,
  saveResult,
  sleep,
} from './bench-support';
import { latencySummary, openLoop, postOnce } from './open-loop';
import { THREAD_NAMES } from '@carepath/projections';
import { devKeyFileFor, freePort, loadOrCreateDevKey, signDevToken } from '@carepath/runtime';

const args = benchArgs();
const SECONDS = Number(args.get('seconds') ?? 10);
const WARMUP = Number(args.get('warmup') ?? 3);
const CONNECTIONS = Number(args.get('connections') ?? 64);
const PIPELINING = Number(args.get('pipelining') ?? 1);
const RATE = Number(args.get('rate') ?? 1000);
const RATE_CONNECTIONS = Number(args.get('rate-connections') ?? CONNECTIONS);
const POOL = Number(args.get('pool') ?? CONNECTIONS * 64);
const PROJECTIONS = args.get('projections') ?? 'in-process';
const OUT = args.get('out') ?? 'bench/results';
/**
 * The bare servers' ids: random UUIDs by default, as when issue 18 set its targets against the ceiling; CarePath
 * mints time-ordered ones (timeOrderedId), and `--bare-ids time-ordered` measures the bare servers so too.
 */
const BARE_IDS = args.get('bare-ids') ?? 'random';
const ONLY = args.get('only');
if (ONLY !== undefined && ONLY !== 'carepath') throw new Error(`--only takes carepath, not ${ONLY}`);
const HOST = '127.0.0.1';
const ROOT = resolve(__dirname, '..');

/**
 * Issue 18's targets, as ratios to the group-commit ceiling measured in the same run (they replace issue 6's
 * absolute ones, which the ceiling itself cannot reach on this machine).
 */
const TARGET = {
  saturationRate: 0.6,
  saturationP99: 2,
  visitSaturationRate: 0.5,
  /** Share of the offered rate answered when evenly paced. */
  pacedKeepUp: 0.99,
  pacedP99: 2,
  cpuPerRequest: 2.5,
  peakRssMb: 250,
};

const CHC = 'CHC-BENCH-01';
const HOSP = 'HOSP-BENCH-01';
const ALLIANCE = 'G-BENCH';
const REGION = '110105';
const FOLDER = mkdtempSync(join(tmpdir(), 'carepath-bench-http-'));
// The API trusts the development issuer whose key it finds beside its database file (issue 17): made here first.
const DEV_KEY = loadOrCreateDevKey(devKeyFileFor(join(FOLDER, 'carepath.db')));
const bearer = (sub: string, role: string, institutionId: string) =>
  `Bearer ${signDevToken(DEV_KEY, { sub, role, institutionId, ttlSeconds: 86_400 })}`;
/** The API reads the token; the raw baseline records the actor from the x-actor headers, as CarePath once did. */
const HEADERS = {
  'content-type': 'application/json',
  authorization: bearer('doctor-chc-bench', 'doctor', CHC),
  'x-actor-id': 'doctor-chc-bench',
  'x-actor-role': 'doctor',
  'x-institution-id': CHC,
};
// Care time an hour ago: late entries are normal, future ones beyond the skew are refused.
const OCCURRED_AT = new Date(Date.now() - 3_600_000).toISOString();
const RUN = Date.now().toString(36);
let sequence = 0;

/** A new patient per request, so every request opens its own journey and no two bodies are equal. */
function journeyBody(): string {
  return JSON.stringify({
    patientId: `pt-${RUN}-${(sequence++).toString(36)}`,
    residenceRegion: REGION,
    institutionId: CHC,
    visitType: 'outpatient',
    diagnosisCode: 'I21.4',
    occurredAt: OCCURRED_AT,
  });
}

const VISIT_BODY = JSON.stringify({
  institutionId: CHC,
  visitType: 'outpatient',
  diagnosisCode: 'I21.4',
  occurredAt: OCCURRED_AT,
});

/** One command under load: each request built is sent exactly once, so `built()` counts the requests sent. */
interface Command {
  readonly next: () => { readonly path: string; readonly body: string };
  readonly built: () => number;
  /** Receives every 2xx answer's body, when the command checks its writes against the file afterwards. */
  readonly acknowledged?: (body: string) => void;
}

const OPEN_JOURNEY: Command = {
  next: () => ({ path: '/journeys', body: journeyBody() }),
  built: () => sequence,
};

/** A visit acknowledged with 201: the event the file must hold, in that journey's stream. */
interface AckedVisit {
  readonly journeyId: string;
  readonly eventId: string;
}

/** Visits round a pool of open journeys in turn; each 201 names the event written, kept for the durability check. */
function recordVisits(pool: readonly string[], acked: AckedVisit[]): Command {
  let count = 0;
  return {
    next: () => ({ path: `/journeys/${pool[count++ % pool.length]}/visits`, body: VISIT_BODY }),
    built: () => count,
    acknowledged: (body) => {
      const answer = JSON.parse(body) as { journeyId: string; eventIds: string[] };
      acked.push({ journeyId: answer.journeyId, eventId: answer.eventIds[0] ?? '' });
    },
  };
}

const children = new Set<ChildProcess>();
cleanUpOnExit(children, FOLDER);

interface Server {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly stderr: () => string;
}

function start(name: string, argv: readonly string[], env: NodeJS.ProcessEnv, port: number): Server {
  // Request logs go to /dev/null: no log-level setting exists, and a pipe read by this process would compete
  // with the load generator for the same two cores. Errors (stderr) are kept for the report.
  const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-8192);
  });
  return { name, port, child, stderr: () => tail };
}

/** Reads the API's status as an auditor (who may read /projections); the raw baseline ignores the header. */
async function getJson(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://${HOST}:${port}${path}`, {
    headers: { authorization: bearer('auditor-bench', 'auditor', 'HC-BENCH') },
    signal: AbortSignal.timeout(2000),
  });
  return { status: res.status, body: await res.json() };
}

async function waitHealthy(server: Server, tries = 300, intervalMs = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`${server.name} exited before it was healthy:\n${server.stderr()}`);
    }
    const up = await getJson(server.port, '/health').then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) return;
    await sleep(intervalMs);
  }
  throw new Error(`${server.name} did not answer GET /health after ${tries} tries:\n${server.stderr()}`);
}

async function stop(server: Server, timeoutMs = 15_000): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)]);
  if (!graceful) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${server.name} did not stop within ${timeoutMs} ms of SIGTERM`);
  }
}

async function post(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<void> {
  const res = await fetch(`http://${HOST}:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
}

async function registerInstitutions(port: number): Promise<void> {
  const admin = {
    authorization: bearer('admin-bench', 'admin', 'HC-BENCH'),
    'x-actor-id': 'admin-bench',
    'x-actor-role': 'admin',
    'x-institution-id': 'HC-BENCH',
  };
  const at = '2026-01-01T00:00:00+08:00';
  await post(port, '/institutions', admin, {
    institutionId: CHC,
    name: 'Bench Community Health Centre',
    tier: 'community',
    allianceId: ALLIANCE,
    regionCode: REGION,
    occurredAt: at,
  });
  await post(port, '/institutions', admin, {
    institutionId: HOSP,
    name: 'Bench Tertiary Hospital',
    tier: 'tertiary',
    allianceId: ALLIANCE,
    regionCode: REGION,
    occurredAt: at,
  });
}

/** Opens `size` journeys with `CONNECTIONS` requests in flight; any answer but 201 stops the bench. */
async function openPool(port: number, size: number): Promise<string[]> {
  const pool: string[] = [];
  let opened = 0;
  const worker = async (): Promise<void> => {
    while (opened < size) {
      opened++;
      const res = await fetch(`http://${HOST}:${port}/journeys`, {
        method: 'POST',
        headers: HEADERS,
        body: journeyBody(),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`POST /journeys (pool): ${res.status} ${text}`);
      pool.push((JSON.parse(text) as { journeyId: string }).journeyId);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECTIONS, size) }, worker));
  return pool;
}

/**
 * Waits until the API's in-process readers (projections, reference model) have applied the whole log, so one load
 * phase does not pay for the backlog of the one before. Returns how long that took.
 */
async function settle(server: Server, timeoutMs = 120_000): Promise<number> {
  const started = now();
  for (;;) {
    // /health answers in the terminus shape (and 503 while not ready, e.g. projections lagging: read anyway).
    const { details: health } = (await getJson(server.port, '/health')).body as {
      details: { store: { headPosition: string }; referenceModel: { position: string } };
    };
    const head = BigInt(health.store.headPosition);
    // With external projections no projector runs here, so only the reference model is waited for.
    const { projections } =
      PROJECTIONS === 'external'
        ? { projections: [] }
        : ((await getJson(server.port, '/projections')).body as {
            projections: { name: string; position: string; state: string }[];
          });
    const behind = projections.filter((p) => BigInt(p.position) < head);
    const failed = projections.filter((p) => p.state === 'failed');
    if (failed.length > 0) throw new Error(`projections failed: ${failed.map((p) => p.name).join(', ')}`);
    if (behind.length === 0 && BigInt(health.referenceModel.position) >= head) return now() - started;
    if (now() - started > timeoutMs) throw new Error(`read models still behind after ${timeoutMs} ms`);
    await sleep(100);
  }
}

interface Load {
  readonly shape: string;
  readonly seconds: number;
  /** 2xx answers per second of the phase. */
  readonly rate: number;
  readonly ok: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly non2xx: number;
  /** 409 answers (the stream moved on between the read and the append), also counted in `non2xx`. */
  readonly conflicts: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly sent: number;
  /** Sent but never answered (in flight at the stop, timed out, connection lost): written or not, both are correct. */
  readonly unanswered: number;
  readonly statusCodes: Record<string, number>;
  /** CPU time of the server process over the phase, in % of one core (all its threads); null off Linux. */
  readonly serverCpu?: number | null;
  /** The same split by thread, in % of one core; null off Linux. */
  readonly threadCpu?: ThreadCpu | null;
  /** Appends per durable commit over the phase (group commit), from the server's `/health` counters. */
  readonly appendsPerCommit?: number | null;
}

async function cannon(
  port: number,
  command: Command,
  shape: string,
  seconds: number,
  options: { connections: number; overallRate?: number },
): Promise<Load> {
  const built = command.built();
  const { acknowledged } = command;
  const result = await autocannon({
    url: `http://${HOST}:${port}`,
    connections: options.connections,
    pipelining: PIPELINING,
    duration: seconds,
    timeout: 10,
    // Its correction for coordinated omission passes 1/rate (seconds) as an interval in ms (v8, lib/run.js), so it
    // would back-fill a sample at every millisecond below each real one; raw response times are reported instead.
    ...(options.overallRate ? { overallRate: options.overallRate, ignoreCoordinatedOmission: true } : {}),
    requests: [
      {
        method: 'POST',
        path: '/journeys',
        headers: HEADERS,
        setupRequest: (request) => ({ ...request, ...command.next() }),
        ...(acknowledged
          ? {
              onResponse: (status: number, body: string) => {
                if (status >= 200 && status < 300) acknowledged(body);
              },
            }
          : {}),
      },
    ],
  });
  const ok = result['2xx'];
  const answered = result['1xx'] + ok + result['3xx'] + result['4xx'] + result['5xx'];
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = stat.count ?? 0;
  return {
    shape,
    seconds: result.duration,
    rate: ok / result.duration,
    ok,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    conflicts: statusCodes['409'] ?? 0,
    errors: result.errors,
    timeouts: result.timeouts,
    // autocannon's own `sent` adds each connection's whole quota up front in rate mode; every request it sends is
    // built by setupRequest exactly once, so the bodies built are the requests sent.
    sent: command.built() - built,
    unanswered: command.built() - built - answered,
    statusCodes,
  };
}

/**
 * An open-loop generator at an even `rate`: request i is due at start + i/rate whether or not earlier ones have
 * answered, and its latency runs from that due time, so a stalled server shows in the figures instead of slowing
 * the sender. autocannon's `overallRate` is a per-connection quota per second: each connection sends back to back
 * until its quota is spent, so its 1,000/s arrives as bursts of `connections` requests in flight.
 */
async function paced(
  port: number,
  command: Command,
  shape: string,
  rate: number,
  seconds: number,
  sockets: number,
): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const { acknowledged } = command;
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  const { started, finished, sent } = await openLoop(rate, total, (due, settled) => {
    const { path, body } = command.next();
    // The answer is read only when the command checks its writes; otherwise it is drained unread.
    let answer = '';
    postOnce({
      agent,
      host: HOST,
      port,
      path,
      body,
      headers: HEADERS,
      timeoutMs: 10_000,
      answer: (res) => {
        if (acknowledged) {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (answer += chunk));
        } else res.resume();
      },
      closed: (res) => {
        const status = res.statusCode ?? 0;
        if (!res.complete) errors++;
        else {
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (status >= 200 && status < 300) {
            ok++;
            latencies.push(now() - due);
            acknowledged?.(answer);
          } else non2xx++;
        }
        settled();
      },
      failed: () => {
        errors++;
        settled();
      },
      timedOut: () => timeouts++,
    });
  });
  agent.destroy();
  const { p50, p99, max } = latencySummary(latencies);
  return {
    shape,
    seconds: (finished - started) / 1000,
    rate: (ok / (finished - started)) * 1000,
    ok,
    p50,
    p99,
    max,
    non2xx,
    conflicts: statusCodes[409] ?? 0,
    errors,
    timeouts,
    sent,
    unanswered: errors,
    statusCodes,
  };
}

interface Run {
  readonly warmup: Load;
  readonly saturation: Load;
  readonly rate: Load;
  readonly paced: Load;
  /** Time for the in-process read models to catch up after each phase (CarePath only), in ms. */
  readonly settleMs: Record<string, number>;
}

/** `POST /journeys/:id/visits` on a pool of journeys opened beforehand. */
interface VisitRun {
  /** Journeys opened before the visit phases (not measured), and how long opening them took. */
  readonly pool: number;
  readonly poolOpenMs: number;
  readonly warmup: Load;
  readonly paced: Load;
  readonly saturation: Load;
  /**
   * Mean events per pool journey (its opening pair and the visits acknowledged so far) when the saturation phase
   * starts and ends: every request reads and parses its whole journey, and the faster server grows them faster.
   */
  readonly meanJourneyEvents: { readonly saturationStart: number; readonly saturationEnd: number };
  /** Time for the in-process read models to catch up after each phase (CarePath only), in ms. */
  readonly settleMs: Record<string, number>;
}

/** The largest resident set the process has had (VmHWM), in MB. */
function peakRssMb(pid: number | undefined): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:'));
    return line ? Math.round(Number(line.replace(/\D+/g, '')) / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * A server's CPU by thread: its main thread (the requests: every server here runs them there), CarePath's projection
 * thread (it names itself: THREAD_NAMES), and the rest (V8's collector and compiler threads, libuv's pool).
 */
interface ThreadCpu {
  readonly request: number;
  readonly projections: number;
  readonly other: number;
}

/** utime + stime of each of a process's threads, summed as ThreadCpu, in seconds (ticks of 1/100 s on Linux). */
function threadCpuSeconds(pid: number | undefined): ThreadCpu | null {
  try {
    const sums = { request: 0, projections: 0, other: 0 };
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // the thread ended meanwhile
      }
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const kind =
        tid === String(pid) ? 'request' : name === THREAD_NAMES.projections ? 'projections' : 'other';
      sums[kind] += (Number(fields[11]) + Number(fields[12])) / 100;
    }
    return sums;
  } catch {
    return null;
  }
}

/** utime + stime of a process in seconds; /proc counts in clock ticks, 100 per second on Linux. */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function storeStats(server: Server): Promise<{ commits: number; appends: number } | null> {
  const health = await getJson(server.port, '/health').catch(() => null);
  type Counters = { commits?: number; appends?: number };
  // CarePath answers in the terminus shape; the raw baseline server keeps the older one.
  const body = health?.body as { details?: { store?: Counters }; store?: { details?: Counters } } | undefined;
  const details = body?.details?.store ?? body?.store?.details;
  return details?.commits !== undefined && details.appends !== undefined
    ? { commits: details.commits, appends: details.appends }
    : null;
}

/** Runs one load phase and adds what the server did meanwhile: its CPU, and CarePath's commits. */
async function observed(server: Server, phase: () => Promise<Load>): Promise<Load> {
  const statsBefore = await storeStats(server);
  const cpuBefore = cpuSeconds(server.child.pid);
  const threadsBefore = threadCpuSeconds(server.child.pid);
  const started = now();
  const load = await phase();
  const cpuAfter = cpuSeconds(server.child.pid);
  const threadsAfter = threadCpuSeconds(server.child.pid);
  const elapsed = (now() - started) / 1000;
  const statsAfter = await storeStats(server);
  const commits = statsBefore && statsAfter ? statsAfter.commits - statsBefore.commits : 0;
  return {
    ...load,
    serverCpu:
      cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) / elapsed) * 100),
    threadCpu:
      threadsBefore && threadsAfter
        ? {
            request: Math.round(((threadsAfter.request - threadsBefore.request) / elapsed) * 100),
            projections: Math.round(((threadsAfter.projections - threadsBefore.projections) / elapsed) * 100),
            other: Math.round(((threadsAfter.other - threadsBefore.other) / elapsed) * 100),
          }
        : null,
    appendsPerCommit:
      statsBefore && statsAfter && commits > 0
        ? Math.round(((statsAfter.appends - statsBefore.appends) / commits) * 10) / 10
        : null,
  };
}

/** Between phases: CarePath's read models catch up (timed into `settleMs`); the baseline just pauses. */
function phaseTools(
  server: Server,
  carepath: boolean,
  settleMs: Record<string, number>,
): { quiet: (after: string) => Promise<void>; say: (load: Load, what?: string) => void } {
  return {
    quiet: async (after) => {
      if (carepath) settleMs[after] = Math.round(await settle(server));
      else await sleep(200);
    },
    say: (load, what = '') =>
      log(
        `  ${server.name} ${what}${load.shape}: ${fmt(load.rate)} /s, p50 ${load.p50} ms, p99 ${load.p99} ms, ` +
          `non-2xx ${load.non2xx}${load.conflicts > 0 ? ` (${load.conflicts} × 409)` : ''}, errors ${load.errors}, ` +
          `server CPU ${load.serverCpu ?? '?'}%` +
          (load.appendsPerCommit ? `, ${load.appendsPerCommit} appends per commit` : ''),
      ),
  };
}

async function phases(server: Server, carepath: boolean): Promise<Run> {
  const settleMs: Record<string, number> = {};
  const { quiet, say } = phaseTools(server, carepath, settleMs);
  const warmup = await observed(server, () =>
    cannon(server.port, OPEN_JOURNEY, 'warmup', WARMUP, { connections: CONNECTIONS }),
  );
  say(warmup);
  await quiet('warmup');
  const pacedLoad = await observed(server, () =>
    paced(server.port, OPEN_JOURNEY, `${RATE}/s paced`, RATE, SECONDS, RATE_CONNECTIONS),
  );
  say(pacedLoad);
  await quiet('paced');
  const rate = await observed(server, () =>
    cannon(server.port, OPEN_JOURNEY, `${RATE}/s autocannon`, SECONDS, {
      connections: RATE_CONNECTIONS,
      overallRate: RATE,
    }),
  );
  say(rate);
  await quiet('rate');
  const saturation = await observed(server, () =>
    cannon(server.port, OPEN_JOURNEY, 'saturation', SECONDS, { connections: CONNECTIONS }),
  );
  say(saturation);
  await quiet('saturation');
  return { warmup, saturation, rate, paced: pacedLoad, settleMs };
}

/** Opens the pool, then visits: warmup at saturation, 1,000/s paced, saturation. */
async function visitPhases(
  server: Server,
  carepath: boolean,
  pool: string[],
  acked: AckedVisit[],
): Promise<VisitRun> {
  const settleMs: Record<string, number> = {};
  const { quiet, say } = phaseTools(server, carepath, settleMs);
  const opening = now();
  pool.push(...(await openPool(server.port, POOL)));
  const poolOpenMs = Math.round(now() - opening);
  log(`  ${server.name} opened ${fmt(pool.length)} journeys for the visits in ${fmt(poolOpenMs)} ms`);
  await quiet('pool');
  const visits = recordVisits(pool, acked);
  const warmup = await observed(server, () =>
    cannon(server.port, visits, 'warmup', WARMUP, { connections: CONNECTIONS }),
  );
  say(warmup, 'visits ');
  await quiet('warmup');
  const pacedLoad = await observed(server, () =>
    paced(server.port, visits, `${RATE}/s paced`, RATE, SECONDS, RATE_CONNECTIONS),
  );
  say(pacedLoad, 'visits ');
  await quiet('paced');
  const before = acked.length;
  const saturation = await observed(server, () =>
    cannon(server.port, visits, 'saturation', SECONDS, { connections: CONNECTIONS }),
  );
  say(saturation, 'visits ');
  await quiet('saturation');
  const mean = (visitsSoFar: number): number => Math.round((2 + visitsSoFar / pool.length) * 10) / 10;
  return {
    pool: pool.length,
    poolOpenMs,
    warmup,
    paced: pacedLoad,
    saturation,
    meanJourneyEvents: { saturationStart: mean(before), saturationEnd: mean(acked.length) },
    settleMs,
  };
}

interface Durability {
  readonly journeyEvents: number;
  readonly otherEvents: number;
  /** 2 × the 201s the load generators received. */
  readonly acknowledged: number;
  /** 2 × the requests sent but never answered: written or not, both are correct. */
  readonly unanswered: number;
  readonly ok: boolean;
}

interface VisitDurability {
  /** Events at revisions 0 and 1 of the pool's journeys (their opening pair): 2 × the pool expected. */
  readonly poolOpeningEvents: number;
  /** `VisitRecorded` events after the opening pair in the pool's journeys. */
  readonly visitEvents: number;
  /** Events of any other type after the opening pair: none expected. */
  readonly otherEvents: number;
  /** The 201s the load generators received for visits. */
  readonly acknowledged: number;
  /** Visit requests sent but never answered: written or not, both are correct. */
  readonly unanswered: number;
  /** Acknowledged visits whose event id (from the 201) is not in the stream of the journey it names. */
  readonly missing: number;
  readonly ok: boolean;
}

/** The pool's stream ids, as one JSON parameter for `json_each`. */
const poolStreams = (pool: readonly string[]): string => JSON.stringify(pool.map((id) => `journey-${id}`));

function countEvents(file: string, run: Run, pool: readonly string[]): Durability {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  // The pool's journeys are the visits' (countVisits); these are the journeys opened by the POST /journeys loads.
  const row = db
    .prepare(
      "SELECT SUM(stream_id LIKE 'journey-%' AND stream_id NOT IN (SELECT value FROM json_each(?))) AS journeys," +
        " SUM(stream_id NOT LIKE 'journey-%') AS others FROM events",
    )
    .get(poolStreams(pool)) as { journeys: number | null; others: number | null };
  db.close();
  const loads = [run.warmup, run.paced, run.rate, run.saturation];
  const acknowledged = 2 * loads.reduce((n, l) => n + l.ok, 0);
  const unanswered = 2 * loads.reduce((n, l) => n + l.unanswered, 0);
  const journeyEvents = row.journeys ?? 0;
  return {
    journeyEvents,
    otherEvents: row.others ?? 0,
    acknowledged,
    unanswered,
    ok: journeyEvents >= acknowledged && journeyEvents <= acknowledged + unanswered,
  };
}

function countVisits(
  file: string,
  run: VisitRun,
  pool: readonly string[],
  acked: readonly AckedVisit[],
): VisitDurability {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const rows = db
    .prepare(
      'SELECT stream_id, revision, event_id, type FROM events WHERE stream_id IN (SELECT value FROM json_each(?))',
    )
    .all(poolStreams(pool)) as { stream_id: string; revision: number; event_id: string; type: string }[];
  db.close();
  const visits = new Set<string>();
  let poolOpeningEvents = 0;
  let otherEvents = 0;
  for (const r of rows) {
    if (r.revision < 2) poolOpeningEvents++;
    else if (r.type === 'VisitRecorded') visits.add(`${r.stream_id} ${r.event_id}`);
    else otherEvents++;
  }
  const loads = [run.warmup, run.paced, run.saturation];
  const acknowledged = loads.reduce((n, l) => n + l.ok, 0);
  const unanswered = loads.reduce((n, l) => n + l.unanswered, 0);
  const found = acked.filter((a) => visits.has(`journey-${a.journeyId} ${a.eventId}`)).length;
  const missing = acknowledged - found;
  return {
    poolOpeningEvents,
    visitEvents: visits.size,
    otherEvents,
    acknowledged,
    unanswered,
    missing,
    ok:
      missing === 0 &&
      otherEvents === 0 &&
      poolOpeningEvents === 2 * pool.length &&
      visits.size >= acknowledged &&
      visits.size <= acknowledged + unanswered,
  };
}

async function measure(
  name: string,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  port: number,
  file: string,
  carepath: boolean,
): Promise<Measured> {
  log(`${name}: starting on ${HOST}:${port}`);
  const server = start(name, argv, env, port);
  try {
    await waitHealthy(server);
    if (carepath) await registerInstitutions(port);
    const run = await phases(server, carepath);
    const pool: string[] = [];
    const acked: AckedVisit[] = [];
    const visits = await visitPhases(server, carepath, pool, acked);
    const peak = peakRssMb(server.child.pid);
    await stop(server);
    const durability = countEvents(file, run, pool);
    log(
      `  ${name} durability: ${durability.journeyEvents} journey events; acknowledged ${durability.acknowledged}` +
        ` (+ up to ${durability.unanswered} unanswered) -> ${durability.ok ? 'ok' : 'MISMATCH'}`,
    );
    const visitDurability = countVisits(file, visits, pool, acked);
    log(
      `  ${name} visit durability: ${visitDurability.visitEvents} visit events in ${pool.length} journeys; ` +
        `acknowledged ${visitDurability.acknowledged} (+ up to ${visitDurability.unanswered} unanswered), ` +
        `${visitDurability.missing} acknowledged event ids missing -> ${visitDurability.ok ? 'ok' : 'MISMATCH'}`,
    );
    return { peakRssMb: peak, run, durability, visits: { ...visits, durability: visitDurability } };
  } finally {
    await stop(server).catch((error: unknown) => log(String(error)));
  }
}

const ms = (n: number): string => (Number.isFinite(n) ? `${Math.round(n * 100) / 100} ms` : 'n/a');
const faults = (l: Load): number => l.non2xx + l.errors;
const faultText = (l: Load): string =>
  faults(l) === 0
    ? '0'
    : `**${l.non2xx} non-2xx ${JSON.stringify(l.statusCodes)}, ${l.errors} errors (${l.timeouts} timeouts)**`;

function durabilityText(d: Durability): string {
  const bound =
    d.unanswered > 0
      ? `${fmt(d.acknowledged)} to ${fmt(d.acknowledged + d.unanswered)} (${fmt(d.unanswered / 2)} requests unanswered at stop)`
      : fmt(d.acknowledged);
  const others = d.otherEvents > 0 ? ` + ${fmt(d.otherEvents)} institution events` : '';
  return `${fmt(d.journeyEvents)} journey events${others}; 2 × ${fmt(d.acknowledged / 2)} acknowledged writes expects ${bound}: ${d.ok ? 'ok' : '**MISMATCH**'}`;
}

/** Visits: a 409 (the journey moved on between the read and the append) is shown on its own row, not here. */
const visitFaults = (l: Load): number => faults(l) - l.conflicts;
const visitFaultText = (l: Load): string => {
  if (visitFaults(l) === 0) return '0';
  const codes = Object.fromEntries(Object.entries(l.statusCodes).filter(([code]) => code !== '409'));
  return `**${l.non2xx - l.conflicts} non-2xx ${JSON.stringify(codes)}, ${l.errors} errors (${l.timeouts} timeouts)**`;
};
const conflictText = (l: Load): string =>
  l.conflicts === 0
    ? '0'
    : `**${fmt(l.conflicts)}** (${Math.round((l.conflicts / Math.max(1, l.sent)) * 10_000) / 100} % of requests)`;

function visitDurabilityText(d: VisitDurability): string {
  const bound =
    d.unanswered > 0
      ? `${fmt(d.acknowledged)} to ${fmt(d.acknowledged + d.unanswered)} (${fmt(d.unanswered)} requests unanswered at stop)`
      : fmt(d.acknowledged);
  const others = d.otherEvents > 0 ? `, **${fmt(d.otherEvents)} events of another type**` : '';
  return (
    `${fmt(d.visitEvents)} visit events${others}; ${fmt(d.acknowledged)} acknowledged visits expects ${bound}; ` +
    `acknowledged event ids not in their journey: ${d.missing === 0 ? '0' : `**${fmt(d.missing)}**`}; ` +
    `pool opening events ${fmt(d.poolOpeningEvents)}: ${d.ok ? 'ok' : '**MISMATCH**'}`
  );
}

type Visits = VisitRun & { durability: VisitDurability };

/** One server's whole run: the `POST /journeys` phases with their durability check, then the visits. */
interface Measured {
  /** The server's peak resident set over the whole run, read before it stops. */
  readonly peakRssMb: number | null;
  readonly run: Run;
  readonly durability: Durability;
  readonly visits: Visits;
}

const latency = (l: Load): string => `${ms(l.p50)} / ${ms(l.p99)}`;
/**
 * Server CPU in % of one core, and per answered request (CPU time ÷ answers, all of them, 409s included), with its
 * split by thread.
 */
const cpu = (l: Load): string => {
  if (l.serverCpu === null || l.serverCpu === undefined) return 'n/a';
  const perRequest = cpuPerRequestUs(l);
  if (perRequest === null) return `${l.serverCpu} %`;
  const threads = l.threadCpu;
  const split = threads
    ? `: main thread ${fmt(perRequestUs(l, threads.request) ?? 0)}` +
      (threads.projections > 0
        ? `, projection thread ${fmt(perRequestUs(l, threads.projections) ?? 0)}`
        : '') +
      `, other threads ${fmt(perRequestUs(l, threads.other) ?? 0)}`
    : '';
  return `${l.serverCpu} % (${fmt(perRequest)} µs per request${split})`;
};
/** Server CPU time per answered request, in µs (null when the CPU could not be read). */
function cpuPerRequestUs(l: Load): number | null {
  return l.serverCpu === null || l.serverCpu === undefined ? null : perRequestUs(l, l.serverCpu);
}
/** CPU at `percent` of one core over the phase, per answered request, in µs. */
function perRequestUs(l: Load, percent: number): number | null {
  const answered = Object.values(l.statusCodes).reduce((n, count) => n + count, 0);
  return answered > 0 ? (percent * 10_000 * l.seconds) / answered : null;
}
const commits = (l: Load): string => `${l.appendsPerCommit ?? 'n/a'} appends per commit`;

/**
 * The rows of one load phase: CarePath's figure, then the baseline's and the ceiling's, each followed by CarePath's
 * ratio to it. `faultRows` name the phase's failure counts, each with its cell text.
 */
function phaseRows(
  label: string,
  [a, b, c]: readonly [Load, Load, Load],
  faultRows: readonly (readonly [string, (l: Load) => string])[],
): string[] {
  return [
    `| ${label}: throughput | ${fmt(a.rate)} /s | ${fmt(b.rate)} /s | ${ratio(a.rate, b.rate)} | ${fmt(c.rate)} /s | ${ratio(a.rate, c.rate)} |`,
    `| ${label}: p50 / p99 latency | ${latency(a)} | ${latency(b)} | p99 × ${ratio(a.p99, b.p99)} | ${latency(c)} | p99 × ${ratio(a.p99, c.p99)} |`,
    ...faultRows.map(([what, text]) => `| ${label}: ${what} | ${text(a)} | ${text(b)} | | ${text(c)} | |`),
    `| ${label}: server CPU, % of one core | ${cpu(a)} | ${cpu(b)} | | ${cpu(c)} | |`,
  ];
}

const SATURATION = `saturation, ${CONNECTIONS} connections, pipelining ${PIPELINING}, ${SECONDS} s`;
const PACED = `${RATE}/s evenly paced (open loop, ${SECONDS} s)`;
const CEILING =
  'ceiling: the same bare Fastify 5 route with group commit (the requests waiting share one `BEGIN IMMEDIATE` … ' +
  '`COMMIT`, each answered after it; same run)';

function visitTable(api: Visits, raw: Visits, top: Visits): string {
  const faultRows = [
    ['failed requests (409s apart)', visitFaultText],
    ['409 revision conflicts', conflictText],
  ] as const;
  const length = (v: Visits): string =>
    `${v.meanJourneyEvents.saturationStart} → ${v.meanJourneyEvents.saturationEnd} events`;
  return [
    `| measure (\`POST /journeys/:id/visits\`: 1 event on an existing journey, round a pool of ${fmt(api.pool)} journeys) | CarePath API (load, fold, decide, append at the expected revision) | baseline: bare Fastify 5, \`SELECT\` the stream's rows + \`JSON.parse\`, one \`BEGIN IMMEDIATE\` insert of 1 row at the next revision per request, WAL + synchronous=FULL (same run) | ratio | ${CEILING.replace('; same run', ', each in its own `SAVEPOINT`, so a revision clash rolls back that request alone; same run')} | ratio to the ceiling |`,
    '|---|---|---|---|---|---|',
    ...phaseRows(`visit, ${SATURATION}`, [api.saturation, raw.saturation, top.saturation], faultRows),
    ...phaseRows(`visit, ${PACED}`, [api.paced, raw.paced, top.paced], faultRows),
    `| visit: mean journey length over the saturation phase (start → end) | ${length(api)} | ${length(raw)} | | ${length(top)} | |`,
    `| visit durability: events in the pool's journeys after stop | ${visitDurabilityText(api.durability)} | ${visitDurabilityText(raw.durability)} | | ${visitDurabilityText(top.durability)} | |`,
    `| visit: group commit at saturation | ${commits(api.saturation)} | one commit per request | | ${commits(top.saturation)} | |`,
  ].join('\n');
}

function table(api: Measured, raw: Measured, top: Measured): string {
  const faultRows = [['failed requests', faultText]] as const;
  const met = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const s = api.run.saturation;
  const c = top.run;
  const lines = [
    `| measure (\`POST /journeys\`: 2 events, a new stream) | CarePath API | baseline: bare Fastify 5, one \`BEGIN IMMEDIATE\` insert of 2 rows per request, WAL + synchronous=FULL (same run) | ratio | ${CEILING} | ratio to the ceiling |`,
    '|---|---|---|---|---|---|',
    ...phaseRows(SATURATION, [s, raw.run.saturation, c.saturation], faultRows),
    ...phaseRows(PACED, [api.run.paced, raw.run.paced, c.paced], faultRows),
    ...phaseRows(
      `${RATE}/s autocannon \`overallRate\` (${RATE_CONNECTIONS} connections, bursts)`,
      [api.run.rate, raw.run.rate, c.rate],
      faultRows,
    ),
    `| durability: events in the file after stop | ${durabilityText(api.durability)} | ${durabilityText(raw.durability)} | | ${durabilityText(top.durability)} | |`,
    `| group commit at saturation | ${commits(s)} | one commit per request | | ${commits(c.saturation)} | |`,
    `| read models caught up after the saturation phase | ${fmt(api.run.settleMs.saturation ?? Number.NaN)} ms | | | | |`,
  ];
  const verdicts = targetVerdicts(api, top);
  const targets = `Targets (issue 18, ratios to the ceiling in this run): ${verdicts
    .map((v) => `${v.what}: ${met(v.met)} (${v.value})`)
    .join('; ')}. Peak RSS of the API: ${api.peakRssMb ?? 'n/a'} MB.`;
  const note =
    `The API runs from dist with projections ${PROJECTIONS}, its request log sent to /dev/null; load generator, API ` +
    'and both bare servers share the same cores, and each server runs alone. The visit pool is opened (and, for the ' +
    'API, projected) before the visit phases and is not measured; each visit request reads its whole journey, which ' +
    'grows as the phases run. ' +
    (BARE_IDS === 'random'
      ? 'The bare servers mint random UUIDs, as when issue 18 set its targets; CarePath mints time-ordered ones.'
      : 'The bare servers mint time-ordered ids, as CarePath does (--bare-ids time-ordered).');
  return `${lines.join('\n')}\n\n${targets}\n\n${visitTable(api.visits, raw.visits, top.visits)}\n\n${note}`;
}

/** Issue 18's targets, each with the figure it was judged on. */
function targetVerdicts(api: Measured, top: Measured): { what: string; met: boolean; value: string }[] {
  const r = (a: number, b: number) => a / b;
  const s = api.run.saturation;
  const c = top.run.saturation;
  const cpuApi = cpuPerRequestUs(s);
  const cpuTop = cpuPerRequestUs(c);
  const cpuRatio = cpuApi !== null && cpuTop !== null ? r(cpuApi, cpuTop) : Number.NaN;
  return [
    {
      what: `\`POST /journeys\` at saturation ≥ ${TARGET.saturationRate}× the ceiling`,
      met: r(s.rate, c.rate) >= TARGET.saturationRate,
      value: `${ratio(s.rate, c.rate)}×`,
    },
    {
      what: `its p99 ≤ ${TARGET.saturationP99}× the ceiling's`,
      met: r(s.p99, c.p99) <= TARGET.saturationP99,
      value: `${ratio(s.p99, c.p99)}×`,
    },
    {
      what: `visits at saturation ≥ ${TARGET.visitSaturationRate}× the ceiling`,
      met: r(api.visits.saturation.rate, top.visits.saturation.rate) >= TARGET.visitSaturationRate,
      value: `${ratio(api.visits.saturation.rate, top.visits.saturation.rate)}×`,
    },
    {
      what: `${fmt(RATE)}/s paced: answers ≥ ${TARGET.pacedKeepUp} of the offered rate`,
      met: r(api.run.paced.rate, RATE) >= TARGET.pacedKeepUp,
      value: `${ratio(api.run.paced.rate, RATE)}`,
    },
    {
      what: `paced p99 ≤ ${TARGET.pacedP99}× the ceiling's`,
      met: r(api.run.paced.p99, top.run.paced.p99) <= TARGET.pacedP99,
      value: `${ratio(api.run.paced.p99, top.run.paced.p99)}×`,
    },
    {
      what: `server CPU per command at saturation ≤ ${TARGET.cpuPerRequest}× the ceiling's`,
      met: cpuRatio <= TARGET.cpuPerRequest,
      value: `${Number.isFinite(cpuRatio) ? Math.round(cpuRatio * 100) / 100 : 'n/a'}×`,
    },
    {
      what: `API peak RSS ≤ ${TARGET.peakRssMb} MB`,
      met: api.peakRssMb !== null && api.peakRssMb <= TARGET.peakRssMb,
      value: `${api.peakRssMb ?? 'n/a'} MB`,
    },
  ];
}

/** The bare Fastify server (bench/raw-fastify-server.ts) committing per request or in groups, on a file of its own. */
async function measureBare(name: string, commit: 'request' | 'group'): Promise<Measured> {
  const file = join(FOLDER, `${name}.db`);
  const port = await freePort();
  const argv = [
    ...process.execArgv,
    join(ROOT, 'bench/raw-fastify-server.ts'),
    ...['--port', String(port), '--host', HOST, '--file', file, '--commit', commit, '--ids', BARE_IDS],
  ];
  return measure(name, argv, { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' }, port, file, false);
}

/** CarePath's own ratios to one bare server, for the saved figures. */
function ratios(api: Measured, bare: Measured): Record<string, number> {
  return {
    saturationRate: ratio(api.run.saturation.rate, bare.run.saturation.rate),
    saturationP99: ratio(api.run.saturation.p99, bare.run.saturation.p99),
    pacedP99: ratio(api.run.paced.p99, bare.run.paced.p99),
    visitSaturationRate: ratio(api.visits.saturation.rate, bare.visits.saturation.rate),
    visitPacedP99: ratio(api.visits.paced.p99, bare.visits.paced.p99),
    cpuPerRequest: ratio(
      cpuPerRequestUs(api.run.saturation) ?? Number.NaN,
      cpuPerRequestUs(bare.run.saturation) ?? Number.NaN,
    ),
  };
}

async function measureApi(): Promise<Measured> {
  const file = join(FOLDER, 'carepath.db');
  const port = await freePort();
  const env = {
    ...process.env,
    TS_NODE_BASEURL: 'dist',
    PORT: String(port),
    HOST,
    DATABASE_FILE: file,
    LOG_FORMAT: 'json',
    PROJECTIONS,
    // One actor sends every request: the bench measures the write path, not the rate limits.
    RATE_LIMIT_REQUESTS: '10000000',
  };
  return measure('carepath', apiNodeArgs(ROOT), env, port, file, true);
}

/** `--only carepath`: the API's own figures, one line per command at saturation. */
function logApiAlone(api: Measured): void {
  const line = (what: string, l: Load) => {
    const threads = l.threadCpu
      ? ` (request thread ${fmt(perRequestUs(l, l.threadCpu.request) ?? Number.NaN)}, projection thread ${fmt(perRequestUs(l, l.threadCpu.projections) ?? Number.NaN)}, other threads ${fmt(perRequestUs(l, l.threadCpu.other) ?? Number.NaN)})`
      : '';
    return `${what} at saturation: ${fmt(l.rate)} /s, p99 ${l.p99} ms, ${fmt(cpuPerRequestUs(l) ?? Number.NaN)} µs of CPU per request${threads}`;
  };
  log(`carepath alone: peak RSS ${api.peakRssMb ?? 'n/a'} MB`);
  log(line('POST /journeys', api.run.saturation));
  log(line('visits', api.visits.saturation));
}

/** A failed request or a missing event fails the bench, whatever the figures. */
function checkFaults(servers: readonly Measured[]): void {
  const failed = servers.some(
    ({ run, visits }) =>
      [run.warmup, run.saturation, run.rate, run.paced].some((l) => faults(l) > 0) ||
      [visits.warmup, visits.paced, visits.saturation].some((l) => visitFaults(l) > 0),
  );
  const durable = servers.every(({ durability, visits }) => durability.ok && visits.durability.ok);
  if (failed || !durable) {
    log('some requests failed or the event count does not match: see the phases and durability lines above');
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  try {
    if (ONLY === 'carepath') {
      const api = await measureApi();
      logApiAlone(api);
      checkFaults([api]);
      return;
    }
    const raw = await measureBare('baseline', 'request');
    const top = await measureBare('ceiling', 'group');
    const api = await measureApi();
    const figures = {
      seconds: SECONDS,
      warmupSeconds: WARMUP,
      connections: CONNECTIONS,
      pipelining: PIPELINING,
      rate: RATE,
      rateConnections: RATE_CONNECTIONS,
      projections: PROJECTIONS,
      pool: POOL,
      bareIds: BARE_IDS,
      carepath: { ...api.run, durability: api.durability, visits: api.visits },
      baseline: { ...raw.run, durability: raw.durability, visits: raw.visits },
      // The same bare server with group commit: what the durable insert alone reaches on this machine.
      ceiling: { ...top.run, durability: top.durability, visits: top.visits },
      saturationRatio: ratio(api.run.saturation.rate, raw.run.saturation.rate),
      // POST /journeys/:id/visits, CarePath / baseline.
      visitRatios: {
        saturationRate: ratio(api.visits.saturation.rate, raw.visits.saturation.rate),
        saturationP99: ratio(api.visits.saturation.p99, raw.visits.saturation.p99),
        pacedRate: ratio(api.visits.paced.rate, raw.visits.paced.rate),
        pacedP99: ratio(api.visits.paced.p99, raw.visits.paced.p99),
      },
      // CarePath / the ceiling, both commands.
      ceilingRatios: ratios(api, top),
      // The share of the evenly paced offered rate CarePath answered.
      pacedKeepUp: ratio(api.run.paced.rate, RATE),
      peakRssMb: { carepath: api.peakRssMb, baseline: raw.peakRssMb, ceiling: top.peakRssMb },
      targets: { ...TARGET, verdicts: targetVerdicts(api, top) },
    };
    saveResult('http', figures, table(api, raw, top), OUT);
    const servers = [api, raw, top];
    checkFaults(servers);
    const conflicts = (v: Visits): string =>
      [v.warmup, v.paced, v.saturation].map((l) => l.conflicts).join(' / ');
    if (
      servers.some(({ visits: v }) => v.warmup.conflicts + v.paced.conflicts + v.saturation.conflicts > 0)
    ) {
      log(
        `visits answered 409 (revision conflicts), warmup / paced / saturation: carepath ${conflicts(api.visits)}, ` +
          `baseline ${conflicts(raw.visits)}, ceiling ${conflicts(top.visits)}`,
      );
    }
  } finally {
    rmSync(FOLDER, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
