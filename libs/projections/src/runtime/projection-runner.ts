import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  type EventStore,
  EventStoreUnavailableError,
  SqliteEventStore,
  type StoredEvent,
  type Subscription,
} from '@carepath/event-store';
import { ALL_PROJECTIONS } from '../projections.registry';
import { type JourneyRebuildHandle, startJourneyRebuild } from './journey-rebuild';
import { isJourneyProjection, type JourneyProjectionDefinition } from './journey-projection';
import {
  batchIsFull,
  type ProjectionDefinition,
  ProjectionEventError,
  type ProjectionWriter,
} from './projection';
import type { ReadModelFiles } from './read-model-files';
import { PositionWaiters, retryDelayMs, runnerStatus } from './runner-waiters';

/**
 * `retrying`: stopped by a transient failure (disk full, busy, I/O), retried with backoff; queries read the last
 * committed rows. `repairing`: its file is damaged, a fresh generation is being built from the log; queries are
 * refused until it is in service. `failed`: stopped on one event until resumed or rebuilt.
 */
export type ProjectionState =
  'starting' | 'catching-up' | 'live' | 'retrying' | 'repairing' | 'failed' | 'stopped';

/**
 * What a failure calls for. `transient`: the environment (disk full, a lock, I/O, the store unreachable), so the
 * same work is retried later and will pass once it is fixed. `damaged`: the read-model file itself is unreadable or
 * lost part of its schema, so only a fresh generation helps. `permanent`: anything else, typically one event the
 * projection cannot apply; retrying would fail the same way, so it waits for a fix (resume) or a rebuild.
 */
export type FailureKind = 'transient' | 'damaged' | 'permanent';

const DAMAGED_SQLITE = /^SQLITE_(CORRUPT|NOTADB)/;
const TRANSIENT_SQLITE = /^SQLITE_(FULL|BUSY|LOCKED|IOERR|PROTOCOL|NOMEM|CANTOPEN|READONLY)/;
/** Node's system errors that come from the machine, not from the data. */
const TRANSIENT_SYSTEM = new Set([
  'EIO',
  'ENOSPC',
  'EDQUOT',
  'EBUSY',
  'EAGAIN',
  'EMFILE',
  'ENFILE',
  'EROFS',
  'EACCES',
  'EPERM',
  'ETIMEDOUT',
]);

/** Classifies a failure by its code, looking through the causes a ProjectionEventError wraps. */
export function failureKind(error: unknown): FailureKind {
  let transient = false;
  const seen = new Set<unknown>();
  for (let e: unknown = error; typeof e === 'object' && e !== null && !seen.has(e);) {
    seen.add(e);
    if (e instanceof EventStoreUnavailableError) transient = true;
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      if (DAMAGED_SQLITE.test(code)) return 'damaged';
      // A table or column gone from a file that was built with it: the file was changed behind the runner's back.
      if (code === 'SQLITE_ERROR' && typeof message === 'string' && /^no such (table|column)/.test(message))
        return 'damaged';
      if (TRANSIENT_SQLITE.test(code) || TRANSIENT_SYSTEM.has(code)) transient = true;
    }
    e = cause;
  }
  return transient ? 'transient' : 'permanent';
}

/** The generation a runner writes is no longer the one in service: it follows the one that is. */
class GenerationReplacedError extends Error {
  constructor(
    name: string,
    generation: number,
    readonly served: number,
  ) {
    super(`${name}: generation ${generation} was replaced in service by generation ${served}`);
    this.name = 'GenerationReplacedError';
  }
}

/**
 * Another runner, most likely another projector holding this projection's lease now, opened the generation for
 * writing after this one: this one's commit rolled back. It should stop; the other goes on from the checkpoint.
 */
export class ReadModelTakenError extends Error {
  constructor(
    readonly projection: string,
    readonly generation: number,
  ) {
    super(`projection ${projection}: generation ${generation} is written by another runner now`);
    this.name = 'ReadModelTakenError';
  }
}

/** Thrown by `reader()` while no sound generation can be served (being repaired, or not running). */
export class ProjectionUnavailableError extends Error {
  constructor(
    readonly projection: string,
    readonly reason: string,
  ) {
    super(`projection ${projection} ${reason}`);
    this.name = 'ProjectionUnavailableError';
  }
}

export interface ProjectionError {
  readonly message: string;
  readonly eventId: string | null;
  readonly eventType: string | null;
  readonly streamId: string | null;
  readonly position: string | null;
  readonly at: string;
}

