import type Database from 'better-sqlite3';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore, SqliteEventStore, StoredEvent, StreamPartition } from '@carepath/event-store';
import {
  guard,
  INSTITUTION_PREFIX,
  JOURNEY_PREFIX,
  JourneyFolder,
  type JourneyWrite,
} from './journey-folder';
import {
  type JourneyProjectionDefinition,
  type JourneyProjectionSpec,
  journeyRowsWriter,
  type RowValue,
} from './journey-projection';
import { ProjectionEventError } from './projection';
import { type ProjectionError, projectionError, type ProjectionStatus } from './projection-runner';
import type { ReadModelFiles } from './read-model-files';
import { startWorker } from './worker-thread';

/*
 * A rebuild split over threads. Reading and decoding the log, folding journeys and deriving their rows is pure work
 * (JourneyFolder, each spec's derive) and runs in one or more workers; the calling thread only writes the rows and
 * commits. In one thread the writing came on top of the reading and folding; here the two overlap
 * (docs/benchmarks.md, "Projections").
 */

/**
 * One projection's writes for a page. A page names each journey at most once (JourneyFolder writes a journey when
 * the page closes it or at the batch's flush, never both), so deleting the rows of every journey that had some and
 * then inserting the new ones is the same as replacing journey by journey. The rows travel as one flat array of
 * values per table: copying a page between threads costs per object, and a row is an object.
 */
export interface JourneyWrites {
  /** Journeys that had rows before: theirs are deleted first. */
  readonly replaced: string[];
  /** Per table, its rows' values one after the other, in column order. */
  readonly values: RowValue[][];
}

export type RebuildMessage =
  | {
      readonly kind: 'page';
      /** The log position the page reaches (in its source's partition). */
      readonly position: bigint;
      readonly events: number;
      /** Per projection, in the order given: the rows to replace. */
      readonly writes: readonly JourneyWrites[];
      /** Institution events of the page, for projections that keep them. */
      readonly institutionEvents: readonly StoredEvent[];
      /** Every journey taken in so far is in `writes` up to here: commit with the checkpoint. */
      readonly commit: boolean;
    }
  | { readonly kind: 'failed'; readonly projection: number | 'all'; readonly error: ProjectionError }
  | { readonly kind: 'done'; readonly position: bigint };

export interface JourneyRebuildOptions {
  readonly commitEvery: number;
  /** Wall clock for error timestamps only. */
  readonly now?: () => Date;
}

/**
 * The pure half: takes the log's pages in order, folds journeys and derives each projection's rows, and answers
 * each page with the messages for the writing half. A projection whose derive fails is reported and dropped, and the
 * others go on; a fold failure (an event the domain cannot apply) fails them all, as it does in the runners, which
 * share the fold too. Runs in the worker thread of `rebuildInWorker`, or in any thread (deriveJourneyRebuild).
 */
export class JourneyRowsDeriver {
  // The only folder of its thread: there is no fold to share, so no memo to keep.
  private readonly folder: JourneyFolder;
  private readonly failed: boolean[];
  private readonly keepsInstitutions: boolean;
  private writes: JourneyWrites[];
  private messages: RebuildMessage[] = [];
  private staged = 0;
  private stopped = false;

  constructor(
    private readonly specs: readonly JourneyProjectionSpec[],
    readStream: (streamId: string) => Promise<readonly StoredEvent[]>,
    private readonly options: JourneyRebuildOptions,
  ) {
    this.folder = new JourneyFolder(null, readStream);
    this.failed = specs.map(() => false);
    this.keepsInstitutions = specs.some((s) => s.institutions);
    this.writes = this.empty();
  }

  /** The next page of the log (up to `position`); `end`: the last one. */
  async take(events: readonly StoredEvent[], position: bigint, end: boolean): Promise<RebuildMessage[]> {
    if (this.stopped) return [];
    this.messages = [];
    try {
      await this.folder.prepare(events);
      const institutionEvents = this.folder.stage(events, this.write);
      this.staged += events.length;
      const commit = end || this.staged >= this.options.commitEvery;
      if (commit) {
        this.folder.flush(this.write);
        this.staged = 0;
      }
      this.messages.push({
        kind: 'page',
        position,
        events: events.length,
        writes: this.writes,
        institutionEvents: this.keepsInstitutions ? institutionEvents : [],
        commit,
      });
      if (end) this.messages.push({ kind: 'done', position });
    } catch (error) {
      this.stopped = true;
      this.messages.push({
        kind: 'failed',
        projection: 'all',
        error: projectionError(error, this.options.now),
      });
    }
    this.writes = this.empty();
    return this.messages;
  }

