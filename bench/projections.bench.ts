/*
 * Projection speed, as ratios to a raw baseline measured in the same run (brief, rule 6):
 *  - rebuild of the three analytics projections from N events vs raw better-sqlite3 read + JSON.parse of the same rows;
 *  - live lag (append acknowledged → every projection caught up) at a fixed append rate.
 * Usage: npm run bench:projections -- [--events 1000000] [--rate 1000] [--seconds 10] [--rounds 3] [--page-size n]
 *   [--commit-every n] [--out bench/results]; `--phase rebuild --file <carepath.db>` rebuilds from an existing log
 *   (e.g. a simulated one). `--order recording` writes the log in recording order (every journey's events merged by
 *   recordedAt, as a year of care records them) instead of journey after journey: many journeys are open at once, which
 *   is what a rebuild's memory depends on; `--stretch <k>` spaces each journey's events k times further apart in that
 *   order (not in their care times), so about k times as many are open at once; `--phase fill --file <carepath.db>`
 *   writes such a log and stops; `--phase open --file <carepath.db>` counts the most journeys any log holds open at once.
 * The speed of this machine drifts by a third within minutes, so the baseline, the ceiling and the rebuilds run one
 * after the other in each of several rounds, and each figure is the median of its rounds (the peak RSS: the highest).
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  evolveJourney,
  initialJourneyState,
  type JourneyEvent,
  type JourneyState,
  type RecordedDomainEvent,
} from '@carepath/domain';
import { type EventToAppend, SqliteEventStore, type StoredEvent } from '@carepath/event-store';
import {
  BATCH_RUNNER_OPTIONS,
  localTreatmentProjection,
  ProjectionRunner,
  ReadModelFiles,
  referralVolumeProjection,
  wardOccupancyProjection,
  worklistProjection,
} from '@carepath/projections';
import { generateJourney, institutionStreams } from '../test/support/journey-generator';
import { benchArgs, fmt, log, now, quantile, ratio, saveResult } from './bench-support';

const args = benchArgs();
const TARGET_EVENTS = Number(args.get('events') ?? 1_000_000);
const RATE = Number(args.get('rate') ?? 1000);
const LIVE_SECONDS = Number(args.get('seconds') ?? 10);
const ROUNDS = Number(args.get('rounds') ?? 3);
const OUT = args.get('out') ?? 'bench/results';
const ORDER = args.get('order') ?? 'journey';
if (ORDER !== 'journey' && ORDER !== 'recording')
  throw new RangeError('--order must be journey or recording');
const STRETCH = Number(args.get('stretch') ?? 1);
if (!(STRETCH >= 1)) throw new RangeError('--stretch must be a number >= 1');
// The rebuild runs as the projector and the rebuild commands do (BATCH_RUNNER_OPTIONS), unless told otherwise.
const SIZES = (['page-size', 'commit-every'] as const).flatMap((flag) => {
  const value = args.get(flag);
  return value === undefined ? [] : [`--${flag}`, value];
});
const ANALYTICS = [wardOccupancyProjection, referralVolumeProjection, localTreatmentProjection];

async function fill(
  store: SqliteEventStore,
  target: number,
  seed: number,
): Promise<{ events: number; journeys: number; openAtOnce?: number }> {
  for (const { streamId, events } of institutionStreams())
    await store.append(streamId, events, { expectedRevision: 'any' });
  if (ORDER === 'recording') return fillInRecordingOrder(store, target, seed);
  let events = 0;
  let journeys = 0;
  while (events < target) {
    const batch = [];
    for (let i = 0; i < 500 && events < target; i++) {
      const j = generateJourney(journeys++, seed);
      events += j.events.length;
      batch.push(store.append(j.streamId, j.events, { expectedRevision: 'no-stream' }));
    }
    await Promise.all(batch);
    if (journeys % 10_000 < 500) log(`  generated ${events} events`);
  }
  return { events, journeys };
}

/**
 * The generated journeys' events merged by recordedAt (journeys start over 300 days and run for days to weeks), each
 * appended alone in that order: many appends in flight share the store's commits, and each stream's next event waits
 * for its previous one, so the log's order is the recording order up to the few appends in flight.
 */