/** A rebuild ran past its time budget: stopped, its generation dropped, the one in service kept. */
export class RebuildTimeoutError extends Error {
  constructor(
    readonly projection: string,
    readonly budgetMs: number,
  ) {
    super(`the rebuild of ${projection} did not finish within its budget of ${budgetMs} ms`);
    this.name = 'RebuildTimeoutError';
  }
}

/** A rebuild stopped because its runner was stopped. */
export class RebuildStoppedError extends Error {
  constructor(readonly projection: string) {
    super(`the rebuild of ${projection} was stopped with its projection`);
    this.name = 'RebuildStoppedError';
  }
}

/**
 * A rebuild in worker threads failed: `report` as the worker or the writing thread made it (naming the event when
 * one is to blame), `cause` the error itself when this thread has it (its code tells a full disk from a bad event).
 */
export class RebuildFailedError extends Error {
  constructor(
    readonly projection: string,
    readonly report: ProjectionError,
    cause: unknown,
  ) {
    super(report.message, cause ? { cause } : undefined);
    this.name = 'RebuildFailedError';
  }
}

/** A failure as a status reports it, naming the event when it is tied to one (ProjectionEventError). */
export function projectionError(error: unknown, now: () => Date = () => new Date()): ProjectionError {
  if (error instanceof RebuildFailedError) return { ...error.report, at: now().toISOString() };
  const event = error instanceof ProjectionEventError ? error.event : null;
  return {
    message: error instanceof Error ? error.message : String(error),
    eventId: event?.id ?? null,
    eventType: event?.type ?? null,
    streamId: event?.streamId ?? null,
    position: event ? event.position.toString() : null,
    at: now().toISOString(),
  };
}

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly generation: number;
  readonly state: ProjectionState;
  /** Last log position applied (or passed over as not relevant). */
  readonly position: string;
  readonly headPosition: string;
  readonly lag: string;
  readonly eventsApplied: number;
  readonly lastError: ProjectionError | null;
  /**
   * The rebuild under way: the generation it builds, how far it has come, and where (`worker`: the log read and
   * folded in a worker thread up to the head found, then the rest followed here; `in-process`: all here).
   */
  readonly rebuild: {
    readonly generation: number;
    readonly position: string;
    readonly where?: 'worker' | 'in-process';
  } | null;
  /** How the last rebuild ended, once one has (a timed-out or failed one left the generation in service as it was). */
  readonly lastRebuild?: RebuildOutcome | null;
  /** The next retry after a transient failure (or of a repair), while one is pending. */
  readonly retry?: { readonly attempt: number; readonly delayMs: number; readonly at: string } | null;
}

export interface RebuildOutcome {
  readonly outcome: 'rebuilt' | 'timed-out' | 'failed' | 'stopped';
  /** The generation built (in service when rebuilt, dropped otherwise). */
  readonly generation: number;
  readonly where: 'worker' | 'in-process';
  readonly at: string;
  readonly message: string | null;
}

/** A rebuild under way. */
interface Rebuilding {
  generation: number;
  readonly where: 'worker' | 'in-process';
  /** How far the new generation has come. */
  position: () => bigint;
  /** Stops it where it is, drops its generation and rejects `done` with `reason` (no-op once it is being swapped in). */
  abort: (reason: Error) => void;
  done: Promise<void>;
  /** Settles once nothing of it runs any more (its workers ended, its subscription stopped, its files dropped). */
  settled: Promise<unknown>;
}

/** Schedules a retry; injectable so that specs fire it themselves instead of waiting. */
export type RetryScheduler = (run: () => void, delayMs: number) => { cancel(): void };

const realScheduler: RetryScheduler = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  return { cancel: () => clearTimeout(timer) };
};

interface Generation {
  readonly generation: number;
  readonly db: Database.Database;
  /** Its tables as built: a later check finds one missing, or unreadable. */
  readonly tables: readonly string[];
  readonly writer: ProjectionWriter;
  /** Takes a page in: staged in memory while catching up in batches, otherwise committed with the checkpoint. */
  readonly commit: (events: readonly StoredEvent[], lastPosition: bigint) => Promise<void>;
  /** Commits whatever is staged (caught up, or about to stop batching). Synchronous: it is one transaction. */
  readonly flush: (position: bigint) => void;
  /** Drops the batch in progress, written or staged (its transaction rolls back): a retry starts at the checkpoint. */
  readonly discard: () => void;
  /** Checkpoint: the last position whose effects are committed. */
  position: bigint;
  events: number;
  /** Pages taken in but not yet committed (a batch in progress); null when nothing is staged. */
  staged: { events: number; position: bigint } | null;
  /** True until the first catch-up: only then are pages staged into batches, so live latency never waits. */
  batching: boolean;
}

