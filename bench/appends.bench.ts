/*
 * Durable appends on the embedded store, as ratios to raw better-sqlite3 inserts of the same rows with the same
 * durability (WAL, synchronous=FULL, one transaction per write) measured in the same run (brief, rule 6).
 * Usage: npm run bench:appends -- [--count 2000] [--concurrency 64]
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventToAppend, SqliteEventStore } from '@carepath/event-store';
import { generateJourney } from '../test/support/journey-generator';
import { benchArgs, fmt, now, ratio, saveResult } from './bench-support';

const args = benchArgs();
const COUNT = Number(args.get('count') ?? 2000);
const CONCURRENCY = Number(args.get('concurrency') ?? 64);
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

function raw(file: string, rows: ReturnType<typeof events>): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, revision INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, schema_version INTEGER NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision)) STRICT`);
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, 0, ?, ?, 1, ?, ?)');
  const one = db.transaction((i: number, r: (typeof rows)[number]) =>
    insert.run(
      i + 1,
      r.streamId,
      r.event.id,
      r.event.type,
      JSON.stringify(r.event.data),
      JSON.stringify(r.event.metadata),
    ),
  );
  const started = now();
  rows.forEach((r, i) => one.immediate(i, r));
  const ms = now() - started;
  db.close();
  return (rows.length / ms) * 1000;
}

async function carepath(
  file: string,
  rows: ReturnType<typeof events>,
  concurrency: number,
): Promise<{ rate: number; commits: number }> {
  const store = SqliteEventStore.open({ filename: file });
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
  const ms = now() - started;
  const { commits } = store.stats();
  await store.close();
  return { rate: (rows.length / ms) * 1000, commits };
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'carepath-bench-appends-'));
  try {
    const rows = events(COUNT);
    const rawRate = raw(join(folder, 'raw.db'), rows);
    const single = await carepath(join(folder, 'single.db'), rows, 1);
    const concurrent = await carepath(join(folder, 'concurrent.db'), rows, CONCURRENCY);
    const result = {
      count: COUNT,
      rawDurableInsertsPerSecond: Math.round(rawRate),
      singleAppendsPerSecond: Math.round(single.rate),
      singleRatioToRaw: ratio(single.rate, rawRate),
      concurrentAppendsPerSecond: Math.round(concurrent.rate),
      concurrency: CONCURRENCY,
      concurrentRatioToRaw: ratio(concurrent.rate, rawRate),
      appendsPerCommit: Math.round((COUNT / concurrent.commits) * 10) / 10,
    };
    saveResult(
      'appends',
      result,
      `| measure | value | baseline (same run) | ratio |
|---|---|---|---|
| durable single-event appends, one at a time (${COUNT}) | ${fmt(single.rate)} /s | raw better-sqlite3 insert, one transaction each, WAL + synchronous=FULL: ${fmt(rawRate)} /s | ${result.singleRatioToRaw} |
| durable appends, ${CONCURRENCY} in flight (group commit: ${result.appendsPerCommit} appends per commit) | ${fmt(concurrent.rate)} /s | same raw baseline | ${result.concurrentRatioToRaw} |`,
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
