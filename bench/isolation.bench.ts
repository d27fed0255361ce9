/*
 * Isolation of heavy reads (issue 15): write latency of the real API (built output, its own process, the embedded
 * store on a temporary file seeded with generated journeys) at a steady offered rate, first alone, then with three
 * loops running at once beside the same writes: the hash-chain walk (`GET /audit/verify`), analytics over a whole
 * year (`GET /analytics/referrals`, `/analytics/local-treatment`, `/analytics/ward-occupancy`) and `asOf` replays
 * (analytics as of a time, and journey states as of a time), each loop one request at a time, back to back. The
 * figure is p99(loaded) / p99(alone), both measured in this run: the goal is within 2x.
 * Usage: npm run bench:isolation -- [--journeys 3000] [--rate 200] [--seconds 15] [--warmup 3] [--out dir]
 */
import Database from 'better-sqlite3';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteEventStore } from '@carepath/event-store';
import { GEN_CHC, generateJourney, institutionStreams } from '../test/support/journey-generator';
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
import { devKeyFileFor, freePort, loadOrCreateDevKey, signDevToken } from '@carepath/runtime';

const args = benchArgs();
const JOURNEYS = Number(args.get('journeys') ?? 3000);
const RATE = Number(args.get('rate') ?? 200);
const SECONDS = Number(args.get('seconds') ?? 15);
const WARMUP = Number(args.get('warmup') ?? 3);
const OUT = args.get('out') ?? 'bench/results';
const HOST = '127.0.0.1';
const ROOT = resolve(__dirname, '..');
const GOAL = 2;

const CHC = GEN_CHC.institutionId;
const FOLDER = mkdtempSync(join(tmpdir(), 'carepath-bench-isolation-'));
// The API trusts the development issuer whose key it finds beside its database file (issue 17): made here first.
const DEV_KEY = loadOrCreateDevKey(devKeyFileFor(join(FOLDER, 'carepath.db')));
const bearer = (sub: string, role: string) =>
  `Bearer ${signDevToken(DEV_KEY, { sub, role, institutionId: CHC, ttlSeconds: 86_400 })}`;
const HEADERS = {
  'content-type': 'application/json',
  authorization: bearer('doctor-bench', 'doctor'),
};
/** Reads: a coordinator of the journeys' institution (analytics, journeys); the chain walk is an auditor's. */
const READER = { authorization: bearer('coordinator-bench', 'coordinator') };
const AUDITOR = { authorization: bearer('auditor-bench', 'auditor') };
const OCCURRED_AT = new Date(Date.now() - 3_600_000).toISOString();
const RUN = Date.now().toString(36);
let sequence = 0;
const journeyBody = (): string =>
  JSON.stringify({
    patientId: `pt-${RUN}-${(sequence++).toString(36)}`,
    residenceRegion: GEN_CHC.regionCode,
    institutionId: CHC,
    visitType: 'outpatient',
    diagnosisCode: 'I21.4',
    occurredAt: OCCURRED_AT,
  });

const children = new Set<ChildProcess>();
cleanUpOnExit(children, FOLDER);

/** The log an older, busier CarePath would hold: generated journeys written straight into the file. */
async function seed(file: string): Promise<{ events: number; asOf: string; journeyIds: string[] }> {
  const store = SqliteEventStore.open({ filename: file });
  for (const { streamId, events } of institutionStreams())
    await store.append(streamId, events, { expectedRevision: 'no-stream' });
  const journeyIds: string[] = [];
  for (let i = 0; i < JOURNEYS; i++) {
    const { streamId, events } = generateJourney(i, 11);
    journeyIds.push(streamId.replace('journey-', ''));
    await store.append(streamId, events, { expectedRevision: 'no-stream' });
  }
  const events = Number(await store.headPosition());
  await store.close();
  // asOf half-way through the log: a replay reads about half of it.
  const db = new Database(file, { readonly: true });
  const row = db.prepare('SELECT metadata FROM events WHERE position = ?').get(Math.floor(events / 2)) as {
    metadata: string;
  };
  db.close();
  return { events, asOf: (JSON.parse(row.metadata) as { recordedAt: string }).recordedAt, journeyIds };
}

