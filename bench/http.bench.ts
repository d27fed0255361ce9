/*
 * Durable HTTP commands through the real API (built output, its own process, the embedded store on a temporary
 * file), as ratios to a bare Fastify + better-sqlite3 server doing the same durable insert (bench/raw-fastify-
 * server.ts), measured in the same run with the same load (brief, rule 6). The command is `POST /journeys`: two
 * events in a new stream, a unique patient id per request.
 * Load shapes, each server in turn: saturation (autocannon, 64 connections); 1,000/s with autocannon's
 * `overallRate`; 1,000/s evenly paced by an open-loop generator (see `paced`). After the API stops, the journey
 * events in its file are counted against the acknowledged writes.
 * Usage: npm run bench:http -- [--seconds 10] [--warmup 3] [--connections 64] [--pipelining 1] [--rate 1000]
 *          [--rate-connections 64] [--projections in-process|external]
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { benchArgs, fmt, log, now, quantile, ratio, saveResult } from './bench-support';

const args = benchArgs();
const SECONDS = Number(args.get('seconds') ?? 10);
const WARMUP = Number(args.get('warmup') ?? 3);
const CONNECTIONS = Number(args.get('connections') ?? 64);
const PIPELINING = Number(args.get('pipelining') ?? 1);
const RATE = Number(args.get('rate') ?? 1000);
const RATE_CONNECTIONS = Number(args.get('rate-connections') ?? CONNECTIONS);
const PROJECTIONS = args.get('projections') ?? 'in-process';
const OUT = args.get('out') ?? 'bench/results';
const HOST = '127.0.0.1';
const ROOT = resolve(__dirname, '..');

// The targets for durable HTTP commands on this 2-core machine.
const TARGET = { saturationRate: 8000, saturationP99: 20, rateP99: 5 };

const CHC = 'CHC-BENCH-01';
const HOSP = 'HOSP-BENCH-01';
const ALLIANCE = 'G-BENCH';
const REGION = '110105';
const HEADERS = {
  'content-type': 'application/json',
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

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

const children = new Set<ChildProcess>();
const FOLDER = mkdtempSync(join(tmpdir(), 'carepath-bench-http-'));
// A crash or Ctrl-C of the bench itself must not leave a server holding a port, nor its files behind.
process.on('exit', () => {
  children.forEach((child) => child.kill('SIGKILL'));
  rmSync(FOLDER, { recursive: true, force: true });
});
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
}

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

async function getJson(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://${HOST}:${port}${path}`, { signal: AbortSignal.timeout(2000) });
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
  const admin = { 'x-actor-id': 'registrar-bench', 'x-actor-role': 'admin', 'x-institution-id': 'HC-BENCH' };
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

/**
 * Waits until the API's in-process readers (projections, reference model) have applied the whole log, so one load
 * phase does not pay for the backlog of the one before. Returns how long that took.
 */
async function settle(server: Server, timeoutMs = 120_000): Promise<number> {
  const started = now();
  for (;;) {
    const health = (await getJson(server.port, '/health')).body as {
      store: { details: { headPosition: string } };
      referenceModel: { position: string };
    };
    const head = BigInt(health.store.details.headPosition);
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
  readonly errors: number;
  readonly timeouts: number;
  readonly sent: number;
  /** Sent but never answered (in flight at the stop, timed out, connection lost): written or not, both are correct. */
  readonly unanswered: number;
  readonly statusCodes: Record<string, number>;
  /** CPU time of the server process over the phase, in % of one core (all its threads); null off Linux. */
  readonly serverCpu?: number | null;
  /** CarePath only: appends per durable commit over the phase (group commit). */
  readonly appendsPerCommit?: number | null;
}

async function cannon(
  port: number,
  shape: string,
  seconds: number,
  options: { connections: number; overallRate?: number },
): Promise<Load> {
  const built = sequence;
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
        setupRequest: (request) => ({ ...request, body: journeyBody() }),
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
    errors: result.errors,
    timeouts: result.timeouts,
    // autocannon's own `sent` adds each connection's whole quota up front in rate mode; every request it sends is
    // built by setupRequest exactly once, so the bodies built are the requests sent.
    sent: sequence - built,
    unanswered: sequence - built - answered,
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
  shape: string,
  rate: number,
  seconds: number,
  sockets: number,
): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let inFlight = 0;
  const started = now();
  let finished = started;
  await new Promise<void>((done) => {
    let issuing = true;
    const settled = (): void => {
      inFlight--;
      finished = now();
      if (!issuing && inFlight === 0) done();
    };
    const fire = (due: number): void => {
      const body = journeyBody();
      let over = false;
      inFlight++;
      sent++;
      const req = httpRequest(
        {
          host: HOST,
          port,
          path: '/journeys',
          method: 'POST',
          agent,
          headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) },
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          res.once('close', () => {
            if (over) return;
            over = true;
            const status = res.statusCode ?? 0;
            if (!res.complete) errors++;
            else {
              statusCodes[status] = (statusCodes[status] ?? 0) + 1;
              if (status >= 200 && status < 300) {
                ok++;
                latencies.push(now() - due);
              } else non2xx++;
            }
            settled();
          });
        },
      );
      req.once('timeout', () => {
        timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.once('error', () => {
        if (over) return;
        over = true;
        errors++;
        settled();
      });
      req.end(body);
    };
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((now() - started) / 1000) * rate));
      while (sent < due) fire(started + (sent * 1000) / rate);
      if (sent >= total) {
        clearInterval(timer);
        issuing = false;
        if (inFlight === 0) done();
      }
    }, 1);
  });
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return {
    shape,
    seconds: (finished - started) / 1000,
    rate: (ok / (finished - started)) * 1000,
    ok,
    p50: round(quantile(latencies, 0.5)),
    p99: round(quantile(latencies, 0.99)),
    max: round(latencies.at(-1) ?? Number.NaN),
    non2xx,
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
  const details = (
    health?.body as { store?: { details?: { commits?: number; appends?: number } } } | undefined
  )?.store?.details;
  return details?.commits !== undefined && details.appends !== undefined
    ? { commits: details.commits, appends: details.appends }
    : null;
}