async function fillInRecordingOrder(
  store: SqliteEventStore,
  target: number,
  seed: number,
): Promise<{ events: number; journeys: number; openAtOnce: number }> {
  const queue: { streamId: string; event: EventToAppend; revision: number; at: number }[] = [];
  let journeys = 0;
  while (queue.length < target) {
    const j = generateJourney(journeys++, seed);
    const start = Date.parse(String(j.events[0]!.metadata.recordedAt));
    j.events.forEach((event, revision) =>
      queue.push({
        streamId: j.streamId,
        event,
        revision,
        at: start + (Date.parse(String(event.metadata.recordedAt)) - start) * STRETCH,
      }),
    );
  }
  // Stable: a journey's events recorded in the same instant keep their order.
  queue.sort((a, b) => a.at - b.at);
  log(`  ${queue.length} events of ${journeys} journeys sorted by recordedAt`);
  const tails = new Map<string, Promise<unknown>>();
  const inFlight = new Set<Promise<unknown>>();
  for (let n = 0; n < queue.length; n++) {
    const { streamId, event, revision } = queue[n]!;
    const appended = (tails.get(streamId) ?? Promise.resolve()).then(() =>
      store.append(streamId, [event], {
        expectedRevision: revision === 0 ? 'no-stream' : BigInt(revision - 1),
      }),
    );
    tails.set(streamId, appended);
    inFlight.add(appended);
    void appended.finally(() => inFlight.delete(appended));
    if (inFlight.size >= 256) await Promise.race(inFlight);
    if (n % 200_000 === 0) log(`  appended ${n} events`);
  }
  await Promise.all(inFlight);
  return { events: queue.length, journeys, openAtOnce: mostOpenAtOnce(queue) };
}

/** The most journeys open at one point of the log: begun (first event appended) and not yet at their last event. */
function mostOpenAtOnce(queue: readonly { streamId: string }[]): number {
  const last = new Map<string, number>();
  queue.forEach(({ streamId }, n) => last.set(streamId, n));
  let open = 0;
  let most = 0;
  const seen = new Set<string>();
  queue.forEach(({ streamId }, n) => {
    if (!seen.has(streamId)) {
      seen.add(streamId);
      most = Math.max(most, ++open);
    }
    if (last.get(streamId) === n) open--;
  });
  return most;
}

/** How many journeys a log holds open at once at most, in its positions' order (`--phase open --file <db>`). */
function openJourneysOf(file: string): { journeys: number; openAtOnce: number } {
  const db = new Database(file, { readonly: true });
  const streams = (
    db
      .prepare("SELECT stream_id FROM events WHERE stream_id LIKE 'journey-%' ORDER BY position")
      .pluck()
      .all() as string[]
  ).map((streamId) => ({ streamId }));
  db.close();
  return { journeys: new Set(streams.map((s) => s.streamId)).size, openAtOnce: mostOpenAtOnce(streams) };
}

function rawReadParse(file: string): { events: number; ms: number } {
  const db = new Database(file, { readonly: true });
  const started = now();
  let events = 0;
  let checksum = 0;
  for (const row of db.prepare('SELECT * FROM events ORDER BY position').iterate() as IterableIterator<{
    data: string;
    metadata: string;
    type: string;
  }>) {
    const data = JSON.parse(row.data) as Record<string, unknown>;
    const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    checksum += Object.keys(data).length + Object.keys(metadata).length + row.type.length;
    events++;
  }
  const ms = now() - started;
  db.close();
  if (checksum === 0) throw new Error('nothing read');
  return { events, ms };
}

/**
 * A ceiling for one thread reading with the domain's fold: the log read as a rebuild worker reads it (the store's
 * filtered pages, decoded), each page's events grouped per journey and folded with `evolveJourney`, and no row
 * derived or written. A rebuild with one worker does this and more in that worker (it derives rows too), so cannot
 * pass it; only several workers, each reading a share of the journeys, can.
 */
async function readAndFold(file: string): Promise<{ events: number; ms: number; journeys: number }> {
  const store = SqliteEventStore.open({ filename: file });
  const started = now();
  let events = 0;
  let journeys = 0;
  const states = new Map<string, JourneyState>();
  // Read as a rebuild worker reads (one-off pages of the rebuild's size), one page after the other.
  let after = 0n;
  for (;;) {
    const page = await store.readAll({
      after,
      maxCount: BATCH_RUNNER_OPTIONS.pageSize,
      filter: { streamPrefixes: ['journey-', 'institution-'] },
    });
    events += page.events.length;
    const byJourney = new Map<string, StoredEvent[]>();
    for (const event of page.events) {
      if (!event.streamId.startsWith('journey-')) continue;
      const list = byJourney.get(event.streamId);
      if (list) list.push(event);
      else byJourney.set(event.streamId, [event]);
    }
    for (const [streamId, list] of byJourney) {
      let state = states.get(streamId) ?? initialJourneyState();
      for (const event of list)
        state = evolveJourney(state, event as unknown as RecordedDomainEvent<JourneyEvent>);
      // Like the projections, keep only journeys still open: a closed one is done with.
      if (state.status === 'closed') {
        states.delete(streamId);
        journeys++;
      } else states.set(streamId, state);
    }
    after = page.lastPosition;
    if (page.isEnd) break;
  }
  const ms = now() - started;
  await store.close();
  return { events, ms, journeys: journeys + states.size };
}

