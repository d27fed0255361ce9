/*
 * Read latency, as ratios to raw better-sqlite3 reads of the same rows measured in the same run (brief, rule 6):
 *  (a) loading a journey as the API does (readStream, then the evolveJourney fold of JourneyReader.load) vs
 *      SELECT … WHERE stream_id = ? ORDER BY revision + JSON.parse of the same rows;
 *  (b) the read-model queries behind the analytics and worklist routes vs a plain SELECT * of the rows each reads;
 *  (c) the process's peak RSS through all of it.
 * A tenth of the journeys stop part-way (still in care), so worklists have open referrals and inpatients.
 * Usage: npm run bench:reads -- [--journeys 20000] [--loads 2000] [--runs 200] [--query-seconds 15]
 *        [--out bench/results]
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteEventStore } from '@carepath/event-store';
import {
  ALL_PROJECTIONS,
  journeyTimeline,
  parsePeriod,
  ProjectionRunner,
  queryLocalTreatmentByRegion,
  queryReferralVolume,
  queryWardOccupancy,
  queryWorklist,
  ReadModelFiles,
  sqliteReader,
  startOfLocalDay,
} from '@carepath/projections';
import { generateJourney, institutionStreams } from '../test/support/journey-generator';
import { benchArgs, fmt, log, now, ratio, saveResult } from './bench-support';
import {
  appendJourneys,
  foldJourney,
  type Journey,
  latency,
  type Latency,
  markdownTable,
  RssSampler,
  runInTempFolder,
  sampleLatencies,
  timed,
} from './journey-bench-support';

const args = benchArgs();
const JOURNEYS = Number(args.get('journeys') ?? 20_000);
const LOADS = Number(args.get('loads') ?? 2000);
const RUNS = Number(args.get('runs') ?? 200);
const QUERY_SECONDS = Number(args.get('query-seconds') ?? 15);
const OUT = args.get('out') ?? 'bench/results';
const TIME_ZONE = 'Asia/Shanghai';
const SEED = 5;

/** Journey `i`, cut short for every tenth one: a patient still waiting for a decision, in a bed or on leave. */
function journey(i: number): Journey {
  const j = generateJourney(i, SEED);
  if (i % 10 !== 3) return j;
  return { streamId: j.streamId, events: j.events.slice(0, 1 + ((i * 7) % (j.events.length - 1))) };
}

async function fill(store: SqliteEventStore): Promise<{ streamIds: string[]; events: number }> {
  for (const { streamId, events } of institutionStreams())
    await store.append(streamId, events, { expectedRevision: 'any' });
  const streamIds: string[] = [];
  let events = 0;
  for (let from = 0; from < JOURNEYS; from += 1000) {
    // Batches keep only a thousand journeys' events in memory at a time.
    const batch = Array.from({ length: Math.min(1000, JOURNEYS - from) }, (_, k) => journey(from + k));
    await appendJourneys(store, batch, 64);
    for (const j of batch) {
      streamIds.push(j.streamId);
      events += j.events.length;
    }
  }
  return { streamIds, events };
}

/** K stream ids drawn with a fixed LCG, so every run loads the same journeys. */
function pick(streamIds: readonly string[], count: number): string[] {
  let s = 12345;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return streamIds[s % streamIds.length]!;
  });
}

interface Compared {
  readonly value: Latency;
  readonly baseline: Latency;
  readonly rateRatio: number;
  readonly p50Ratio: number;
  readonly p99Ratio: number;
  /** Inputs timed on each side: all of them, or fewer when the time budget ran out. */
  readonly samples: number;
}

/**
 * Both sides over the same inputs, interleaved (alternating which goes first) so neither gets a warmer cache, a
 * quieter machine or a later GC; a fiftieth of the inputs first, untimed, for the JIT. Past `budgetMs` (and 20
 * inputs) the rest are left out, so a slow query cannot stretch the run past a couple of minutes.
 */
async function compare<T>(
  inputs: readonly T[],
  run: (input: T) => unknown,
  baseline: (input: T) => unknown,
  budgetMs = Infinity,
): Promise<Compared> {
  const warm = inputs.slice(0, Math.max(3, Math.ceil(inputs.length / 50)));
  await sampleLatencies(warm, baseline);
  await sampleLatencies(warm, run);
  const samples = { value: [] as number[], baseline: [] as number[] };
  const began = now();
  for (const [i, input] of inputs.entries()) {
    if (i >= 20 && now() - began > budgetMs) break;
    const order = i % 2 === 0 ? (['baseline', 'value'] as const) : (['value', 'baseline'] as const);
    for (const side of order) {
      const started = now();
      await (side === 'value' ? run : baseline)(input);
      samples[side].push(now() - started);
    }
  }
  const value = latency(samples.value);
  const base = latency(samples.baseline);
  return {
    value,
    baseline: base,
    rateRatio: ratio(value.perSecond, base.perSecond),
    p50Ratio: ratio(value.p50, base.p50),
    p99Ratio: ratio(value.p99, base.p99),
    samples: samples.value.length,
  };
}

