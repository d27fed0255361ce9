/*
 * Durable appends on the embedded store, as ratios to raw better-sqlite3 inserts of the same rows with the same
 * durability (WAL, synchronous=FULL, one transaction per write) measured in the same run (brief, rule 6).
 * Usage: npm run bench:appends -- [--count 4000] [--concurrency 64] [--rounds 8]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventToAppend, SqliteEventStore } from '@carepath/event-store';
import { generateJourney } from '../test/support/journey-generator';
import { benchArgs, fmt, now, ratio, saveResult } from './bench-support';
import { openRawLog } from './journey-bench-support';

const args = benchArgs();
const COUNT = Number(args.get('count') ?? 4000);
const CONCURRENCY = Number(args.get('concurrency') ?? 64);
const ROUNDS = Number(args.get('rounds') ?? 8);
const OUT = args.get('out') ?? 'bench/results';

/** Realistic single events: the events of generated journeys, each appended to its own stream. */
function events(count: number): { streamId: string; event: EventToAppend }[] {
  const out: { streamId: string; event: EventToAppend }[] = [];
  for (let j = 0; out.length < count; j++) {
    const { events: journey } = generateJourney(j, 11);
    for (const event of journey)
      if (out.length < count)
        out.push({ streamId: `journey-${randomUUID()}`, event: { ...event, id: randomUUID() } });
  }
  return out;
}

type Row = ReturnType<typeof events>[number];

/** Raw durable inserts into an open file: one BEGIN IMMEDIATE transaction per row. Returns the ms taken. */
function openRaw(file: string): { insert: (rows: readonly Row[]) => number; close: () => void } {
  const db = openRawLog(file);
  const insert = db.prepare(
    'INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata) VALUES (?, 0, ?, ?, 1, ?, ?)',
  );
  const one = db.transaction((r: Row) =>
    insert.run(
      r.streamId,
      r.event.id,
      r.event.type,
      JSON.stringify(r.event.data),
      JSON.stringify(r.event.metadata),
    ),
  );
  return {
    insert: (rows) => {
      const started = now();
      for (const r of rows) one.immediate(r);
      return now() - started;
    },
    close: () => db.close(),
  };
}

/** CarePath appends of `rows`, `concurrency` in flight. Returns the ms taken. */
async function appendAll(
  store: SqliteEventStore,
  rows: readonly Row[],
  concurrency: number,
): Promise<number> {
  const started = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < rows.length) {
        const r = rows[next++]!;
        await store.append(r.streamId, [r.event], { expectedRevision: 'no-stream' });
      }
    }),
  );
  return now() - started;
}

/**
 * Raw inserts and CarePath appends in alternating rounds on files kept open, the order switched every round:
 * fsync latency drifts over a run, and measuring one side first and the other later once put that drift into the
 * ratio.
 */
async function interleaved(
  folder: string,
  rows: readonly Row[],
  concurrency: number,
): Promise<{ rawRate: number; rate: number; commits: number }> {
  const raw = openRaw(join(folder, `raw-${concurrency}.db`));
  const store = SqliteEventStore.open({ filename: join(folder, `carepath-${concurrency}.db`) });
  const size = Math.ceil(rows.length / ROUNDS);
  let rawMs = 0;
  let carepathMs = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const chunk = rows.slice(round * size, (round + 1) * size);
      if (round % 2 === 0) {
        rawMs += raw.insert(chunk);
        carepathMs += await appendAll(store, chunk, concurrency);
      } else {
        carepathMs += await appendAll(store, chunk, concurrency);
        rawMs += raw.insert(chunk);
      }
    }
    return {
      rawRate: (rows.length / rawMs) * 1000,
      rate: (rows.length / carepathMs) * 1000,
      commits: store.stats().commits,
    };
  } finally {
    raw.close();
    await store.close();
  }
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'carepath-bench-appends-'));
  try {
    const rows = events(COUNT);
    const single = await interleaved(folder, rows, 1);
    const concurrent = await interleaved(folder, rows, CONCURRENCY);
    const result = {
      count: COUNT,
      rounds: ROUNDS,
      rawDurableInsertsPerSecond: Math.round(single.rawRate),
      singleAppendsPerSecond: Math.round(single.rate),
      singleRatioToRaw: ratio(single.rate, single.rawRate),
      rawDurableInsertsPerSecondBesideConcurrent: Math.round(concurrent.rawRate),
      concurrentAppendsPerSecond: Math.round(concurrent.rate),
      concurrency: CONCURRENCY,
      concurrentRatioToRaw: ratio(concurrent.rate, concurrent.rawRate),
      appendsPerCommit: Math.round((COUNT / concurrent.commits) * 10) / 10,
    };
    saveResult(
      'appends',
      result,
      `| measure | value | baseline (same run) | ratio |
|---|---|---|---|
| durable single-event appends, one at a time (${COUNT}, in ${ROUNDS} rounds alternating with the baseline) | ${fmt(single.rate)} /s | raw better-sqlite3 insert, one transaction each, WAL + synchronous=FULL: ${fmt(single.rawRate)} /s | ${result.singleRatioToRaw} |
| durable appends, ${CONCURRENCY} in flight (group commit: ${result.appendsPerCommit} appends per commit) | ${fmt(concurrent.rate)} /s | the same raw inserts, alternating with these rounds: ${fmt(concurrent.rawRate)} /s | ${result.concurrentRatioToRaw} |`,
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
