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
  readonly commit: (events: readonly StoredEvent[], lastPosition: bigint) => Promise<void>;
  position: bigint;
  events: number;
}

/**
 * Page size for runners in a process that serves no requests (the projector, the rebuild commands, benchmarks).
 * When journeys interleave in the log, as they do in recording order, a journey's rows are replaced once per page
 * it appears in, so bigger pages mean fewer replacements and fewer commits: a simulated log in recording order
 * rebuilds about 1.3x faster with 20,000-event pages than with 5,000 and 1.6x faster than with 2,000, while the
 * benchmark's log of whole journeys rebuilds as fast with any of the three (docs/benchmarks.md, "Projections").
 * The API keeps the default: a page is applied synchronously, and a big one would hold its requests back.
 */
export const BATCH_PAGE_SIZE = 20_000;

export interface RunnerOptions {
  readonly pageSize?: number;
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

  constructor(
    private readonly store: EventStore,
    readonly definition: ProjectionDefinition,
    private readonly files: ReadModelFiles,
    private readonly options: RunnerOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 2000;
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
    const target = this.openGeneration(generation);
    const done = new Promise<void>((resolve, reject) => {
      let swapped = false;
      const subscription = this.store.subscribeToAll(
        { after: 0n, filter: { streamPrefixes: this.definition.streamPrefixes }, pageSize: this.pageSize },
        {
          onEvents: (events, lastPosition) => target.commit(events, lastPosition),
          onCaughtUp: (position) => {
            target.position = position > target.position ? position : target.position;
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
          this.state = 'live';
          this.caughtUp(position);
        },
        onError: (error) => this.fail(error),
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
    const event = error instanceof ProjectionEventError ? error.event : null;
    this.lastError = {
      message: error instanceof Error ? error.message : String(error),
      eventId: event?.id ?? null,
      eventType: event?.type ?? null,
      streamId: event?.streamId ?? null,
      position: event ? event.position.toString() : null,
      at: (this.options.now ?? (() => new Date()))().toISOString(),
    };
    this.options.logger?.error({
      msg: 'projection stopped on an event',
      projection: this.name,
      ...this.lastError,
    });
    for (const w of this.waiters.splice(0))
      w.reject(new Error(`projection ${this.name} failed: ${this.lastError.message}`));
  }

  private openGeneration(generation: number): Generation {
    const db = this.files.open(this.name, generation, this.definition.schema);
    const writer = this.definition.open(db, {
      readStream: (streamId) => this.store.readStream(streamId),
      store: this.store,
    });
    const saveCheckpoint = db.prepare('UPDATE checkpoint SET position = ?, events = events + ? WHERE id = 1');
    const checkpoint = this.readCheckpoint(db);
    const target: Generation = {
      generation,
      db,
      writer,
      position: checkpoint.position,
      events: checkpoint.events,
      commit: async (events, lastPosition) => {
        // Events at or below the checkpoint were applied already (a redelivered page): skip them.
        const fresh = events.filter((e) => e.position > target.position);
        if (fresh.length > 0) {
          await writer.prepare?.(fresh);
          try {
            apply(fresh, lastPosition);
          } catch (error) {
            writer.rollback?.();
            throw error;
          }
          target.events += fresh.length;
        }
        if (lastPosition > target.position) target.position = lastPosition;
      },
    };
    const apply = db.transaction((events: readonly StoredEvent[], lastPosition: bigint) => {
      writer.apply(events);
      saveCheckpoint.run(lastPosition, events.length);
    });
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