  private empty(): JourneyWrites[] {
    return this.specs.map((s) => ({ replaced: [], values: s.tables.map(() => []) }));
  }

  private readonly write: JourneyWrite = (journeyId, state, fresh, last) => {
    this.specs.forEach((spec, i) => {
      if (this.failed[i]) return;
      try {
        const rows = state ? spec.derive(state, journeyId) : [];
        const out = this.writes[i]!;
        if (!fresh) out.replaced.push(journeyId);
        rows.forEach((tableRows, t) => {
          const values = out.values[t]!;
          for (const row of tableRows) for (const value of row) values.push(value);
        });
      } catch (error) {
        this.failed[i] = true;
        const cause = new ProjectionEventError(last, error);
        this.messages.push({
          kind: 'failed',
          projection: i,
          error: projectionError(cause, this.options.now),
        });
      }
    });
  };
}

/** The log's pages the rebuild reads: journey and institution streams, up to the head found when it starts. */
export const REBUILD_FILTER = { streamPrefixes: [JOURNEY_PREFIX, INSTITUTION_PREFIX] };

/**
 * Reads the log from its start to the head it finds and derives it page by page, handing each message to `send`
 * (awaited: it may hold the reading back). The worker of `rebuildInWorker` runs it on a connection of its own;
 * in one thread, with the sink as `send`, it is both halves of a rebuild.
 */
export async function deriveJourneyRebuild(
  store: EventStore,
  specs: readonly JourneyProjectionSpec[],
  options: JourneyRebuildOptions & {
    readonly pageSize: number;
    readonly partition?: StreamPartition;
    /** Where to stop (default: the head found on starting). Workers sharing a log must all stop at the same one. */
    readonly head?: bigint;
  },
  send: (message: RebuildMessage) => Promise<void> | void,
): Promise<void> {
  const deriver = new JourneyRowsDeriver(specs, (streamId) => store.readStream(streamId), options);
  const head = options.head ?? (await store.headPosition());
  let position = 0n;
  for (;;) {
    const page = await store.readAll({
      after: position,
      maxCount: options.pageSize,
      filter: REBUILD_FILTER,
      ...(options.partition ? { partition: options.partition } : {}),
    });
    position = page.lastPosition < head ? page.lastPosition : head;
    const end = page.isEnd || position >= head;
    const messages = await deriver.take(
      page.events.filter((e) => e.position <= head),
      position,
      end,
    );
    for (const message of messages) await send(message);
    if (end || messages.some((m) => m.kind === 'failed' && m.projection === 'all')) return;
  }
}

interface Target {
  readonly definition: JourneyProjectionDefinition;
  readonly generation: number;
  readonly db: Database.Database;
  readonly writer: ReturnType<typeof journeyRowsWriter>;
  readonly institution: ((event: StoredEvent) => void) | undefined;
  readonly saveCheckpoint: Database.Statement;
  position: bigint;
  events: number;
  /** Events taken in since the last commit. */
  pending: number;
  error: ProjectionError | null;
  promoted: boolean;
}

/**
 * The writing half: a fresh generation per projection, written in batches (one transaction until a source says
 * commit), and put in service once every source is done. Until then queries keep reading the generation in service.
 * A failed projection's new generation is dropped, and the old one stays.
 *
 * Sources may read disjoint partitions of the log's streams (several workers): rows of different journeys never
 * touch, so pages are written as they come, from any source. A batch's checkpoint is then the position every source
 * has passed; rows of a source further ahead may be in the same commit. That is harmless here as it would not be in a
 * runner: a generation being rebuilt is never resumed from its checkpoint (a rebuild that stops leaves it out of
 * service, and the next one starts a new file), and the last commit, once every source is done, is exact.
 */
