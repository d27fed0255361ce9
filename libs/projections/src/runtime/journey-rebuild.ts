import type Database from 'better-sqlite3';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { join } from 'node:path';
import {
  type EventStore,
  EventStoreUnavailableError,
  FoldCache,
  type SqliteEventStore,
  type StoredEvent,
  type StreamPartition,
} from '@carepath/event-store';
import {
  guard,
  INSTITUTION_PREFIX,
  JOURNEY_PREFIX,
  JourneyFolder,
  type JourneyWrite,
} from './journey-folder';
import {
  encodeJourneyRows,
  type JourneyProjectionDefinition,
  type JourneyProjectionSpec,
  journeyRowsWriter,
} from './journey-projection';
import type { RowValue } from './read-model-table';
import { sqliteWrites } from './read-model-writes';
import { ProjectionEventError } from './projection';
import {
  failureKind,
  type ProjectionError,
  projectionError,
  type ProjectionStatus,
} from './projection-runner';
import type { ReadModelFiles } from './read-model-files';
import { startWorker } from './worker-thread';
import type { Worker } from 'node:worker_threads';

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
  | {
      readonly kind: 'failed';
      readonly projection: number | 'all';
      readonly error: ProjectionError;
      /** The failure came from the environment (failureKind), not the data: the same rebuild may pass later. */
      readonly transient?: boolean;
    }
  | { readonly kind: 'done'; readonly position: bigint };

export interface JourneyRebuildOptions {
  readonly commitEvery: number;
  /**
   * A page whose rows come to more than about this many values is sent in parts (each journey whole), so that the
   * writing thread, which may also serve requests, never spends long on one message. Default MAX_VALUES_PER_MESSAGE.
   */
  readonly maxValuesPerMessage?: number;
  /** Wall clock for error timestamps only. */
  readonly now?: () => Date;
  /** Byte budget of the deriver's cache of folded journeys; default REBUILD_FOLD_CACHE_BYTES. */
  readonly foldCacheBytes?: number;
}

/**
 * What a rebuild worker keeps of the journeys a batch has flushed, in bytes (as the fold caches weigh states). A
 * rebuild reads each journey's events in order, so the cache only spares a read of the log for a journey still open
 * when its batch commits; with tens of thousands open at once (a year in recording order) most miss it at any size,
 * and with a few thousand 16 MB holds them all. Half the runners' default, as the batch's budget is
 * (REBUILD_BATCH_STAGED_BYTES): together they bound the worker's heap (docs/benchmarks.md, "Rebuild memory").
 */
export const REBUILD_FOLD_CACHE_BYTES = 16 * 1024 * 1024;

/** A rebuild worker's batch budget: half the runners' (BATCH_STAGED_BYTES), for the same reason as its cache. */
export const REBUILD_BATCH_STAGED_BYTES = 16 * 1024 * 1024;

/**
 * About 2,000 rows of ten columns: a part the writing thread inserts in a few milliseconds. A batch's flush writes
 * every journey still open, which on a log in recording order can be tens of thousands of rows in one page.
 */
export const MAX_VALUES_PER_MESSAGE = 20_000;