/**
 * Read and commit sizes for runners in a process that serves no requests (the projector, the rebuild commands,
 * benchmarks). The log is read in small pages, but while catching up the runner keeps one transaction open over
 * pages until `commitEvery` events are in. A journey projection writes a journey closed on the page at once, inside
 * that transaction, and stages the others (their folded state, not their events) until the batch commits: when
 * journeys interleave, as they do in recording order, an open journey's rows are replaced once per batch rather than
 * once per page, and what a batch holds in memory is a small page plus its open journeys. Chosen by measuring both
 * kinds of log (docs/benchmarks.md, "Projections"). The API keeps small pages and commits each: a page is applied
 * synchronously, and a big one would hold its requests back; nor may a query there see a batch half-written.
 */
export const BATCH_RUNNER_OPTIONS = { pageSize: 1_000, commitEvery: 50_000 } as const;

/** The page a rebuild's worker reads: as the batch runners read. */
const BATCH_PAGE_SIZE = BATCH_RUNNER_OPTIONS.pageSize;

export interface RunnerOptions {
  readonly pageSize?: number;
  /**
   * While catching up, commit once this many events are staged rather than at every page (writers that can stage;
   * others commit every page). Defaults to the page size: every page is committed.
   */
  readonly commitEvery?: number;
  /**
   * The same, for a generation being rebuilt beside the one in service (default: `commitEvery`). No query reads that
   * generation before it is swapped in, so even a runner that must commit the generation in service page by page
   * (in a process that serves queries) can commit a rebuild in batches: on a log in recording order that replaces
   * each journey's rows once per batch rather than once per page.
   */
  readonly rebuildCommitEvery?: number;
  readonly logger?: { log(message: object): void; error(message: object): void };
  /** Wall clock for error timestamps only (never used for read-model content). */
  readonly now?: () => Date;
  /**
   * Backoff after a transient failure: `baseMs` doubled at each failed attempt, at most `maxMs`; the attempts are
   * counted until the projection catches up again. Defaults: 250 ms, 30 s.
   */
  readonly retry?: { readonly baseMs?: number; readonly maxMs?: number };
  /** Where retries wait (default: a timer). */
  readonly schedule?: RetryScheduler;
  /**
   * Whether a rebuild of a journey projection on the embedded store reads and folds the log in a worker thread
   * (default true): see `rebuild`.
   */
  readonly rebuildInWorker?: boolean;
  /** Byte budget of the folded states the journey projections of this thread share between pages (default 32 MB). */
  readonly foldCacheBytes?: number;
  /**
   * Called whenever what `status()` answers may have moved (a page committed, a state changed, a rebuild began or
   * ended): a runner in a worker thread posts its status to the thread that serves requests then.
   */
  readonly onChange?: () => void;
}

export interface RebuildRequest {
  /** Past this, the rebuild is stopped, its generation dropped, and `rebuild` rejects with RebuildTimeoutError. */
  readonly budgetMs?: number;
}

/**
 * Runs one projection: catch-up from its checkpoint, then live, one transaction per page holding both the rows
 * and the checkpoint. A failing event stops this projection only, is reported with the event, and is retried
 * from the checkpoint by `resume()` (after a fix) or at the next start; nothing is skipped. A transient failure
 * (failureKind) is retried from the checkpoint by the runner itself, with backoff; a damaged file is replaced by a
 * fresh generation built from the log.
 */
export class ProjectionRunner {
  private live: Generation | null = null;
  private subscription: Subscription | null = null;
  private state: ProjectionState = 'stopped';
  private lastError: ProjectionError | null = null;
  private readonly waiters = new PositionWaiters();
  private rebuilding: Rebuilding | null = null;
  private lastRebuild: RebuildOutcome | null = null;
  private head = 0n;
  private readonly pageSize: number;
  private readonly commitEvery: number;
  private readonly rebuildCommitEvery: number;
  private readonly schedule: RetryScheduler;
  /** Failed attempts since the projection was last caught up (the backoff's exponent). */
  private attempts = 0;
  private pendingRetry: {
    attempt: number;
    delayMs: number;
    at: string;
    handle: { cancel(): void };
  } | null = null;

