/**
 * What a folded journey holds in memory: the figures behind FOLD_BASE_BYTES and FOLDED_EVENT_BYTES, the weights by
 * which the fold caches (FoldCache) keep their byte budgets. Generated journeys are written to a temporary embedded
 * log, read back as the write path and the projections read them, folded with the domain's evolve and held (the
 * heap after a full collection, less the heap before): once their first two events only, once whole. Then journeys
 * shaped as bench:http's visit pool (an opening and visits, UUIDs for ids), which the weights must cover too.
 *
 * Run with `npm run bench:fold-weight` (node --expose-gc).
 */
import {
  evolveJourney,
  initialJourneyState,
  type JourneyCommand,
  type JourneyEvent,
  type RecordedDomainEvent,
} from '@carepath/domain';
import {
  type EventToAppend,
  FOLD_BASE_BYTES,
  FOLDED_EVENT_BYTES,
  foldWeight,
  SqliteEventStore,
  timeOrderedId,
} from '@carepath/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GEN_CHC, generateJourney, journeyRecorder } from '../test/support/journey-generator';
import { benchArgs, fmt, log, saveResult } from './bench-support';

const args = benchArgs();
const JOURNEYS = Number(args.get('journeys') ?? 20_000);
/** Visits after the opening one in each journey of the second shape (bench:http's visit pool ends near this). */
const VISITS = Number(args.get('visits') ?? 10);

const collect = (): number => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:fold-weight)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

interface Held {
  readonly journeys: number;
  readonly bytes: number;
  readonly events: number;
}

/** Heap held by the states folded from the first `take` events of each stream (all when undefined). */
async function heldBy(store: SqliteEventStore, streams: readonly string[], take?: number): Promise<Held> {
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
  return { journeys: streams.length, bytes, events };
}

/**
 * A journey as `npm run bench:http` grows its visit pool: opened with a visit (`POST /journeys`), then visited, at one
 * centre, every id minted as the API mints it (timeOrderedId), not the short ids of the generator.
 */
function visitJourney(visits: number): { streamId: string; events: EventToAppend[] } {
  const journeyId = timeOrderedId();
  const journey = journeyRecorder(() => timeOrderedId());
  let at = Date.parse('2026-03-02T01:00:00Z');
  const run = (command: Omit<JourneyCommand, 'metadata'>) => {
    at += 3_600_000;
    journey.record(command, {
      occurredAt: new Date(at).toISOString(),
      recordedAt: new Date(at + 1_000).toISOString(),
      actorId: 'doctor-bench',
      actorRole: 'doctor',
      institutionId: GEN_CHC.institutionId,
      correlationId: timeOrderedId(),
      causationId: timeOrderedId(),
    });
  };
  const visit = { institution: GEN_CHC, visitType: 'outpatient', diagnosisCode: 'I10' } as const;
  run({
    type: 'OpenJourney',
    data: {
      journeyId,
      patientId: `pt-${journeyId}`,
      residenceRegion: '110105',
      visitId: timeOrderedId(),
      ...visit,
    },
  });
  for (let i = 0; i < visits; i++)
    run({ type: 'RecordVisit', data: { visitId: timeOrderedId(), referralId: null, ...visit } });
  return { streamId: `journey-${journeyId}`, events: journey.events };
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
    const visited: string[] = [];
    for (let i = 0; i < JOURNEYS / 4; i++) {
      const { streamId, events } = visitJourney(VISITS);
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
      visited.push(streamId);
    }
    // Read every stream once first, so the statement caches and the strings interned are not counted.
    for (const streamId of [...streams, ...visited]) await store.readStream(streamId);
    const short = await heldBy(store, streams, 2);
    const whole = await heldBy(store, streams);
    const visits = await heldBy(store, visited);
    const n = streams.length;
    // Each measure is n × base + events × perEvent: two measures, two unknowns.
    const perEvent = (whole.bytes - short.bytes) / (whole.events - short.events);
    const base = (short.bytes - short.events * perEvent) / n;
    const weighed = (m: Held) => m.journeys * foldWeight(0) + m.events * FOLDED_EVENT_BYTES;
    log(`${fmt(n)} journeys: base ${fmt(Math.round(base))} bytes + ${fmt(Math.round(perEvent))} per event`);
    const row = (label: string, m: Held) =>
      `| ${label} | ${fmt(m.events)} events, ${(m.events / m.journeys).toFixed(1)} per journey | ${(m.bytes / 1048576).toFixed(1)} MB (${fmt(Math.round(m.bytes / m.journeys))} bytes per journey) | ${(weighed(m) / 1048576).toFixed(1)} MB: ${weighed(m) >= m.bytes ? 'covers it' : '**below it: raise the weights**'} |`;
    const table = [
      `| journeys folded and held | events folded | heap held | the fold caches' weight (${fmt(FOLD_BASE_BYTES)} + ${fmt(FOLDED_EVENT_BYTES)} per event) |`,
      '|---|---|---|---|',
      row(`${fmt(n)} generated journeys, first two events of each`, short),
      row(`${fmt(n)} generated journeys, whole`, whole),
      `| generated journeys fitted: fixed part + part per event | | ${fmt(Math.round(base))} + ${fmt(Math.round(perEvent))} bytes per event | ${fmt(FOLD_BASE_BYTES)} + ${fmt(FOLDED_EVENT_BYTES)} bytes per event |`,
      row(
        `${fmt(visits.journeys)} journeys opened and visited ${VISITS} times, ids as the API mints them`,
        visits,
      ),
    ].join('\n');
    saveResult(
      'fold-weight',
      {
        journeys: n,
        short,
        whole,
        visits,
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