/**
 * The rebuild as an operator runs it: the projector's own `rebuild` command, compiled, in its own process, so the
 * rate and the peak RSS (which the command reads from getrusage, not from samples) are the product's, with no
 * benchmark code or TypeScript compiler in the heap.
 */
function rebuild(
  file: string,
  folder: string,
  workers?: number,
): { ms: number; events: number; rssPeakMb: number } {
  rmSync(folder, { recursive: true, force: true });
  const out = execFileSync(
    process.execPath,
    [
      // The heap limits `npm run projections` runs the command with (package.json).
      '--max-old-space-size=192',
      '--max-semi-space-size=4',
      '-r',
      'tsconfig-paths/register',
      'dist/apps/projector/src/cli.js',
      'rebuild',
      ...ANALYTICS.map((d) => d.name),
      ...SIZES,
      ...(workers === undefined ? [] : ['--workers', String(workers)]),
    ],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: {
        ...process.env,
        TS_NODE_BASEURL: 'dist',
        DATABASE_FILE: file,
        READ_MODEL_DIR: folder,
        LOG_FORMAT: 'text',
      },
    },
  );
  const summary = /rebuilt in ([\d.]+) s: (\d+) events, \d+ events\/s, peak RSS (\d+) MB/.exec(out);
  if (!summary) throw new Error(`unexpected output of the rebuild command:\n${out}`);
  return { ms: Number(summary[1]) * 1000, events: Number(summary[2]), rssPeakMb: Number(summary[3]) };
}

async function liveLag(
  store: SqliteEventStore,
  folder: string,
  seed: number,
): Promise<{ appends: number; p50: number; p99: number; max: number; achievedRate: number }> {
  const files = new ReadModelFiles(folder);
  const runners = [...ANALYTICS, worklistProjection].map(
    (d) => new ProjectionRunner(store, d, files, { pageSize: 2000 }),
  );
  const head = await store.headPosition();
  for (const r of runners) await r.start();
  await Promise.all(runners.map((r) => r.waitFor(head)));
  const lags: number[] = [];
  const pending: Promise<void>[] = [];
  const journeys = Array.from({ length: Math.ceil((RATE * LIVE_SECONDS) / 5) + 10 }, (_, i) =>
    generateJourney(i, seed),
  );
  const queue = journeys.flatMap((j) =>
    j.events.map((e, i) => ({ streamId: j.streamId, event: e, revision: i })),
  );
  const total = RATE * LIVE_SECONDS;
  const started = now();
  for (let n = 0; n < total && n < queue.length; n++) {
    // Open-loop schedule: the n-th append is due at n / RATE seconds, whatever the previous ones did.
    const due = started + (n * 1000) / RATE;
    while (now() < due) await new Promise<void>((resolve) => setImmediate(resolve));
    const { streamId, event, revision } = queue[n]!;
    pending.push(
      store
        .append(streamId, [event], { expectedRevision: revision === 0 ? 'no-stream' : BigInt(revision - 1) })
        .then(async (result) => {
          const appended = now();
          await Promise.all(runners.map((r) => r.waitFor(result.position)));
          lags.push(now() - appended);
        }),
    );
  }
  await Promise.all(pending);
  const elapsed = (now() - started) / 1000;
  for (const r of runners) await r.stop();
  files.close();
  lags.sort((a, b) => a - b);
  const q = (p: number) => Math.round(quantile(lags, p) * 100) / 100;
  return {
    appends: lags.length,
    p50: q(0.5),
    p99: q(0.99),
    max: q(1),
    achievedRate: Math.round(lags.length / elapsed),
  };
}

/** Each phase runs in its own process, so one phase's heap (and RSS) never skews another's figure. */
function phase(name: string, file: string, extra: string[] = []): unknown {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, __filename, ...process.argv.slice(2), '--phase', name, '--file', file, ...extra],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
      maxBuffer: 64 * 2 ** 20,
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

async function runPhase(name: string, file: string): Promise<unknown> {
  switch (name) {
    case 'fill': {
      const store = SqliteEventStore.open({ filename: file });
      const filled = await fill(store, TARGET_EVENTS, 1);
      await store.close();
      return filled;
    }
    case 'raw':
      return rawReadParse(file);
    case 'open':
      return openJourneysOf(file);
    case 'fold':
      return readAndFold(file);
    case 'rebuild':
      return rebuild(file, `${file}.rebuild`);
    case 'lag': {
      const store = SqliteEventStore.open({ filename: file });
      const result = await liveLag(store, `${file}.rebuild`, 2);
      await store.close();
      return result;
    }
    default:
      throw new Error(`unknown phase ${name}`);
  }
}