  constructor(
    private readonly store: EventStore,
    readonly definition: ProjectionDefinition,
    private readonly files: ReadModelFiles,
    private readonly options: RunnerOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 2000;
    this.commitEvery = options.commitEvery ?? this.pageSize;
    this.rebuildCommitEvery = options.rebuildCommitEvery ?? this.commitEvery;
    this.schedule = options.schedule ?? realScheduler;
  }

  get name(): string {
    return this.definition.name;
  }

  /** Opens the generation in service (building generation 1, or rebuilding on a version change) and subscribes. */
  async start(): Promise<void> {
    this.head = await this.store.headPosition();
    const current = this.files.current(this.name);
    if (current && current.version === this.definition.version) {
      try {
        this.live = this.openGeneration(current.generation);
      } catch (error) {
        if (failureKind(error) !== 'damaged') throw error;
        // The file in service cannot be read: nothing is served until a fresh generation has caught up.
        this.state = 'starting';
        this.repair(error);
        return;
      }
      this.state = 'starting';
      this.subscribeLive();
      return;
    }
    // First start, or the definition changed: build a fresh generation, then serve it.
    const generation = this.files.nextGeneration(this.name);
    this.files.remove(this.name, generation);
    this.live = this.openGeneration(generation);
    this.files.promote(this.name, generation, this.definition.version);
    if (current) this.files.remove(this.name, current.generation);
    this.state = 'starting';
    this.subscribeLive();
  }

  async stop(): Promise<void> {
    this.cancelRetry();
    // A rebuild may take long: it is stopped rather than waited for (its generation is dropped).
    const rebuilding = this.rebuilding;
    rebuilding?.abort(new RebuildStoppedError(this.name));
    await rebuilding?.done.catch(() => undefined);
    await rebuilding?.settled;
    await this.subscription?.stop();
    this.subscription = null;
    this.state = 'stopped';
    this.live?.db.close();
    this.live = null;
    this.waiters.rejectAll(`projection ${this.name} stopped`);
    this.changed();
  }

  /**
   * Retries from the checkpoint after a failure (once the cause is fixed), or now rather than at the next
   * scheduled retry.
   */
  resume(): void {
    if ((this.state !== 'failed' && this.state !== 'retrying') || !this.live) return;
    this.cancelRetry();
    this.attempts = 0;
    this.lastError = null;
    this.restartFromCheckpoint();
  }

  /** The tables the generation in service was built with (what `checkReadModel` looks for). */
  tables(): readonly string[] {
    return this.live?.tables ?? [];
  }

  /** The database queries read: always a complete, caught-up-at-least-once generation. */
  reader(): Database.Database {
    if (this.state === 'repairing')
      throw new ProjectionUnavailableError(this.name, 'is being rebuilt: its read-model file was damaged');
    if (!this.live) throw new ProjectionUnavailableError(this.name, 'is not running');
    return this.live.db;
  }

  /**
   * Reads the generation in service afresh from its file (a connection's cache can hide a file overwritten under
   * it) and checks every table it was built with. A damaged file is put under repair at once. Returns what is
   * wrong, or null.
   */
  checkReadModel(options: { thorough?: boolean } = {}): string | null {
    if (this.state === 'repairing') return this.lastError?.message ?? 'being repaired';
    const live = this.live;
    if (!live) return null;
    let problem: string | null;
    try {
      problem = this.files.inspect(this.name, live.generation, live.tables, options);
    } catch (error) {
      // A failure to look (no file handles left, a lock) says nothing about the file itself.
      if (failureKind(error) !== 'damaged') return null;
      problem = error instanceof Error ? error.message : String(error);
    }
    if (problem === null) return null;
    this.repair(new Error(`read-model file damaged: ${problem}`));
    return this.lastError?.message ?? problem;
  }

  /**
   * A query on `reader()` failed: if the failure says the file is damaged and a check of the file agrees, the
   * projection is put under repair and true is returned (the query may answer "unavailable", not "error").
   */
  noticeQueryFailure(error: unknown): boolean {
    if (failureKind(error) !== 'damaged') return false;
    if (this.state === 'repairing') return true;
    // Damage codes name no file, and a corrupt page may be one a quick look does not read: then every page is read.
    const code = (error as { code?: unknown }).code;
    return this.checkReadModel({ thorough: typeof code === 'string' && DAMAGED_SQLITE.test(code) }) !== null;
  }