const shown = (l: Latency, unit: string) => `p50 ${l.p50} ms, p99 ${l.p99} ms, ${fmt(l.perSecond)} ${unit}/s`;
const ratios = (c: Compared) => `${c.rateRatio} (latency p50 ×${c.p50Ratio}, p99 ×${c.p99Ratio})`;

runInTempFolder('reads', async (folder) => {
  const rss = new RssSampler();
  const file = join(folder, 'events.db');
  const store = SqliteEventStore.open({ filename: file });
  const files = new ReadModelFiles(join(folder, 'read-models'));
  const runners = ALL_PROJECTIONS.map((d) => new ProjectionRunner(store, d, files, { pageSize: 5000 }));
  const raw = new Database(file, { readonly: true });
  try {
    log(`filling ${JOURNEYS} journeys…`);
    const filled = await fill(store);
    log(`log: ${filled.events} events`);
    rss.endPhase('fill');

    log(`loading ${LOADS} journeys…`);
    const ids = pick(filled.streamIds, LOADS);
    const select = raw.prepare(
      'SELECT position, stream_id, revision, event_id, type, schema_version, data, metadata FROM events WHERE stream_id = ? ORDER BY revision',
    );
    const rawLoad = (streamId: string) => {
      let keys = 0;
      for (const row of select.all(streamId) as { data: string; metadata: string }[])
        keys +=
          Object.keys(JSON.parse(row.data) as object).length +
          Object.keys(JSON.parse(row.metadata) as object).length;
      if (keys === 0) throw new Error(`nothing read for ${streamId}`);
    };
    const load = async (streamId: string) => foldJourney(await store.readStream(streamId));
    const loads = await compare(ids, load, rawLoad);
    const readOnly = await compare(ids, (id) => store.readStream(id), rawLoad);
    const timelines = await compare(
      ids,
      async (id) => {
        const state = await load(id);
        if (state.status === 'not-opened') throw new Error(`${id} is not opened`);
        return journeyTimeline(state, '2027-01-01T00:00:00.000Z');
      },
      rawLoad,
    );
    rss.endPhase('loads');

    log('building the four read models…');
    const head = await store.headPosition();
    const buildMs = await timed(() =>
      Promise.all(
        runners.map(async (r) => {
          await r.start();
          await r.waitFor(head);
        }),
      ),
    );
    log(`built in ${Math.round(buildMs)} ms (${fmt((filled.events / buildMs) * 1000)} events/s)`);
    rss.endPhase('build');

    const reader = (name: string) => runners.find((r) => r.name === name)!.reader();
    const month = parsePeriod({ period: '2026-03' });
    const year = parsePeriod({ period: '2026' });
    const window = (p: typeof month) => [
      startOfLocalDay(p.from, TIME_ZONE),
      startOfLocalDay(p.to, TIME_ZONE),
    ];
    const [monthStart, monthEnd] = window(month);
    const [yearStart, yearEnd] = window(year);
    const occupancy = reader('ward-occupancy');
    const referrals = reader('referral-volume');
    const visits = reader('local-treatment');
    const worklists = reader('worklist');
    const rowsOf =
      (...statements: [Database.Statement, unknown[]][]) =>
      () =>
        statements.reduce((n, [s, params]) => n + s.all(...params).length, 0);
    const queries = [
      {
        name: 'ward occupancy, 2026-03 by ward (queryWardOccupancy)',
        run: () =>
          queryWardOccupancy(sqliteReader(occupancy), month, {}, 'ward', {
            timeZone: TIME_ZONE,
            heldBedRule: 'physical',
          }),
        baselineName: 'SELECT * of the segments and stays in the month',
        baseline: rowsOf(
          [
            occupancy.prepare('SELECT * FROM segments WHERE from_ms <= ? AND (to_ms IS NULL OR to_ms >= ?)'),
            [monthEnd, monthStart],
          ],
          [
            occupancy.prepare(
              'SELECT * FROM stays WHERE admitted_at < ? AND (discharged_at IS NULL OR discharged_at >= ?)',
            ),
            [monthEnd, monthStart],
          ],
        ),
      },
      {
        name: 'referral volume, 2026 by direction (queryReferralVolume)',
        run: () =>
          queryReferralVolume(sqliteReader(referrals), year, {}, ['direction'], {
            timeZone: TIME_ZONE,
            unit: year.unit ?? 'month',
          }),
        baselineName: 'SELECT * of the referrals requested in the year',
        baseline: rowsOf([
          referrals.prepare('SELECT * FROM referrals WHERE requested_at >= ? AND requested_at < ?'),
          [yearStart, yearEnd],
        ]),
      },
      {
        name: 'local treatment, 2026-03 in region 110105 (queryLocalTreatmentByRegion)',
        run: () => queryLocalTreatmentByRegion(sqliteReader(visits), month, '110105', TIME_ZONE),
        baselineName: 'SELECT * of the visits in the month',
        baseline: rowsOf([
          visits.prepare('SELECT * FROM visits WHERE occurred_at >= ? AND occurred_at < ?'),
          [monthStart, monthEnd],
        ]),
      },
      {
        name: 'worklist of HOSP-GEN-01 (queryWorklist)',
        run: () => queryWorklist(sqliteReader(worklists), 'HOSP-GEN-01', Date.parse('2027-01-01T00:00:00Z')),
        baselineName: "SELECT * of the institution's open referrals and current stays",
        baseline: rowsOf(
          [
            worklists.prepare(
              'SELECT * FROM open_referrals WHERE to_institution_id = ? OR from_institution_id = ?',
            ),
            ['HOSP-GEN-01', 'HOSP-GEN-01'],
          ],
          [worklists.prepare('SELECT * FROM current_stays WHERE institution_id = ?'), ['HOSP-GEN-01']],
        ),
      },
    ];
    const runs = Array.from({ length: RUNS }, (_, i) => i);
    const measured = [];
    for (const q of queries) {
      log(`${q.name}…`);
      measured.push({
        ...q,
        rows: q.baseline(),
        compared: await compare(runs, q.run, q.baseline, QUERY_SECONDS * 1000),
      });
    }
    rss.endPhase('queries');
    const memory = rss.stop();

    const result = {
      journeys: JOURNEYS,
      events: filled.events,
      loads: LOADS,
      journeyLoad: loads,
      readStreamOnly: readOnly,
      timeline: timelines,
      readModelBuildMs: Math.round(buildMs),
      queries: Object.fromEntries(measured.map((m) => [m.name, { rowsRead: m.rows, ...m.compared }])),
      rss: { ...memory, ratioToStart: ratio(memory.peakMb, memory.startMb) },
    };
    const rawLoadName = 'raw SELECT … WHERE stream_id = ? ORDER BY revision + JSON.parse';
    saveResult(
      'reads',
      result,
      markdownTable([
        [
          `journey load: readStream + evolveJourney fold, as JourneyReader.load (${fmt(LOADS)} random of ${fmt(JOURNEYS)} journeys, ${fmt(filled.events)} events)`,
          shown(loads.value, 'loads'),
          `${rawLoadName}: ${shown(loads.baseline, 'loads')}`,
          ratios(loads),
        ],
        [
          'journey readStream alone (no fold)',
          shown(readOnly.value, 'reads'),
          `same raw read: ${shown(readOnly.baseline, 'loads')}`,
          ratios(readOnly),
        ],
        [
          'journey timeline: load + journeyTimeline (GET /journeys/:id/timeline without HTTP)',
          shown(timelines.value, 'timelines'),
          `same raw read: ${shown(timelines.baseline, 'loads')}`,
          ratios(timelines),
        ],
        ...measured.map((m) => [
          `${m.name}, ${m.compared.samples} runs`,
          shown(m.compared.value, 'queries'),
          `${m.baselineName} (${fmt(m.rows)} rows): ${shown(m.compared.baseline, 'selects')}`,
          ratios(m.compared),
        ]),
        [
          `peak RSS of the process (fill ${memory.phases.fill} MB, loads ${memory.phases.loads} MB, read-model build ${memory.phases.build} MB, queries ${memory.phases.queries} MB)`,
          `${memory.peakMb} MB`,
          `RSS after start-up, modules loaded: ${memory.startMb} MB`,
          result.rss.ratioToStart,
        ],
      ]),
      OUT,
    );
  } finally {
    raw.close();
    for (const r of runners) await r.stop();
    files.close();
    await store.close();
  }
});