export class JourneyRebuildSink {
  private readonly targets: Target[];
  private head = 0n;
  /** How far each source has read. */
  private readonly positions: bigint[];
  private readonly done: boolean[];

  constructor(
    private readonly files: ReadModelFiles,
    definitions: readonly JourneyProjectionDefinition[],
    sources = 1,
  ) {
    this.positions = Array.from({ length: sources }, () => 0n);
    this.done = Array.from({ length: sources }, () => false);
    this.targets = definitions.map((definition) => {
      const generation = files.nextGeneration(definition.name);
      files.remove(definition.name, generation);
      const db = files.open(definition.name, generation, definition.schema);
      // No query reads this file before it is put in service, and a rebuild that stops half-way leaves it out of
      // service for the next one to delete: while it is built, a journal and syncs buy nothing and cost the writing
      // thread, which shares two cores with the workers. Once done it goes back to WAL, and `promote` syncs it.
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
      db.exec('BEGIN');
      return {
        definition,
        generation,
        db,
        writer: journeyRowsWriter(db, definition.journey),
        institution: definition.journey.institutions?.(db),
        saveCheckpoint: db.prepare('UPDATE checkpoint SET position = ?, events = events + ? WHERE id = 1'),
        position: 0n,
        events: 0,
        pending: 0,
        error: null,
        promoted: false,
      };
    });
  }

  /** True once every source is done, or every projection failed. */
  get finished(): boolean {
    return this.done.every(Boolean) || this.targets.every((t) => t.error);
  }

  /**
   * Applies one message of source `source`; synchronous, so nothing else runs between a page's rows and its commit.
   */
  take(message: RebuildMessage, source = 0): void {
    switch (message.kind) {
      case 'page': {
        if (message.position > this.head) this.head = message.position;
        this.positions[source] = message.position;
        const passed = this.passed();
        this.targets.forEach((target, i) => {
          if (target.error) return;
          try {
            const writes = message.writes[i];
            if (writes) target.writer.write(writes);
            for (const event of message.institutionEvents) guard(event, () => target.institution?.(event));
            target.pending += message.events;
            target.position = passed;
            if (message.commit) this.commit(target);
          } catch (error) {
            this.fail(target, projectionError(error));
          }
        });
        return;
      }
      case 'failed':
        for (const [i, target] of this.targets.entries()) {
          if (message.projection === 'all' || message.projection === i) this.fail(target, message.error);
        }
        return;
      case 'done':
        this.positions[source] = message.position;
        this.done[source] = true;
        if (message.position > this.head) this.head = message.position;
        if (!this.done.every(Boolean)) return;
        for (const target of this.targets) {
          if (target.error) continue;
          target.position = this.passed();
          this.commit(target, false);
          target.db.pragma('journal_mode = WAL');
          this.promote(target);
        }
        return;
    }
  }

  /** The position every source has read up to; sources read to the same head, so at the end it is the head. */
  private passed(): bigint {
    return this.positions.reduce((min, p) => (p < min ? p : min));
  }

  /** Drops every generation not yet in service (the source died, or the rebuild was abandoned). */
  abandon(reason: string): void {
    for (const target of this.targets) {
      if (!target.promoted && !target.error) this.fail(target, projectionError(new Error(reason)));
    }
  }

  statuses(): ProjectionStatus[] {
    return this.targets.map((t) => ({
      name: t.definition.name,
      version: t.definition.version,
      generation: t.promoted ? t.generation : (this.files.current(t.definition.name)?.generation ?? 0),
      state: t.error ? 'failed' : t.promoted ? 'live' : 'catching-up',
      position: t.position.toString(),
      headPosition: this.head.toString(),
      lag: (this.head - t.position).toString(),
      eventsApplied: t.events + t.pending,
      lastError: t.error,
      rebuild: t.promoted || t.error ? null : { generation: t.generation, position: t.position.toString() },
    }));
  }

  private commit(target: Target, reopen = true): void {
    target.saveCheckpoint.run(target.position, target.pending);
    target.db.exec('COMMIT');
    target.events += target.pending;
    target.pending = 0;
    if (reopen) target.db.exec('BEGIN');
  }