  status(): ProjectionStatus {
    return runnerStatus({
      name: this.name,
      version: this.definition.version,
      generation: this.live?.generation ?? 0,
      state: this.state,
      position: this.live?.position ?? 0n,
      head: this.head,
      events: this.live?.events ?? 0,
      lastError: this.lastError,
      rebuild: this.rebuilding
        ? {
            generation: this.rebuilding.generation,
            position: this.rebuilding.position(),
            where: this.rebuilding.where,
          }
        : null,
      lastRebuild: this.lastRebuild,
      retry: this.pendingRetry,
    });
  }

  /** Resolves once every event up to `position` is reflected in the served read model. */
  waitFor(position: bigint): Promise<void> {
    if (this.state === 'failed')
      return Promise.reject(new Error(`projection ${this.name} failed: ${this.lastError?.message}`));
    if (this.live && this.live.position >= position) return Promise.resolve();
    return this.waiters.wait(position);
  }

  /**
   * Builds a new generation from position 0 beside the live one and swaps it in once it has caught up; queries
   * keep answering from the old generation meanwhile, and writes go on. Resolves when the new generation is in
   * service; a rebuild already under way is joined.
   *
   * For a journey projection on the embedded store the log is read and folded up to the head found in a worker
   * thread on a connection of its own (startJourneyRebuild), this thread writing the rows it derives in short
   * stretches: a request-serving process keeps its event loop. The generation is then opened here and follows the
   * log from its checkpoint, as after a restart, until it catches up, and is swapped in as an in-process rebuild's.
   * Past `budgetMs` the rebuild is stopped and its generation dropped (RebuildTimeoutError); the generation in
   * service stays. The outcome is kept in the status (`lastRebuild`).
   */
  rebuild(request: RebuildRequest = {}): Promise<void> {
    if (this.rebuilding) return this.rebuilding.done;
    const where = this.rebuildsInWorker() ? 'worker' : 'in-process';
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    let ended = false;
    let swapping = false;
    const record: Rebuilding = {
      generation: this.files.nextGeneration(this.name),
      where,
      position: () => 0n,
      abort: () => undefined,
      done,
      settled: done.catch(() => undefined),
    };
    const budget =
      request.budgetMs !== undefined
        ? setTimeout(
            () => record.abort(new RebuildTimeoutError(this.name, request.budgetMs!)),
            request.budgetMs,
          )
        : null;
    const end = (error: Error | null) => {
      if (ended) return;
      ended = true;
      if (budget) clearTimeout(budget);
      if (this.rebuilding === record) this.rebuilding = null;
      this.lastRebuild = {
        outcome: !error
          ? 'rebuilt'
          : error instanceof RebuildTimeoutError
            ? 'timed-out'
            : error instanceof RebuildStoppedError
              ? 'stopped'
              : 'failed',
        generation: record.generation,
        where,
        at: (this.options.now ?? (() => new Date()))().toISOString(),
        message: error ? error.message : null,
      };
      this.changed();
      if (error) {
        this.options.logger?.error({
          msg: 'projection rebuild stopped; the generation in service stays',
          projection: this.name,
          generation: record.generation,
          error: error.message,
        });
        settle.reject(error);
      } else settle.resolve();
    };
    /** Takes `target` from its checkpoint to the log head, then swaps it in for the generation in service. */
    const follow = (target: Generation) => {
      record.position = () => target.position;
      let stopping = false;
      const drop = () => {
        if (target.db.open) target.db.close();
        this.files.remove(this.name, target.generation);
      };
      const subscription = this.store.subscribeToAll(
        {
          after: target.position,
          filter: { streamPrefixes: this.definition.streamPrefixes },
          pageSize: this.pageSize,
        },
        {
          onEvents: (events, lastPosition) => (stopping ? undefined : target.commit(events, lastPosition)),
          onCaughtUp: (position) => {
            if (stopping) return;
            target.flush(position);
            if (swapping) return this.caughtUp(position);
            swapping = true;
            if (budget) clearTimeout(budget);
            // A generation the workers built up to the head may be caught up at once, before `subscribeToAll` has
            // even returned: the swap waits for a microtask, by which time `subscription` is set.
            Promise.resolve()
              .then(() => this.swapIn(target, subscription))
              .then(
                () => end(null),
                (error: unknown) => end(error instanceof Error ? error : new Error(String(error))),
              );
          },
          onError: (error) => {
            if (swapping) {
              // This subscription now feeds the generation in service: a failure there is the live one's.
              target.discard();
              this.onLiveError(error);
              return;
            }
            if (stopping) return;
            stopping = true;
            drop();
            end(error instanceof Error ? error : new Error(String(error)));
          },
        },
      );
      record.abort = (reason) => {
        if (swapping || stopping) return;
        stopping = true;
        end(reason);
        // The subscription may be inside a page: the file is dropped once it has stopped.
        record.settled = subscription.stop().then(drop, drop);
      };
    };
    const open = (generation: number): Generation | null => {
      try {
        return this.openGeneration(generation, this.rebuildCommitEvery);
      } catch (error) {
        this.files.remove(this.name, generation);
        end(error instanceof Error ? error : new Error(String(error)));
        return null;
      }
    };
    this.rebuilding = record;
    if (where === 'in-process') {
      this.files.remove(this.name, record.generation);
      const target = open(record.generation);
      if (target) follow(target);
      this.changed();
      return done;
    }
    const offThread: JourneyRebuildHandle = startJourneyRebuild(
      this.store as SqliteEventStore,
      this.files,
      [this.definition as JourneyProjectionDefinition],
      { pageSize: BATCH_PAGE_SIZE, commitEvery: this.rebuildCommitEvery, workers: 1, promote: false },
    );
    record.generation = offThread.generations[0]!;
    record.position = () => BigInt(offThread.statuses()[0]?.rebuild?.position ?? '0');
    record.abort = (reason) => {
      offThread.abort(reason);
      end(reason);
    };
    record.settled = offThread.done;
    void offThread.done.then(() => {
      const built = offThread.built()[0];
      if (ended) {
        // Stopped meanwhile: a generation the workers completed all the same is not put in service.
        if (built) this.files.remove(this.name, built.generation);
        return;
      }
      if (!built) {
        const report = offThread.statuses()[0]?.lastError ?? projectionError(new Error('rebuild failed'));
        end(new RebuildFailedError(this.name, report, offThread.causes()[0]));
        return;
      }
      const target = open(built.generation);
      if (target) follow(target);
    });
    this.changed();
    return done;
  }

