/**
 * What a folded journey holds in memory: the figures behind FOLD_BASE_BYTES and FOLDED_EVENT_BYTES, the weights by
 * which the fold caches (FoldCache) keep their byte budgets. Generated journeys are written to a temporary embedded
 * log, read back as the write path and the projections read them, folded with the domain's evolve and held (the
 * heap after a full collection, less the heap before): once their first two events only, once whole.
 *
 * Run with `npm run bench:fold-weight` (node --expose-gc).
 */
import {
  evolveJourney,
  initialJourneyState,
  type JourneyEvent,
  type RecordedDomainEvent,
} from '@carepath/domain';
import { FOLD_BASE_BYTES, FOLDED_EVENT_BYTES, foldWeight, SqliteEventStore } from '@carepath/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateJourney } from '../test/support/journey-generator';
import { benchArgs, fmt, log, saveResult } from './bench-support';

const args = benchArgs();
const JOURNEYS = Number(args.get('journeys') ?? 20_000);

const collect = (): number => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:fold-weight)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** Heap held by the states folded from the first `take` events of each stream (all when undefined). */
async function heldBy(
  store: SqliteEventStore,
  streams: readonly string[],
  take?: number,
): Promise<{ bytes: number; events: number }> {
  const held: unknown[] = [];
  let events = 0;
  const before = collect();
  for (const streamId of streams) {
    let state = initialJourneyState();
    const stored = (await store.readStream(streamId)).slice(0, take);
    for (const event of stored)
      state = evolveJourney(state, event as unknown as RecordedDomainEvent<JourneyEvent>);
    events += stored.length;
    held.push(state);
  }
  const bytes = collect() - before;
  held.length = 0;
  return { bytes, events };
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'carepath-fold-weight-'));
  const store = SqliteEventStore.open({ filename: join(folder, 'events.db') });
  try {
    const streams: string[] = [];
    for (let i = 0; i < JOURNEYS; i++) {
      const { streamId, events } = generateJourney(i);
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
      streams.push(streamId);
    }
    // Read every stream once first, so the statement caches and the strings interned are not counted.
    for (const streamId of streams) await store.readStream(streamId);
    const short = await heldBy(store, streams, 2);
    const whole = await heldBy(store, streams);
    const n = streams.length;
    // Each measure is n × base + events × perEvent: two measures, two unknowns.
    const perEvent = (whole.bytes - short.bytes) / (whole.events - short.events);
    const base = (short.bytes - short.events * perEvent) / n;
    const covered = (m: { bytes: number; events: number }) =>
      n * foldWeight(0) + m.events * FOLDED_EVENT_BYTES >= m.bytes;
    log(`${fmt(n)} journeys: base ${fmt(Math.round(base))} bytes + ${fmt(Math.round(perEvent))} per event`);
    const row = (label: string, m: { bytes: number; events: number }) =>
      `| ${label} | ${fmt(m.events)} events, ${(m.events / n).toFixed(1)} per journey | ${(m.bytes / 1048576).toFixed(1)} MB (${fmt(Math.round(m.bytes / n))} bytes per journey) | ${((n * foldWeight(0) + m.events * FOLDED_EVENT_BYTES) / 1048576).toFixed(1)} MB: ${covered(m) ? 'covers it' : '**below it: raise the weights**'} |`;
    const table = [
      `| ${fmt(n)} generated journeys, folded and held | events folded | heap held | the fold caches' weight (${fmt(FOLD_BASE_BYTES)} + ${fmt(FOLDED_EVENT_BYTES)} per event) |`,
      '|---|---|---|---|',
      row('first two events of each', short),
      row('whole journeys', whole),
      `| fitted: fixed part + part per event | | ${fmt(Math.round(base))} + ${fmt(Math.round(perEvent))} bytes per event | ${fmt(FOLD_BASE_BYTES)} + ${fmt(FOLDED_EVENT_BYTES)} bytes per event |`,
    ].join('\n');
    saveResult(
      'fold-weight',
      {
        journeys: n,
        short,
        whole,
        base,
        perEvent,
        weight: { base: FOLD_BASE_BYTES, perEvent: FOLDED_EVENT_BYTES },
      },
      table,
    );
    process.stdout.write(`${table}\n`);
  } finally {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
