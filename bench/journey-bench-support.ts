/*
 * What the whole-journey benchmarks share (journey-appends, reads, emmett-peer): generated journeys, the raw
 * better-sqlite3 baseline writing the same rows with the same durability, on-disk size, the fold the API does
 * when it loads a journey, latency percentiles and peak RSS.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  evolveJourney,
  initialJourneyState,
  JOURNEY_EVENT_TYPES,
  type JourneyEvent,
  type JourneyState,
  type RecordedDomainEvent,
} from '@carepath/domain';
import type { EventStore, EventToAppend } from '@carepath/event-store';
import { generateJourney } from '../test/support/journey-generator';
import { now, quantile } from './bench-support';

export interface Journey {
  readonly streamId: string;
  readonly events: readonly EventToAppend[];
}

export const generateJourneys = (count: number, seed: number): Journey[] =>
  Array.from({ length: count }, (_, i) => generateJourney(i, seed));

export const countEvents = (journeys: readonly Journey[]): number =>
  journeys.reduce((n, j) => n + j.events.length, 0);

/** Average UTF-8 length of the JSON an event carries (data + metadata): what any store has to keep. */
export function jsonBytesPerEvent(journeys: readonly Journey[]): number {
  let bytes = 0;
  for (const { events } of journeys)
    for (const e of events)
      bytes += Buffer.byteLength(JSON.stringify(e.data)) + Buffer.byteLength(JSON.stringify(e.metadata));
  return bytes / countEvents(journeys);
}

/** Milliseconds `work` took. */
export async function timed(work: () => unknown): Promise<number> {
  const started = now();
  await work();
  return now() - started;
}

/**
 * The raw baseline's file: CarePath's columns and constraints (as bench/appends.bench.ts `raw()`) without the hash
 * chain, and CarePath's durability (WAL, synchronous=FULL). `schema` adds tables written in the same commit.
 */
export function openRawLog(file: string, schema = ''): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, revision INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, schema_version INTEGER NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision)) STRICT; ${schema}`);
  return db;
}

/**
 * Writes a whole journey in one BEGIN IMMEDIATE transaction (one fsync), serialising its JSON as CarePath does;
 * `alsoPerEvent` runs inside the same transaction (an inline read model).
 */
export function rawJourneyWriter(
  db: Database.Database,
  alsoPerEvent?: (event: EventToAppend) => void,
): (journey: Journey) => void {
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  let position = 0;
  const write = db.transaction((journey: Journey) => {
    journey.events.forEach((e, revision) => {
      insert.run(
        ++position,
        journey.streamId,
        revision,
        e.id,
        e.type,
        e.schemaVersion,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata),
      );
      alsoPerEvent?.(e);
    });
  });
  return (journey) => write.immediate(journey);
}

/** Appends each journey whole to its new stream, `concurrency` appends in flight; the last position appended. */
export async function appendJourneys(
  store: EventStore,
  journeys: readonly Journey[],
  concurrency: number,
): Promise<bigint> {
  let next = 0;
  let last = 0n;
  const worker = async (): Promise<void> => {
    for (let j = journeys[next++]; j !== undefined; j = journeys[next++]) {
      const { position } = await store.append(j.streamId, j.events, { expectedRevision: 'no-stream' });
      if (position > last) last = position;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return last;
}

/** Bytes on disk once the WAL is checkpointed into the main file (any WAL left over is counted too). */
export function fileBytes(file: string): number {
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return [file, `${file}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
}

/** A stored event in the shape the domain folds, as the write path's `toDomainEvent` (libs/write-path) makes it. */
export function toJourneyEvent(stored: {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
}): RecordedDomainEvent<JourneyEvent> {
  if (!(JOURNEY_EVENT_TYPES as readonly string[]).includes(stored.type))
    throw new Error(`Unknown event type ${stored.type}`);
  const { id, type, data, metadata } = stored;
  return { id, type, data, metadata } as unknown as RecordedDomainEvent<JourneyEvent>;
}

/** The fold apps/api/src/journeys/journey.reader.ts does on load. */
export const foldJourney = (events: readonly Parameters<typeof toJourneyEvent>[0][]): JourneyState =>
  events.reduce((s, e) => evolveJourney(s, toJourneyEvent(e)), initialJourneyState());

export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
}

/** Nearest-rank p50/p99 of per-operation samples (ms, 3 decimals) and operations per second over them. */
export function latency(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (ms: number) => Math.round(ms * 1000) / 1000;
  const total = sorted.reduce((n, s) => n + s, 0);
  return {
    p50: r(quantile(sorted, 0.5)),
    p99: r(quantile(sorted, 0.99)),
    perSecond: Math.round((sorted.length / total) * 1000),
  };
}

/** Times `run` once per input, sequentially: per-call latencies in ms. */
export async function sampleLatencies<T>(
  inputs: readonly T[],
  run: (input: T) => unknown,
): Promise<number[]> {
  const samples: number[] = [];
  for (const input of inputs) {
    const started = now();
    await run(input);
    samples.push(now() - started);
  }
  return samples;
}

/** Peak resident set size overall and, sampled on a timer, per named phase (MB). */
export class RssSampler {
  readonly startMb = mb(process.memoryUsage.rss());
  private peak = process.memoryUsage.rss();
  private phasePeak = this.peak;
  private readonly phases = new Map<string, number>();
  // unref: a benchmark that fails must still exit.
  private readonly timer = setInterval(() => this.sample(), 20).unref();

  /** Ends the current phase under `name`: its peak is kept and the next phase starts from the RSS now. */
  endPhase(name: string): void {
    this.sample();
    this.phases.set(name, mb(this.phasePeak));
    this.phasePeak = process.memoryUsage.rss();
  }

  stop(): { peakMb: number; startMb: number; phases: Record<string, number> } {
    clearInterval(this.timer);
    this.sample();
    // The overall peak is the kernel's (getrusage), exact even when it fell between two samples; phase peaks are
    // sampled, so they can only be lower than the truth.
    const peak = Math.max(this.peak, process.resourceUsage().maxRSS * 1024);
    return { peakMb: mb(peak), startMb: this.startMb, phases: Object.fromEntries(this.phases) };
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    this.peak = Math.max(this.peak, rss);
    this.phasePeak = Math.max(this.phasePeak, rss);
  }
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/** Runs a benchmark in a fresh temporary folder, removed afterwards whatever happens; exits 1 on failure. */
export function runInTempFolder(prefix: string, main: (folder: string) => Promise<void>): void {
  const run = async (): Promise<void> => {
    const folder = mkdtempSync(join(tmpdir(), `carepath-bench-${prefix}-`));
    try {
      await main(folder);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  };
  run().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

const DEFAULT_HEADER = ['measure', 'value', 'baseline (same run)', 'ratio'];

/** A Markdown table; by default in the `| measure | value | baseline (same run) | ratio |` layout. */
export const markdownTable = (
  rows: readonly (readonly (string | number)[])[],
  header: readonly string[] = DEFAULT_HEADER,
): string =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