  /** A journey projection CarePath registers (a worker finds it by name), on the embedded store. */
  private rebuildsInWorker(): boolean {
    return (
      this.options.rebuildInWorker !== false &&
      this.store instanceof SqliteEventStore &&
      isJourneyProjection(this.definition) &&
      ALL_PROJECTIONS.includes(this.definition)
    );
  }

  private async swapIn(target: Generation, subscription: Subscription): Promise<void> {
    const old = this.live;
    const oldSubscription = this.subscription;
    await oldSubscription?.stop();
    this.live = target;
    this.subscription = subscription;
    this.rebuilding = null;
    this.files.promote(this.name, target.generation, this.definition.version);
    this.lastError = null;
    this.attempts = 0;
    this.cancelRetry();
    this.state = 'live';
    if (old) {
      old.db.close();
      this.files.remove(this.name, old.generation);
    }
    this.options.logger?.log({
      msg: 'projection rebuilt',
      projection: this.name,
      generation: target.generation,
      position: target.position.toString(),
    });
    this.caughtUp(target.position);
  }

  private subscribeLive(): void {
    const live = this.live!;
    this.subscription = this.store.subscribeToAll(
      {
        after: live.position,
        filter: { streamPrefixes: this.definition.streamPrefixes },
        pageSize: this.pageSize,
      },
      {
        onEvents: async (events, lastPosition) => {
          if (this.state === 'starting') this.state = 'catching-up';
          const served = this.servedInstead(live);
          if (served !== null) throw new GenerationReplacedError(this.name, live.generation, served);
          await live.commit(events, lastPosition);
          this.release();
        },
        onCaughtUp: (position) => {
          live.flush(position);
          if (this.attempts > 0) {
            this.options.logger?.log({
              msg: 'projection recovered',
              projection: this.name,
              attempts: this.attempts,
              error: this.lastError?.message,
            });
          }
          this.attempts = 0;
          this.lastError = null;
          this.state = 'live';
          this.caughtUp(position);
        },
        onError: (error) => {
          // Whatever failed, a batch in progress is rolled back now rather than left open until a resume.
          try {
            live.discard();
          } catch {
            // A damaged or unwritable file may refuse even the rollback; the retry or the repair starts over anyway.
          }
          this.onLiveError(error);
        },
      },
    );
  }

  /**
   * The generation the catalog names when it is not `live`'s: the operator's rebuild command, in another process,
   * built one and put it in service, and removed the file this runner writes. Writing on there would go to a file
   * nobody reads (its name unlinked) while the one in service stood still. Not while this runner rebuilds, since
   * it then puts its own in service.
   */
  private servedInstead(live: Generation): number | null {
    if (this.rebuilding) return null;
    const current = this.files.current(this.name);
    if (!current || current.generation === live.generation) return null;
    if (current.version !== this.definition.version)
      throw new Error(
        `${this.name}: generation ${current.generation} in service was built by version ${current.version}, this runner is version ${this.definition.version}`,
      );
    return current.generation;
  }