/** Runs one load phase and adds what the server did meanwhile: its CPU, and CarePath's commits. */
async function observed(server: Server, phase: () => Promise<Load>): Promise<Load> {
  const statsBefore = await storeStats(server);
  const cpuBefore = cpuSeconds(server.child.pid);
  const started = now();
  const load = await phase();
  const cpuAfter = cpuSeconds(server.child.pid);
  const elapsed = (now() - started) / 1000;
  const statsAfter = await storeStats(server);
  const commits = statsBefore && statsAfter ? statsAfter.commits - statsBefore.commits : 0;
  return {
    ...load,
    serverCpu:
      cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) / elapsed) * 100),
    appendsPerCommit:
      statsBefore && statsAfter && commits > 0
        ? Math.round(((statsAfter.appends - statsBefore.appends) / commits) * 10) / 10
        : null,
  };
}

async function phases(server: Server, carepath: boolean): Promise<Run> {
  const settleMs: Record<string, number> = {};
  const quiet = async (after: string): Promise<void> => {
    if (carepath) settleMs[after] = Math.round(await settle(server));
    else await sleep(200);
  };
  const say = (load: Load): void =>
    log(
      `  ${server.name} ${load.shape}: ${fmt(load.rate)} /s, p50 ${load.p50} ms, p99 ${load.p99} ms, ` +
        `non-2xx ${load.non2xx}, errors ${load.errors}, server CPU ${load.serverCpu ?? '?'}%` +
        (load.appendsPerCommit ? `, ${load.appendsPerCommit} appends per commit` : ''),
    );
  const warmup = await observed(server, () =>
    cannon(server.port, 'warmup', WARMUP, { connections: CONNECTIONS }),
  );
  say(warmup);
  await quiet('warmup');
  const pacedLoad = await observed(server, () =>
    paced(server.port, `${RATE}/s paced`, RATE, SECONDS, RATE_CONNECTIONS),
  );
  say(pacedLoad);
  await quiet('paced');
  const rate = await observed(server, () =>
    cannon(server.port, `${RATE}/s autocannon`, SECONDS, {
      connections: RATE_CONNECTIONS,
      overallRate: RATE,
    }),
  );
  say(rate);
  await quiet('rate');
  const saturation = await observed(server, () =>
    cannon(server.port, 'saturation', SECONDS, { connections: CONNECTIONS }),
  );
  say(saturation);
  await quiet('saturation');
  return { warmup, saturation, rate, paced: pacedLoad, settleMs };
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

function countEvents(file: string, run: Run): Durability {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const row = db
    .prepare(
      "SELECT SUM(stream_id LIKE 'journey-%') AS journeys, SUM(stream_id NOT LIKE 'journey-%') AS others FROM events",
    )
    .get() as { journeys: number | null; others: number | null };
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

async function measure(
  name: string,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  port: number,
  file: string,
  carepath: boolean,
): Promise<{ run: Run; durability: Durability }> {
  log(`${name}: starting on ${HOST}:${port}`);
  const server = start(name, argv, env, port);
  try {
    await waitHealthy(server);
    if (carepath) await registerInstitutions(port);
    const run = await phases(server, carepath);
    await stop(server);
    const durability = countEvents(file, run);
    log(
      `  ${name} durability: ${durability.journeyEvents} journey events; acknowledged ${durability.acknowledged}` +
        ` (+ up to ${durability.unanswered} unanswered) -> ${durability.ok ? 'ok' : 'MISMATCH'}`,
    );
    return { run, durability };
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

function table(api: Run, raw: Run, durability: Durability, rawDurability: Durability): string {
  const row = (label: string, a: Load, b: Load): string[] => [
    `| ${label}: throughput | ${fmt(a.rate)} /s | ${fmt(b.rate)} /s | ${ratio(a.rate, b.rate)} |`,
    `| ${label}: p50 / p99 latency | ${ms(a.p50)} / ${ms(a.p99)} | ${ms(b.p50)} / ${ms(b.p99)} | p99 × ${ratio(a.p99, b.p99)} |`,
    `| ${label}: failed requests | ${faultText(a)} | ${faultText(b)} | |`,
    `| ${label}: server CPU, % of one core | ${a.serverCpu ?? 'n/a'} % | ${b.serverCpu ?? 'n/a'} % | |`,
  ];
  const met = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const s = api.saturation;
  const lines = [
    '| measure (`POST /journeys`: 2 events, a new stream) | CarePath API | baseline: bare Fastify 5, one `BEGIN IMMEDIATE` insert of 2 rows, WAL + synchronous=FULL (same run) | ratio |',
    '|---|---|---|---|',
    ...row(
      `saturation, ${CONNECTIONS} connections, pipelining ${PIPELINING}, ${SECONDS} s`,
      s,
      raw.saturation,
    ),
    ...row(`${RATE}/s evenly paced (open loop, ${SECONDS} s)`, api.paced, raw.paced),
    ...row(
      `${RATE}/s autocannon \`overallRate\` (${RATE_CONNECTIONS} connections, bursts)`,
      api.rate,
      raw.rate,
    ),
    `| durability: events in the file after stop | ${durabilityText(durability)} | ${durabilityText(rawDurability)} | |`,
    `| group commit at saturation | ${s.appendsPerCommit ?? 'n/a'} appends per commit | one commit per request | |`,
    `| read models caught up after the saturation phase | ${fmt(api.settleMs.saturation ?? Number.NaN)} ms | | |`,
  ];
  const targets = [
    `Targets (issue 6): ≥ ${fmt(TARGET.saturationRate)}/s with p99 ≤ ${TARGET.saturationP99} ms at saturation: ` +
      `${met(s.rate >= TARGET.saturationRate)} (${fmt(s.rate)}/s), ${met(s.p99 <= TARGET.saturationP99)} (p99 ${ms(s.p99)}); ` +
      `p99 ≤ ${TARGET.rateP99} ms at ${fmt(RATE)}/s: ${met(api.paced.p99 <= TARGET.rateP99)} (paced p99 ${ms(api.paced.p99)}).`,
    `The API runs from dist with projections ${PROJECTIONS}, its request log sent to /dev/null; load generator, API ` +
      'and baseline share the same cores.',
  ];
  return `${lines.join('\n')}\n\n${targets.join('\n')}`;
}

async function main(): Promise<void> {
  const folder = FOLDER;
  try {
    const rawFile = join(folder, 'raw.db');
    const rawPort = await freePort();
    const raw = await measure(
      'baseline',
      [
        ...process.execArgv,
        join(ROOT, 'bench/raw-fastify-server.ts'),
        '--port',
        String(rawPort),
        '--host',
        HOST,
        '--file',
        rawFile,
      ],
      { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
      rawPort,
      rawFile,
      false,
    );
    const apiFile = join(folder, 'carepath.db');
    const apiPort = await freePort();
    const api = await measure(
      'carepath',
      ['-r', 'tsconfig-paths/register', 'dist/apps/api/src/main.js'],
      {
        ...process.env,
        TS_NODE_BASEURL: 'dist',
        PORT: String(apiPort),
        HOST,
        DATABASE_FILE: apiFile,
        LOG_FORMAT: 'json',
        PROJECTIONS,
      },
      apiPort,
      apiFile,
      true,
    );
    const figures = {
      seconds: SECONDS,
      warmupSeconds: WARMUP,
      connections: CONNECTIONS,
      pipelining: PIPELINING,
      rate: RATE,
      rateConnections: RATE_CONNECTIONS,
      projections: PROJECTIONS,
      carepath: { ...api.run, durability: api.durability },
      baseline: { ...raw.run, durability: raw.durability },
      saturationRatio: ratio(api.run.saturation.rate, raw.run.saturation.rate),
      targets: {
        ...TARGET,
        saturationRateMet: api.run.saturation.rate >= TARGET.saturationRate,
        saturationP99Met: api.run.saturation.p99 <= TARGET.saturationP99,
        rateP99Met: api.run.paced.p99 <= TARGET.rateP99,
      },
    };
    saveResult('http', figures, table(api.run, raw.run, api.durability, raw.durability), OUT);
    const failed = [api.run, raw.run].some((r) =>
      [r.warmup, r.saturation, r.rate, r.paced].some((l) => faults(l) > 0),
    );
    if (failed || !api.durability.ok || !raw.durability.ok) {
      log('some requests failed or the event count does not match: see the table');
      process.exitCode = 1;
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