async function getJson(
  port: number,
  path: string,
  timeoutMs = 5000,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://${HOST}:${port}${path}`, {
    // Journey reads are logged with their reason.
    headers: {
      ...(path.startsWith('/audit') || path.startsWith('/projections') ? AUDITOR : READER),
      'x-access-reason': 'audit',
    },
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function waitReady(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the API exited:\n${stderr()}`);
    const ok = await getJson(port, '/health').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`the API did not answer /health:\n${stderr()}`);
}

/** Until every projection has taken in the whole log (its head read from the file): phases start alike. */
async function settle(port: number, file: string): Promise<void> {
  const db = new Database(file, { readonly: true });
  const head = () =>
    String((db.prepare('SELECT max(position) AS head FROM events').get() as { head: number }).head);
  try {
    await settleTo(port, head);
  } finally {
    db.close();
  }
}

async function settleTo(port: number, head: () => string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const { body } = await getJson(port, '/projections');
    const projections = ((body as { projections?: unknown } | null)?.projections ?? []) as {
      position: string;
      headPosition: string;
      state: string;
    }[];
    if (projections.some((p) => p.state === 'failed')) throw new Error('a projection failed');
    const at = head();
    if (projections.length > 0 && projections.every((p) => p.state === 'live' && p.position === at)) return;
    await sleep(250);
  }
  throw new Error('the projections did not catch up');
}

interface Writes {
  readonly rate: number;
  readonly seconds: number;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly statusCodes: Record<string, number>;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * POST /journeys at an even offered rate (open loop): request i is due at start + i/rate whether or not earlier ones
 * have answered, and its latency runs from that due time, so a stalled loop shows in the figures.
 */
async function pacedWrites(port: number, rate: number, seconds: number): Promise<Writes> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  const { sent } = await openLoop(rate, total, (due, settled) =>
    postOnce({
      agent,
      host: HOST,
      port,
      path: '/journeys',
      body: journeyBody(),
      headers: HEADERS,
      timeoutMs: 60_000,
      answer: (res) => res.resume(),
      closed: (res) => {
        const status = res.statusCode ?? 0;
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        if (status === 201) {
          ok++;
          latencies.push(now() - due);
        } else failed++;
        settled();
      },
      failed: () => {
        failed++;
        statusCodes.error = (statusCodes.error ?? 0) + 1;
        settled();
      },
    }),
  );
  agent.destroy();
  const { p50, p99, max } = latencySummary(latencies);
  return {
    rate,
    seconds,
    sent,
    ok,
    failed,
    statusCodes,
    p50,
    p99,
    max,
  };
}

interface HeavyLoop {
  readonly name: string;
  readonly requests: number;
  readonly statusCodes: Record<string, number>;
  /** Mean time per request, in ms. */
  readonly meanMs: number;
}

/** One request at a time, back to back, cycling through `paths`, until `stop` says so. */
function heavyLoop(
  port: number,
  name: string,
  paths: readonly string[],
  stop: () => boolean,
): Promise<HeavyLoop> {
  return (async () => {
    const statusCodes: Record<string, number> = {};
    let requests = 0;
    let time = 0;
    while (!stop()) {
      const path = paths[requests % paths.length]!;
      const started = now();
      const status = await getJson(port, path, 180_000).then(
        (r) => String(r.status),
        () => 'error',
      );
      time += now() - started;
      requests++;
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
    }
    return { name, requests, statusCodes, meanMs: Math.round(requests > 0 ? time / requests : 0) };
  })();
}

async function main(): Promise<void> {
  const file = join(FOLDER, 'carepath.db');
  log(`seeding ${fmt(JOURNEYS)} generated journeys`);
  const seeded = await seed(file);
  log(`  ${fmt(seeded.events)} events; asOf replays at ${seeded.asOf}`);
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST,
    DATABASE_FILE: file,
    READ_MODEL_DIR: join(FOLDER, 'read-models'),
    TS_NODE_BASEURL: 'dist',
    // One actor writes at 200/s and loops reads: the bench measures isolation, not the rate limits.
    RATE_LIMIT_REQUESTS: '10000000',
  };
  const child = spawn(process.execPath, apiNodeArgs(ROOT), {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (tail = (tail + chunk).slice(-8192)));
  await waitReady(port, child, () => tail);
  const settling = now();
  await settle(port, file);
  log(`  API ready, projections built from the seeded log in ${fmt(now() - settling)} ms`);

  const warmup = await pacedWrites(port, RATE, WARMUP);
  log(`  warmup: p50 ${warmup.p50} ms, p99 ${warmup.p99} ms`);
  await settle(port, file);
  const alone = await pacedWrites(port, RATE, SECONDS);
  log(`  writes alone: p50 ${alone.p50} ms, p99 ${alone.p99} ms, failed ${alone.failed}`);
  await settle(port, file);

  const asOf = encodeURIComponent(seeded.asOf);
  let stopped = false;
  const stop = () => stopped;
  const journeys = seeded.journeyIds.filter((_, i) => i % Math.ceil(JOURNEYS / 50) === 0);
  const loops = Promise.all([
    heavyLoop(port, 'verify', ['/audit/verify'], stop),
    heavyLoop(
      port,
      'analytics',
      [
        '/analytics/referrals?period=2026&groupBy=direction,setting',
        '/analytics/local-treatment?period=2026&groupBy=region',
        '/analytics/ward-occupancy?period=2026',
      ],
      stop,
    ),
    heavyLoop(
      port,
      'asOf',
      [
        `/analytics/referrals?period=2026&asOf=${asOf}`,
        ...journeys.map((id) => `/journeys/${id}?asOf=${asOf}`),
      ],
      stop,
    ),
  ]);
  // The loops get going before the writes are measured.
  await sleep(1000);
  const loaded = await pacedWrites(port, RATE, SECONDS);
  stopped = true;
  const heavy = await loops;
  log(`  writes loaded: p50 ${loaded.p50} ms, p99 ${loaded.p99} ms, failed ${loaded.failed}`);
  for (const l of heavy)
    log(`  ${l.name} loop: ${l.requests} requests ${JSON.stringify(l.statusCodes)}, mean ${l.meanMs} ms`);
  child.kill('SIGTERM');

  const p99Ratio = ratio(loaded.p99, alone.p99);
  const p50Ratio = ratio(loaded.p50, alone.p50);
  const met = p99Ratio <= GOAL ? 'met' : '**not met**';
  const codes = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([k, v]) => `${k}: ${fmt(v)}`)
      .join(', ');
  const table = [
    `| measure (\`POST /journeys\`, ${RATE}/s evenly paced, open loop, ${SECONDS} s; log of ${fmt(seeded.events)} events) | writes alone | writes beside the heavy loops | ratio |`,
    '|---|---|---|---|',
    `| write p50 | ${alone.p50} ms | ${loaded.p50} ms | ${p50Ratio} |`,
    `| write p99 | ${alone.p99} ms | ${loaded.p99} ms | **${p99Ratio}** (goal ≤ ${GOAL}: ${met}) |`,
    `| write max | ${alone.max} ms | ${loaded.max} ms | |`,
    `| write answers | ${codes(alone.statusCodes)} | ${codes(loaded.statusCodes)} | |`,
    ...heavy.map(
      (l) =>
        `| ${l.name} loop (one request at a time) | | ${fmt(l.requests)} requests (${codes(l.statusCodes)}), mean ${fmt(l.meanMs)} ms | |`,
    ),
  ].join('\n');
  const note =
    'The API runs from dist with its defaults (heavy-work pool of cores - 1 threads, budgets, queue limit); load ' +
    'generator, API and its threads share the same cores. 503s in a heavy loop are budgets or a full queue doing ' +
    'their job; a write answered other than 201 is a failure.';
  saveResult(
    'isolation',
    {
      seededEvents: seeded.events,
      rate: RATE,
      seconds: SECONDS,
      alone,
      loaded,
      loops: heavy,
      p99Ratio,
      p50Ratio,
      goal: GOAL,
    },
    `${table}\n\n${note}`,
    OUT,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(String(error instanceof Error ? error.stack : error));
    process.exit(1);
  },
);