  /** Writes on in the generation in service from its checkpoint (docs/operations.md, "Projections and read models"). */
  private follow(generation: number): void {
    const old = this.live!;
    try {
      this.live = this.openGeneration(generation);
    } catch (error) {
      this.onLiveError(error);
      return;
    }
    old.db.close();
    this.options.logger?.log({
      msg: 'projection follows the generation another process put in service',
      projection: this.name,
      generation,
      position: this.live.position.toString(),
    });
    this.state = 'starting';
    this.changed();
    this.subscribeLive();
  }

  /** Every failure of the generation in service comes here: retried, repaired, or reported as failed. */
  private onLiveError(error: unknown): void {
    if (this.state === 'stopped') return;
    if (error instanceof GenerationReplacedError) return this.follow(error.served);
    const kind = failureKind(error);
    if (kind === 'damaged') this.repair(error);
    else if (kind === 'transient') this.retryLater(error, () => this.restartFromCheckpoint());
    else this.fail(error);
  }

  /** Reads the checkpoint again and follows the log from there (whatever was applied past it rolled back). */
  private restartFromCheckpoint(): void {
    const live = this.live!;
    try {
      // A failure outside the writer (reading the log) may have left a batch open: it is read again.
      live.discard();
      live.position = this.readCheckpoint(live.db).position;
    } catch (error) {
      this.onLiveError(error);
      return;
    }
    this.state = 'starting';
    this.changed();
    this.subscribeLive();
  }

  private retryLater(error: unknown, retry: () => void, state: ProjectionState = 'retrying'): void {
    this.cancelRetry();
    this.attempts++;
    const delayMs = retryDelayMs(this.attempts, this.options.retry);
    this.state = state;
    this.lastError = projectionError(error, this.options.now);
    const now = (this.options.now ?? (() => new Date()))();
    const at = new Date(now.getTime() + delayMs).toISOString();
    this.options.logger?.error({
      msg: 'projection paused on a transient failure; retrying',
      projection: this.name,
      attempt: this.attempts,
      delayMs,
      ...this.lastError,
    });
    const handle = this.schedule(() => {
      if (this.pendingRetry?.handle !== handle) return;
      this.pendingRetry = null;
      retry();
    }, delayMs);
    this.pendingRetry = { attempt: this.attempts, delayMs, at, handle };
    this.changed();
  }

  private cancelRetry(): void {
    this.pendingRetry?.handle.cancel();
    this.pendingRetry = null;
  }

  /**
   * The generation in service is damaged: stop feeding it and build a fresh one from the log; queries are refused
   * (reader) until it is swapped in. A repair that fails on the environment is retried; one that fails otherwise
   * leaves the projection failed (a damage that a fresh file does not cure is not the file's).
   */
  private repair(cause: unknown): void {
    if (this.state === 'repairing' || this.state === 'stopped') return;
    this.cancelRetry();
    this.state = 'repairing';
    this.lastError = projectionError(cause, this.options.now);
    this.changed();
    this.options.logger?.error({
      msg: 'read model damaged: rebuilding it in a fresh generation',
      projection: this.name,
      generation: this.live?.generation ?? null,
      ...this.lastError,
    });
    this.runRepair();
  }

  private runRepair(): void {
    const subscription = this.subscription;
    this.subscription = null;
    const run = async () => {
      await subscription?.stop();
      await this.rebuild();
    };
    run().catch((error: unknown) => {
      if (this.state === 'stopped') return;
      if (failureKind(error) === 'transient') this.retryLater(error, () => this.runRepair(), 'repairing');
      else this.fail(error);
    });
  }

  private caughtUp(position: bigint): void {
    if (this.live && position > this.live.position) this.live.position = position;
    if (position > this.head) this.head = position;
    this.release();
  }

  private release(): void {
    const position = this.live?.position ?? 0n;
    if (position > this.head) this.head = position;
    this.waiters.reached(position);
    this.changed();
  }

  private changed(): void {
    this.options.onChange?.();
  }

  private fail(error: unknown): void {
    this.cancelRetry();
    this.state = 'failed';
    this.lastError = projectionError(error, this.options.now);
    this.options.logger?.error({
      msg: 'projection stopped on an event',
      projection: this.name,
      ...this.lastError,
    });
    this.waiters.rejectAll(`projection ${this.name} failed: ${this.lastError.message}`);
    this.changed();
  }