/** What deleting one journey's rows costs the writing thread, counted as values (a lookup per table). */
const VALUES_PER_DELETE = 8;

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
  /** Values in `writes` so far (deletes counted as VALUES_PER_DELETE). */
  private size = 0;
  private readonly maxValues: number;
  /** The position the last page reached: a part sent before a page's end claims no more than that. */
  private position = 0n;

  constructor(
    private readonly specs: readonly JourneyProjectionSpec[],
    readStream: (streamId: string) => Promise<readonly StoredEvent[]>,
    private readonly options: JourneyRebuildOptions,
  ) {
    this.folder = new JourneyFolder(
      null,
      readStream,
      new FoldCache(options.foldCacheBytes ?? REBUILD_FOLD_CACHE_BYTES),
    );
    this.failed = specs.map(() => false);
    this.keepsInstitutions = specs.some((s) => s.institutions);
    this.writes = this.empty();
    this.maxValues = options.maxValuesPerMessage ?? MAX_VALUES_PER_MESSAGE;
  }

  /** The next page of the log (up to `position`); `end`: the last one. */
  async take(events: readonly StoredEvent[], position: bigint, end: boolean): Promise<RebuildMessage[]> {
    if (this.stopped) return [];
    this.messages = [];
    try {
      await this.folder.prepare(events);
      const institutionEvents = this.folder.stage(events, this.write);
      this.staged += events.length;
      const commit =
        end ||
        this.staged >= this.options.commitEvery ||
        this.folder.stagedBytes >= REBUILD_BATCH_STAGED_BYTES;
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
      this.position = position;
      if (end) this.messages.push({ kind: 'done', position });
    } catch (error) {
      this.stopped = true;
      this.messages.push({
        kind: 'failed',
        projection: 'all',
        error: projectionError(error, this.options.now),
        transient: failureKind(error) === 'transient',
      });
    }
    this.writes = this.empty();
    this.size = 0;
    return this.messages;
  }

  /**
   * Sends the rows gathered so far as a part of the page: no events, no commit, at the previous page's position.
   * A journey's deletes and rows always travel together, and rows of different journeys never touch, so parts may
   * be written one by one.
   */
  private sendPart(): void {
    this.messages.push({
      kind: 'page',
      position: this.position,
      events: 0,
      writes: this.writes,
      institutionEvents: [],
      commit: false,
    });
    this.writes = this.empty();
    this.size = 0;
  }

  private empty(): JourneyWrites[] {
    return this.specs.map((s) => ({ replaced: [], values: s.tables.map(() => []) }));
  }

  private readonly write: JourneyWrite = (journeyId, state, previous, last) => {
    this.specs.forEach((spec, i) => {
      if (this.failed[i]) return;
      try {
        const rows = state ? spec.derive(state, journeyId) : [];
        const out = this.writes[i]!;
        // A rebuild's generation holds only what it wrote: rows to delete, or none.
        if (previous !== null) {
          out.replaced.push(journeyId);
          this.size += VALUES_PER_DELETE;
        }
        this.size += encodeJourneyRows(spec.tables, rows, out.values);
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
    if (this.size >= this.maxValues) this.sendPart();
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
  /** The failure itself when it happened in this thread (its code tells a full disk from a bad event). */
  cause: unknown;
  /** Complete up to the head, durable, and closed; `promoted` once the catalog names it too. */
  built: boolean;
  promoted: boolean;
}

/** A generation the sink built and left for its caller to put in service (`promote: false`). */
export interface BuiltGeneration {
  readonly name: string;
  readonly generation: number;
  /** Its checkpoint: every event up to here is in it. */
  readonly position: bigint;
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

  /**
   * `promote: false`: a generation, once complete, is made durable and closed but not put in service; the caller
   * (a runner, which catches it up past the head and swaps it in) does that.
   */
  constructor(
    private readonly files: ReadModelFiles,
    definitions: readonly JourneyProjectionDefinition[],
    sources = 1,
    private readonly options: { readonly promote?: boolean } = {},
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
        institution: definition.journey.institutions?.(sqliteWrites(db)),
        saveCheckpoint: db.prepare('UPDATE checkpoint SET position = ?, events = events + ? WHERE id = 1'),
        position: 0n,
        events: 0,
        pending: 0,
        error: null,
        cause: null,
        built: false,
        promoted: false,
      };
    });
  }

  /** The generation each projection is being built in, in the order given. */
  get generations(): number[] {
    return this.targets.map((t) => t.generation);
  }

  /** Generations complete and not (yet) in service; with `promote: false`, what the rebuild leaves its caller. */
  builtGenerations(): BuiltGeneration[] {
    return this.targets
      .filter((t) => t.built && !t.promoted && !t.error)
      .map((t) => ({ name: t.definition.name, generation: t.generation, position: t.position }));
  }

  /** Why each projection failed, as thrown here when it was (null for a failure a worker reported). */
  causes(): unknown[] {
    return this.targets.map((t) => t.cause);
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
            this.fail(target, projectionError(error), error);
          }
        });
        return;
      }
      case 'failed': {
        // A worker's error arrives as its report; a transient one is given back a kind the runner retries.
        const cause = message.transient ? new EventStoreUnavailableError(message.error.message) : null;
        for (const [i, target] of this.targets.entries()) {
          if (message.projection === 'all' || message.projection === i)
            this.fail(target, message.error, cause);
        }
        return;
      }
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
          this.finish(target);
        }
        return;
    }
  }

  /** The position every source has read up to; sources read to the same head, so at the end it is the head. */
  private passed(): bigint {
    return this.positions.reduce((min, p) => (p < min ? p : min));
  }

  /**
   * Drops every generation not yet in service (the source died, or the rebuild was abandoned), a built one left for
   * its caller included.
   */
  abandon(reason: string | Error): void {
    const error = typeof reason === 'string' ? new Error(reason) : reason;
    for (const target of this.targets) {
      if (!target.promoted && !target.error) this.fail(target, projectionError(error), error);
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

  private finish(target: Target): void {
    const { name, version } = target.definition;
    target.db.close();
    // Written without syncs: one fsync makes the whole generation durable before the catalog names it.
    const fd = openSync(this.files.fileOf(name, target.generation), 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    target.built = true;
    if (this.options.promote === false) return;
    const old = this.files.current(name);
    this.files.promote(name, target.generation, version);
    if (old) this.files.remove(name, old.generation);
    target.promoted = true;
  }

  private fail(target: Target, error: ProjectionError, cause: unknown = null): void {
    if (target.error || target.promoted) return;
    target.error = error;
    target.cause = cause;
    // Without a journal nothing can be rolled back: the file is closed and deleted instead (a built one is closed).
    if (target.db.open) target.db.close();
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
  readonly maxValuesPerMessage?: number;
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

/** A rebuild over threads under way (startJourneyRebuild). */
export interface JourneyRebuildHandle {
  /** The generation each projection is being built in, in the order given. */
  readonly generations: readonly number[];
  /** Each projection's progress (a rebuild's status: `rebuild` names the generation being built). */
  statuses(): ProjectionStatus[];
  /**
   * Stops the workers and drops every generation not yet in service; `done` then resolves with the projections
   * failed for `reason`. Does nothing once done.
   */
  abort(reason: Error): void;
  /** Resolves once every projection is built or failed (never rejects): the final statuses. */
  readonly done: Promise<ProjectionStatus[]>;
  /** With `promote: false`, once done: the generations built and left for the caller to put in service. */
  built(): BuiltGeneration[];
  /** Per projection, the failure as thrown in this thread, when it was. */
  causes(): unknown[];
}

/**
 * Starts a rebuild of journey projections of an embedded log with `workers` worker threads, each reading a
 * partition of the journeys (streamPartition) on a connection of its own, decoding, folding and deriving rows
 * (JourneyRowsDeriver), and this thread writing them all (JourneyRebuildSink). Reading, decoding and folding are most
 * of a rebuild's work; writing is the smaller part, and here runs beside it. Reading the log in this thread and
 * handing rows to one worker instead cost this thread more in copying strings between threads than it saved the
 * worker (docs/benchmarks.md, "Projections").
 *
 * This thread may be serving requests (the API rebuilds this way): it applies one message per turn of its event
 * loop, and a worker sends a big page in parts (maxValuesPerMessage), so no stretch of writing holds it for long.
 */
export function startJourneyRebuild(
  store: SqliteEventStore,
  files: ReadModelFiles,
  definitions: readonly JourneyProjectionDefinition[],
  options: {
    readonly pageSize: number;
    readonly commitEvery: number;
    readonly workers: number;
    readonly maxValuesPerMessage?: number;
    /** Default true; false: leave the built generations to the caller (JourneyRebuildSink). */
    readonly promote?: boolean;
    /** Where every worker stops (default: the head found now). */
    readonly head?: bigint;
  },
): JourneyRebuildHandle {
  const count = Math.max(1, options.workers);
  const sink = new JourneyRebuildSink(files, definitions, count, {
    ...(options.promote === false ? { promote: false } : {}),
  });
  let workers: Worker[] = [];
  let stopped: Error | null = null;
  let stop: (reason: Error) => void = (reason) => {
    stopped = reason;
  };
  const run = async (): Promise<void> => {
    const head = options.head ?? (await store.headPosition());
    if (stopped) throw stopped;
    workers = Array.from({ length: count }, (_, index) => {
      const data: RebuildWorkerData = {
        logFile: store.filename,
        projections: definitions.map((d) => d.name),
        pageSize: options.pageSize,
        commitEvery: options.commitEvery,
        ...(options.maxValuesPerMessage !== undefined
          ? { maxValuesPerMessage: options.maxValuesPerMessage }
          : {}),
        partition: { index, count },
        head,
      };
      return startWorker(join(__dirname, 'journey-rebuild.worker'), { workerData: data });
    });
    // Messages wait here and are applied one per turn: a port hands over every message it holds in one turn.
    const queue: { message: RebuildMessage; source: number }[] = [];
    let draining = false;
    /** A source has sent its last message (it may end before this thread has applied it). */
    const ended = workers.map(() => false);
    await new Promise<void>((resolve, reject) => {
      stop = reject;
      const drain = () => {
        const next = queue.shift();
        if (!next || stopped) {
          draining = false;
          return;
        }
        const { message, source } = next;
        try {
          sink.take(message, source);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (message.kind === 'page') workers[source]!.postMessage('ack');
        if (sink.finished) resolve();
        else if (queue.length > 0) setImmediate(drain);
        else draining = false;
      };
      workers.forEach((worker, source) => {
        worker.on('message', (message: RebuildMessage) => {
          if (message.kind === 'done' || (message.kind === 'failed' && message.projection === 'all'))
            ended[source] = true;
          queue.push({ message, source });
          if (!draining) {
            draining = true;
            setImmediate(drain);
          }
        });
        worker.on('error', reject);
        // A worker ends once it has sent its last page; one that ends before that has failed.
        worker.on('exit', (code) => {
          if (!ended[source]) reject(new Error(`a rebuild worker stopped (exit code ${code})`));
        });
      });
    });
  };
  const done = run()
    .catch((error: unknown) => sink.abandon(error instanceof Error ? error : new Error(String(error))))
    .finally(() => Promise.all(workers.map((worker) => worker.terminate())))
    .then(() => sink.statuses());
  return {
    generations: sink.generations,
    statuses: () => sink.statuses(),
    abort: (reason) => {
      if (stopped) return;
      stopped = reason;
      stop(reason);
    },
    done,
    built: () => sink.builtGenerations(),
    causes: () => sink.causes(),
  };
}

/**
 * Rebuilds journey projections of an embedded log over threads (startJourneyRebuild) and puts each new generation
 * in service as soon as it is complete. `onProgress` is called every `progressMs`. Resolves with the final statuses:
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
    readonly maxValuesPerMessage?: number;
    readonly onProgress?: (statuses: readonly ProjectionStatus[]) => void;
    readonly progressMs?: number;
  },
): Promise<ProjectionStatus[]> {
  const rebuild = startJourneyRebuild(store, files, definitions, options);
  const timer = setInterval(() => options.onProgress?.(rebuild.statuses()), options.progressMs ?? 200);
  try {
    const statuses = await rebuild.done;
    options.onProgress?.(statuses);
    return statuses;
  } finally {
    clearInterval(timer);
  }
}
