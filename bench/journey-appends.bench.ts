/*
 * Whole-journey appends on the embedded store (every event of a journey in one append, expected revision
 * 'no-stream'), as ratios to raw better-sqlite3 inserts of the same rows with the same durability (WAL,
 * synchronous=FULL, one BEGIN IMMEDIATE transaction per journey) measured in the same run; and what an event costs
 * on disk against the raw file and against the JSON it carries.
 * Usage: npm run bench:journeys -- [--journeys 2000] [--concurrency 64] [--out bench/results]
 */
import { join } from 'node:path';
import { SqliteEventStore } from '@carepath/event-store';
import { benchArgs, fmt, log, ratio, saveResult } from './bench-support';
import {
  appendJourneys,
  countEvents,
  fileBytes,
  generateJourneys,
  type Journey,
  jsonBytesPerEvent,
  markdownTable,
  openRawLog,
  rawJourneyWriter,
  runInTempFolder,
  timed,
} from './journey-bench-support';

const args = benchArgs();
const JOURNEYS = Number(args.get('journeys') ?? 2000);
const CONCURRENCY = Number(args.get('concurrency') ?? 64);
const OUT = args.get('out') ?? 'bench/results';

async function carepath(
  file: string,
  journeys: readonly Journey[],
  concurrency: number,
): Promise<{ ms: number; commits: number }> {
  const store = SqliteEventStore.open({ filename: file });
  try {
    const ms = await timed(() => appendJourneys(store, journeys, concurrency));
    return { ms, commits: store.stats().commits };
  } finally {
    await store.close();
  }
}

runInTempFolder('journeys', async (folder) => {
  const journeys = generateJourneys(JOURNEYS, 7);
  const events = countEvents(journeys);
  log(`${JOURNEYS} journeys, ${events} events`);

  const rawFile = join(folder, 'raw.db');
  const db = openRawLog(rawFile);
  const write = rawJourneyWriter(db);
  const rawMs = await timed(() => journeys.forEach(write));
  db.close();
  const singleFile = join(folder, 'single.db');
  const single = await carepath(singleFile, journeys, 1);
  const concurrent = await carepath(join(folder, 'concurrent.db'), journeys, CONCURRENCY);

  const perSecond = (ms: number) => ({
    journeys: Math.round((JOURNEYS / ms) * 1000),
    events: Math.round((events / ms) * 1000),
  });
  const raw = perSecond(rawMs);
  const one = perSecond(single.ms);
  const many = perSecond(concurrent.ms);
  const bytes = {
    carepath: Math.round(fileBytes(singleFile) / events),
    raw: Math.round(fileBytes(rawFile) / events),
    json: Math.round(jsonBytesPerEvent(journeys)),
  };
  const result = {
    journeys: JOURNEYS,
    events,
    raw: { journeysPerSecond: raw.journeys, eventsPerSecond: raw.events },
    single: {
      journeysPerSecond: one.journeys,
      eventsPerSecond: one.events,
      ratioToRaw: ratio(one.journeys, raw.journeys),
    },
    concurrent: {
      concurrency: CONCURRENCY,
      journeysPerSecond: many.journeys,
      eventsPerSecond: many.events,
      ratioToRaw: ratio(many.journeys, raw.journeys),
      appendsPerCommit: Math.round((JOURNEYS / concurrent.commits) * 10) / 10,
    },
    bytesPerEvent: {
      ...bytes,
      ratioToRaw: ratio(bytes.carepath, bytes.raw),
      ratioToJson: ratio(bytes.carepath, bytes.json),
    },
  };
  const rate = (r: typeof raw) => `${fmt(r.journeys)} journeys/s (${fmt(r.events)} events/s)`;
  saveResult(
    'journey-appends',
    result,
    markdownTable([
      [
        `durable whole-journey appends, one at a time (${fmt(JOURNEYS)} journeys, ${fmt(events)} events)`,
        rate(one),
        `raw better-sqlite3 inserts, one BEGIN IMMEDIATE transaction per journey, WAL + synchronous=FULL: ${rate(raw)}`,
        result.single.ratioToRaw,
      ],
      [
        `durable whole-journey appends, ${CONCURRENCY} in flight (group commit: ${result.concurrent.appendsPerCommit} appends per commit)`,
        rate(many),
        'same raw baseline',
        result.concurrent.ratioToRaw,
      ],
      [
        'bytes per event on disk (WAL checkpointed), CarePath (with its two SHA-256 links)',
        `${bytes.carepath} B`,
        `raw file (same rows without the hash chain): ${bytes.raw} B`,
        result.bytesPerEvent.ratioToRaw,
      ],
      ['', '', `JSON of data + metadata: ${bytes.json} B`, result.bytesPerEvent.ratioToJson],
    ]),
    OUT,
  );
});