  private openGeneration(generation: number, commitEvery = this.commitEvery): Generation {
    const db = this.files.open(this.name, generation, this.definition.schema);
    let tables: string[];
    try {
      tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all() as string[];
    } catch (error) {
      db.close();
      throw error;
    }
    const writer = this.definition.open(db, {
      readStream: (streamId) => this.store.readStream(streamId),
      store: this.store,
      foldCacheBytes: this.options.foldCacheBytes,
    });
    // The last runner to open a generation for writing owns its checkpoint: a commit checks it still does, in the
    // same transaction. A projector whose lease another took while it was paused (docs/scaling.md, "Projectors that
    // share work") finds its token gone and writes nothing, so no page is applied twice.
    const token = randomUUID();
    db.prepare('UPDATE checkpoint SET writer = ? WHERE id = 1').run(token);
    const saveCheckpoint = db.prepare(
      'UPDATE checkpoint SET position = ?, events = events + ? WHERE id = 1 AND writer = ?',
    );
    const checkpoint = this.readCheckpoint(db);
    const apply = db.transaction((events: readonly StoredEvent[], lastPosition: bigint, count: number) => {
      writer.apply(events);
      if (saveCheckpoint.run(lastPosition, count, token).changes !== 1) {
        throw new ReadModelTakenError(this.name, generation);
      }
    });
    const stage = writer.stage?.bind(writer);
    // A batch is one transaction held open over several pages: only where no query reads this generation (a process
    // that serves none, or a generation being rebuilt), since a query on this connection would see it half-written.
    const beginBatch = db.prepare('BEGIN');
    const commitBatch = db.prepare('COMMIT');
    const rollbackBatch = db.prepare('ROLLBACK');
    /** Whatever went wrong, nothing staged or half-applied survives: a retry starts again from the checkpoint. */
    const discard = () => {
      target.staged = null;
      if (db.open && db.inTransaction) rollbackBatch.run();
      writer.rollback?.();
    };
    const discarding = <T>(run: () => T): T => {
      try {
        return run();
      } catch (error) {
        discard();
        throw error;
      }
    };
    /** Commits the staged pages and `events` (possibly none) with the checkpoint at `lastPosition`. */
    const write = (events: readonly StoredEvent[], lastPosition: bigint) => {
      const count = (target.staged?.events ?? 0) + events.length;
      const at =
        target.staged && target.staged.position > lastPosition ? target.staged.position : lastPosition;
      discarding(() => {
        // Inside an open batch, `apply` nests as a savepoint; the batch's own COMMIT then makes it all durable.
        if (count > 0) apply(events, at, count);
        if (db.inTransaction) commitBatch.run();
      });
      target.staged = null;
      target.events += count;
      if (at > target.position) target.position = at;
      writer.committed?.();
    };
    /** Whether this generation has caught up with the log once (`flush`): its building days are over. */
    let caughtUp = false;
    const target: Generation = {
      generation,
      db,
      tables,
      writer,
      position: checkpoint.position,
      events: checkpoint.events,
      staged: null,
      batching: commitEvery > this.pageSize,
      commit: async (events, lastPosition) => {
        // Events at or below the checkpoint (or already staged) were taken in already, a redelivered page: skip them.
        const after = target.staged?.position ?? target.position;
        const fresh = events.filter((e) => e.position > after);
        if (fresh.length > 0) {
          try {
            await writer.prepare?.(fresh);
          } catch (error) {
            discard();
            throw error;
          }
        }
        const pending = (target.staged?.events ?? 0) + fresh.length;
        if (stage && target.batching && !batchIsFull(pending, commitEvery, writer)) {
          discarding(() => {
            if (fresh.length > 0 && !db.inTransaction) beginBatch.run();
            stage(fresh);
          });
          target.staged = { events: pending, position: lastPosition > after ? lastPosition : after };
          return;
        }
        write(fresh, lastPosition);
      },
      flush: (position) => {
        if (!caughtUp) {
          caughtUp = true;
          this.files.caughtUp(db);
        }
        target.batching = false;
        write([], position);
      },
      discard,
    };
    return target;
  }

  private readCheckpoint(db: Database.Database): { position: bigint; events: number } {
    const row = db
      .prepare('SELECT position, events FROM checkpoint WHERE id = 1')
      .safeIntegers(true)
      .get() as {
      position: bigint;
      events: bigint;
    };
    return { position: row.position, events: Number(row.events) };
  }
}