async function main(): Promise<void> {
  const only = args.get('phase');
  if (only) {
    console.log(JSON.stringify(await runPhase(only, args.get('file')!)));
    return;
  }
  const folder = mkdtempSync(join(tmpdir(), 'carepath-bench-'));
  try {
    const file = join(folder, 'events.db');
    log(`filling ${TARGET_EVENTS} events…`);
    const filled = phase('fill', file) as { events: number; journeys: number };
    const events = filled.events + institutionStreams().reduce((n, s) => n + s.events.length, 0);
    log(
      `log: ${events} events (${filled.journeys} journeys), ${(statSync(file).size / 2 ** 20).toFixed(0)} MB`,
    );
    const rounds: {
      raw: { events: number; ms: number };
      folded: { events: number; ms: number; journeys: number };
      one: { ms: number; rssPeakMb: number };
      two: { ms: number; rssPeakMb: number };
    }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      log(
        `round ${round} of ${ROUNDS}: raw read + parse; read + decode + fold; rebuild with 1 and 2 workers…`,
      );
      rounds.push({
        raw: phase('raw', file) as { events: number; ms: number },
        folded: phase('fold', file) as { events: number; ms: number; journeys: number },
        one: rebuild(file, `${file}.rebuild`, 1),
        two: rebuild(file, `${file}.rebuild`, 2),
      });
    }
    log(`live lag at ${RATE} appends/s for ${LIVE_SECONDS} s…`);
    const lag = phase('lag', file) as {
      appends: number;
      p50: number;
      p99: number;
      max: number;
      achievedRate: number;
    };
    const median = (values: number[]) =>
      quantile(
        [...values].sort((a, b) => a - b),
        0.5,
      );
    const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
    const rawRate = median(rounds.map((r) => rate(r.raw.events, r.raw.ms)));
    const foldRate = median(rounds.map((r) => rate(r.folded.events, r.folded.ms)));
    const rebuilt = (pick: (r: (typeof rounds)[number]) => { ms: number; rssPeakMb: number }) => {
      const eventsPerSecond = Math.round(median(rounds.map((r) => rate(events, pick(r).ms))));
      return {
        eventsPerSecond,
        ms: Math.round(median(rounds.map((r) => pick(r).ms))),
        ratioToRaw: ratio(eventsPerSecond, rawRate),
        rssPeakMb: Math.max(...rounds.map((r) => pick(r).rssPeakMb)),
        rounds: rounds.map((r) => rate(events, pick(r).ms)),
      };
    };
    const one = rebuilt((r) => r.one);
    const two = rebuilt((r) => r.two);
    const folded = rounds[0]!.folded;

    const result = {
      events,
      journeys: filled.journeys,
      bytesPerEvent: Math.round(statSync(file).size / events),
      rounds: ROUNDS,
      rawReadParse: { eventsPerSecond: rawRate, rounds: rounds.map((r) => rate(r.raw.events, r.raw.ms)) },
      readDecodeFold: {
        eventsPerSecond: foldRate,
        ratioToRaw: ratio(foldRate, rawRate),
        journeys: folded.journeys,
        rounds: rounds.map((r) => rate(r.folded.events, r.folded.ms)),
      },
      // As `npm run projections -- rebuild` runs by default: one worker.
      rebuildThreeAnalytics: one,
      rebuildTwoWorkers: two,
      liveLag: { targetRate: RATE, ...lag, unit: 'ms' },
    };
    saveResult(
      'projections',
      result,
      `Medians of ${ROUNDS} rounds; in each round the baseline, the ceiling and both rebuilds ran one after the other.

| measure | value | baseline (same rounds) | ratio |
|---|---|---|---|
| rebuild ward-occupancy + referral-volume + local-treatment, ${fmt(events)} events, 1 worker (the default) | ${fmt(one.eventsPerSecond)} events/s | raw read + JSON.parse: ${fmt(rawRate)} events/s | ${one.ratioToRaw} |
| the same rebuild with \`--workers 2\` | ${fmt(two.eventsPerSecond)} events/s | same raw read | ${two.ratioToRaw} |
| ceiling for one thread: the log read in the rebuild's pages, decoded, and every journey folded with evolveJourney; no row derived or written | ${fmt(foldRate)} events/s | same raw read | ${result.readDecodeFold.ratioToRaw} |
| peak RSS of the rebuilding process (highest of the rounds) | 1 worker: ${one.rssPeakMb} MB; 2 workers: ${two.rssPeakMb} MB | | |
| live lag (append acknowledged → all four projections caught up) at ${lag.achievedRate} appends/s | p50 ${lag.p50} ms, p99 ${lag.p99} ms, max ${lag.max} ms | | |`,
      OUT,
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
