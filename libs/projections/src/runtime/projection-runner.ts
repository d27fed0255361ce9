import type Database from 'better-sqlite3';
import type { EventStore, StoredEvent, Subscription } from '@carepath/event-store';
import { type ProjectionDefinition, ProjectionEventError, type ProjectionWriter } from './projection';
import type { ReadModelFiles } from './read-model-files';

export type ProjectionState = 'starting' | 'catching-up' | 'live' | 'failed' | 'stopped';

export interface ProjectionError {
  readonly message: string;
  readonly eventId: string | null;
  readonly eventType: string | null;
  readonly streamId: string | null;
  readonly position: string | null;
  readonly at: string;
}

/** A failure as a status reports it, naming the event when it is tied to one (ProjectionEventError). */
export function projectionError(error: unknown, now: () => Date = () => new Date()): ProjectionError {
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
  readonly rebuild: { readonly generation: number; readonly position: string } | null;
}

interface Generation {
  readonly generation: number;
  readonly db: Database.Database;
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
}

/**
 * Runs one projection: catch-up from its checkpoint, then live, one transaction per page holding both the rows
 * and the checkpoint. A failing event stops this projection only, is reported with the event, and is retried
 * from the checkpoint by `resume()` (after a fix) or at the next start; nothing is skipped.
 */
export class ProjectionRunner {
  private live: Generation | null = null;
  private subscription: Subscription | null = null;
  private state: ProjectionState = 'stopped';
  private lastError: ProjectionError | null = null;
  private waiters: { position: bigint; resolve: () => void; reject: (e: Error) => void }[] = [];
  private rebuilding: { generation: number; target: Generation; done: Promise<void> } | null = null;
  private head = 0n;
  private readonly pageSize: number;
  private readonly commitEvery: number;
  private readonly rebuildCommitEvery: number;

  constructor(
    private readonly store: EventStore,
    readonly definition: ProjectionDefinition,
    private readonly files: ReadModelFiles,
    private readonly options: RunnerOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 2000;
    this.commitEvery = options.commitEvery ?? this.pageSize;
    this.rebuildCommitEvery = options.rebuildCommitEvery ?? this.commitEvery;
  }

  get name(): string {
    return this.definition.name;
  }

  /** Opens the generation in service (building generation 1, or rebuilding on a version change) and subscribes. */
  async start(): Promise<void> {
    this.head = await this.store.headPosition();
    const current = this.files.current(this.name);
    if (current && current.version === this.definition.version) {
      this.live = this.openGeneration(current.generation);
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
    await this.rebuilding?.done.catch(() => undefined);
    await this.subscription?.stop();
    this.subscription = null;
    this.state = 'stopped';
    this.live?.db.close();
    this.live = null;
    for (const w of this.waiters.splice(0)) w.reject(new Error(`projection ${this.name} stopped`));
  }

  /** Retries from the checkpoint after a failure (e.g. once the cause is fixed or was transient). */
  resume(): void {
    if (this.state !== 'failed' || !this.live) return;
    // A failure outside the writer (reading the log) may have left a batch open: it is read again.
    this.live.discard();
    const checkpoint = this.readCheckpoint(this.live.db);
    this.live.position = checkpoint.position;
    this.lastError = null;
    this.state = 'starting';
    this.subscribeLive();
  }

  /** The database queries read: always a complete, caught-up-at-least-once generation. */
  reader(): Database.Database {
    if (!this.live) throw new Error(`projection ${this.name} is not running`);
    return this.live.db;
  }

  status(): ProjectionStatus {
    const position = this.live?.position ?? 0n;
    const head = this.head > position ? this.head : position;
    return {
      name: this.name,
      version: this.definition.version,
      generation: this.live?.generation ?? 0,
      state: this.state,
      position: position.toString(),
      headPosition: head.toString(),
      lag: (head - position).toString(),
      eventsApplied: this.live?.events ?? 0,
      lastError: this.lastError,
      rebuild: this.rebuilding
        ? { generation: this.rebuilding.generation, position: this.rebuilding.target.position.toString() }
        : null,
    };
  }

  /** Resolves once every event up to `position` is reflected in the served read model. */
  waitFor(position: bigint): Promise<void> {
    if (this.state === 'failed')
      return Promise.reject(new Error(`projection ${this.name} failed: ${this.lastError?.message}`));
    if (this.live && this.live.position >= position) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ position, resolve, reject }));
  }

  /**
   * Builds a new generation from position 0 beside the live one and swaps it in once it has caught up; queries
   * keep answering from the old generation meanwhile. Resolves when the new generation is in service.
   */
  rebuild(): Promise<void> {
    if (this.rebuilding) return this.rebuilding.done;
    const generation = this.files.nextGeneration(this.name);
    this.files.remove(this.name, generation);
    const target = this.openGeneration(generation, this.rebuildCommitEvery);
    const done = new Promise<void>((resolve, reject) => {
      let swapped = false;
      const subscription = this.store.subscribeToAll(
        { after: 0n, filter: { streamPrefixes: this.definition.streamPrefixes }, pageSize: this.pageSize },
        {
          onEvents: (events, lastPosition) => target.commit(events, lastPosition),
          onCaughtUp: (position) => {
            target.flush(position);
            if (swapped) return this.caughtUp(position);
            swapped = true;
            this.swapIn(target, subscription).then(resolve, reject);
          },
          onError: (error) => {
            this.rebuilding = null;
            target.db.close();
            this.files.remove(this.name, generation);
            if (swapped) this.fail(error);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        },
      );
    });
    this.rebuilding = { generation, target, done };
    return done;
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
          await live.commit(events, lastPosition);
          this.release();
        },
        onCaughtUp: (position) => {
          live.flush(position);
          this.state = 'live';
          this.caughtUp(position);
        },
        onError: (error) => {
          // Whatever failed, a batch in progress is rolled back now rather than left open until a resume.
          live.discard();
          this.fail(error);
        },
      },
    );
  }

  private caughtUp(position: bigint): void {
    if (this.live && position > this.live.position) this.live.position = position;
    if (position > this.head) this.head = position;
    this.release();
  }

  private release(): void {
    const position = this.live?.position ?? 0n;
    if (position > this.head) this.head = position;
    const ready = this.waiters.filter((w) => w.position <= position);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.position > position);
    for (const w of ready) w.resolve();
  }

  private fail(error: unknown): void {
    this.state = 'failed';
    this.lastError = projectionError(error, this.options.now);
    this.options.logger?.error({
      msg: 'projection stopped on an event',
      projection: this.name,
      ...this.lastError,
    });
    for (const w of this.waiters.splice(0))
      w.reject(new Error(`projection ${this.name} failed: ${this.lastError.message}`));
  }

  private openGeneration(generation: number, commitEvery = this.commitEvery): Generation {
    const db = this.files.open(this.name, generation, this.definition.schema);
    const writer = this.definition.open(db, {
      readStream: (streamId) => this.store.readStream(streamId),
      store: this.store,
    });
    const saveCheckpoint = db.prepare('UPDATE checkpoint SET position = ?, events = events + ? WHERE id = 1');
    const checkpoint = this.readCheckpoint(db);
    const apply = db.transaction((events: readonly StoredEvent[], lastPosition: bigint, count: number) => {
      writer.apply(events);
      saveCheckpoint.run(lastPosition, count);
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
    };
    const target: Generation = {
      generation,
      db,
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
        if (stage && target.batching && pending < commitEvery) {
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