  private promote(target: Target): void {
    const { name, version } = target.definition;
    const old = this.files.current(name);
    target.db.close();
    // Written without syncs: one fsync makes the whole generation durable before the catalog names it.
    const fd = openSync(this.files.fileOf(name, target.generation), 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.files.promote(name, target.generation, version);
    if (old) this.files.remove(name, old.generation);
    target.promoted = true;
  }

  private fail(target: Target, error: ProjectionError): void {
    if (target.error || target.promoted) return;
    target.error = error;
    // Without a journal nothing can be rolled back: the file is closed and deleted instead.
    target.db.close();
    this.files.remove(target.definition.name, target.generation);
  }
}

/** What the worker thread is given (journey-rebuild.worker.ts). */
export interface RebuildWorkerData {
  readonly logFile: string;
  /** Names of projections in ALL_PROJECTIONS: a worker cannot be handed functions, so it finds them there. */
  readonly projections: readonly string[];
  readonly pageSize: number;
  readonly commitEvery: number;
  /** The streams this worker reads, when several share the log. */
  readonly partition: StreamPartition;
  /**
   * The head found by the writing thread, the same for every worker: were each to stop at the head it found itself
   * while the log grows, the final checkpoint (the lowest) would lie below rows one worker wrote beyond it.
   */
  readonly head: bigint;
}

/** Pages the worker may send ahead of the writing thread: enough to keep both busy, few enough to bound memory. */
export const PAGES_IN_FLIGHT = 16;

/**
 * Rebuilds journey projections of an embedded log with `workers` worker threads, each reading a partition of the
 * journeys (streamPartition) on a connection of its own, decoding, folding and deriving rows (JourneyRowsDeriver),
 * and this thread writing them all (JourneyRebuildSink). Reading, decoding and folding are most of a rebuild's work;
 * writing is the smaller part, and here runs beside it. Reading the log in this thread and handing rows to one
 * worker instead cost this thread more in copying strings between threads than it saved the worker
 * (docs/benchmarks.md, "Projections"). `onProgress` is called every `progressMs`. Resolves with the final statuses:
 * a projection that failed keeps its generation in service and reports the error.
 */
export async function rebuildInWorker(
  store: SqliteEventStore,
  files: ReadModelFiles,
  definitions: readonly JourneyProjectionDefinition[],
  options: {
    readonly pageSize: number;
    readonly commitEvery: number;
    readonly workers: number;
    readonly onProgress?: (statuses: readonly ProjectionStatus[]) => void;
    readonly progressMs?: number;
  },
): Promise<ProjectionStatus[]> {
  const count = Math.max(1, options.workers);
  const head = await store.headPosition();
  const sink = new JourneyRebuildSink(files, definitions, count);
  const workers = Array.from({ length: count }, (_, index) => {
    const data: RebuildWorkerData = {
      logFile: store.filename,
      projections: definitions.map((d) => d.name),
      pageSize: options.pageSize,
      commitEvery: options.commitEvery,
      partition: { index, count },
      head,
    };
    return startWorker(join(__dirname, 'journey-rebuild.worker'), { workerData: data });
  });
  const timer = setInterval(() => options.onProgress?.(sink.statuses()), options.progressMs ?? 200);
  const ended = workers.map(() => false);
  try {
    await new Promise<void>((resolve, reject) => {
      workers.forEach((worker, source) => {
        worker.on('message', (message: RebuildMessage) => {
          try {
            sink.take(message, source);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (message.kind === 'page') worker.postMessage('ack');
          if (message.kind === 'done' || (message.kind === 'failed' && message.projection === 'all'))
            ended[source] = true;
          if (sink.finished) resolve();
        });
        worker.on('error', reject);
        // A worker ends once it has sent its last page; one that ends before that has failed.
        worker.on('exit', (code) => {
          if (!ended[source]) reject(new Error(`a rebuild worker stopped (exit code ${code})`));
        });
      });
    });
  } catch (error) {
    sink.abandon(error instanceof Error ? error.message : String(error));
  } finally {
    clearInterval(timer);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  const statuses = sink.statuses();
  options.onProgress?.(statuses);
  return statuses;
}
