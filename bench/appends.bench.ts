/*
 * Durable appends on the embedded store, as ratios to raw better-sqlite3 inserts of the same rows with the same
 * durability (WAL, synchronous=FULL, one transaction per write) measured in the same run (brief, rule 6).
 * Usage: npm run bench:appends -- [--count 2000] [--concurrency 64]
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type EventToAppend, SqliteEventStore } from '@carepath/event-store';
import { generateJourney } from '../test/support/journey-generator';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const COUNT = Number(args.get('count') ?? 2000);
const CONCURRENCY = Number(args.get('concurrency') ?? 64);
const OUT = args.get('out') ?? 'bench/results';
const now = () => Number(process.hrtime.bigint()) / 1e6;

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
    const r = (n: number) => Math.round(n).toLocaleString('en');
    const result = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      },
      count: COUNT,
      rawDurableInsertsPerSecond: Math.round(rawRate),
      singleAppendsPerSecond: Math.round(single.rate),
      singleRatioToRaw: Math.round((single.rate / rawRate) * 1000) / 1000,
      concurrentAppendsPerSecond: Math.round(concurrent.rate),
      concurrency: CONCURRENCY,
      concurrentRatioToRaw: Math.round((concurrent.rate / rawRate) * 1000) / 1000,
      appendsPerCommit: Math.round((COUNT / concurrent.commits) * 10) / 10,
    };
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'appends.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`| measure | value | baseline (same run) | ratio |
|---|---|---|---|
| durable single-event appends, one at a time (${COUNT}) | ${r(single.rate)} /s | raw better-sqlite3 insert, one transaction each, WAL + synchronous=FULL: ${r(rawRate)} /s | ${result.singleRatioToRaw} |
| durable appends, ${CONCURRENCY} in flight (group commit: ${result.appendsPerCommit} appends per commit) | ${r(concurrent.rate)} /s | same raw baseline | ${result.concurrentRatioToRaw} |

${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGb} GB, Node ${result.machine.node}, ${result.date}`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
