import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { EventStore, StoredEvent, Subscription } from '@carepath/event-store';
import { batchIsFull, type PortableProjectionDefinition, type ProjectionWriter } from '../projection';
import {
  failureKind,
  type FailureKind,
  projectionError,
  type ProjectionError,
  type ProjectionState,
  type ProjectionStatus,
  ReadModelTakenError,
  type RebuildOutcome,
  type RetryScheduler,
} from '../projection-runner';
import type { SqlReader } from '../sql-reader';
import type { PgReadModels } from './postgres-read-models';
import { PgWrites } from './postgres-writes';
import { PositionWaiters, retryDelayMs, runnerStatus } from '../runner-waiters';

/** SQLSTATE classes that come from the connection or the server's state, not from the data (retried). */
const TRANSIENT_SQLSTATE = /^(08|53|57|58|40001|40P01|55P03)/;
const TRANSIENT_SYSTEM = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** As `failureKind`, knowing PostgreSQL's codes too: a lost connection or a full server is retried. */
export function pgFailureKind(error: unknown): FailureKind {
  const seen = new Set<unknown>();
  for (let e: unknown = error; typeof e === 'object' && e !== null && !seen.has(e);) {
    seen.add(e);
    const { code, cause, message } = e as { code?: unknown; cause?: unknown; message?: unknown };
    if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_SYSTEM.has(code)))
      return 'transient';
    if (typeof message === 'string' && /Connection terminated|connection timeout/i.test(message))
      return 'transient';
    e = cause;
  }
  const kind = failureKind(error);
  // A "damaged" verdict reads SQLite's codes: a PostgreSQL read model is repaired by a rebuild, asked for.
  return kind === 'damaged' ? 'permanent' : kind;
}

export interface PgRunnerOptions {
  readonly pageSize?: number;
  /** While catching up, commit once this many events are taken in (default: every page). */
  readonly commitEvery?: number;
  /** The same for a rebuild's generation, which no query reads before it is in service (default: `commitEvery`). */
  readonly rebuildCommitEvery?: number;
  readonly logger?: { log(message: object): void; error(message: object): void };
  readonly now?: () => Date;
  readonly retry?: { readonly baseMs?: number; readonly maxMs?: number };
  readonly schedule?: RetryScheduler;
  readonly foldCacheBytes?: number;
}

const realScheduler: RetryScheduler = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  return { cancel: () => clearTimeout(timer) };
};

/** One generation being written: its writer, the writes it queued, and how far it is committed. */
interface PgGeneration {
  readonly generation: number;
  readonly schema: string;
  readonly writer: ProjectionWriter;
  readonly writes: PgWrites;
  /** Names this runner in the checkpoint: a commit finds it there or writes nothing (ReadModelTakenError). */
  readonly token: string;
  readonly commitEvery: number;
  position: bigint;
  events: number;
  /** The events its checkpoint held when this runner opened it: what a catch-up took in is counted from here. */
  eventsAtOpen: number;
  staged: { events: number; position: bigint } | null;
  batching: boolean;
}

/**
 * Runs one projection into PostgreSQL (docs/scaling.md, "Read models in PostgreSQL"): the same writer as on the
 * embedded store, its writes queued per page (or per batch while catching up) and sent with the checkpoint in one
 * transaction, so a page is applied entirely or not at all, and a redelivered one is skipped by its position. The
 * checkpoint names the runner that last opened the generation: a runner whose lease another projector took finds
 * its name gone and writes nothing. A rebuild builds a new generation's schema beside the one in service and swaps
 * it in, catalog and views, in one transaction.
 */
export class PgProjectionRunner {
  private live: PgGeneration | null = null;
  private subscription: Subscription | null = null;
  private state: ProjectionState = 'stopped';
  private lastError: ProjectionError | null = null;
  private lastRebuild: RebuildOutcome | null = null;
  private rebuilding: { generation: number; position: () => bigint; done: Promise<void> } | null = null;
  private readonly waiters = new PositionWaiters();
  private head = 0n;
  private attempts = 0;
  private pendingRetry: { attempt: number; delayMs: number; at: string; handle: { cancel(): void } } | null =
    null;
  /** Work started outside the subscription's own calls (a batch committed on catching up): the next page waits on it. */
  private chain: Promise<void> = Promise.resolve();
  private readonly pageSize: number;
  private readonly schedule: RetryScheduler;

  constructor(
    private readonly store: EventStore,
    readonly definition: PortableProjectionDefinition,
    private readonly models: PgReadModels,
    private readonly options: PgRunnerOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 2000;
    this.schedule = options.schedule ?? realScheduler;
  }

  get name(): string {
    return this.definition.name;
  }

  /** Opens the generation in service (building the first, or a fresh one on a version change) and follows the log. */
  async start(): Promise<void> {
    this.state = 'starting';
    this.head = await this.store.headPosition();
    const current = await this.models.current(this.name);
    if (current && current.version === this.definition.version) {
      this.live = await this.openGeneration(current.generation, this.options.commitEvery);
    } else {
      const generation = await this.models.nextGeneration(this.name);
      this.live = await this.openGeneration(generation, this.options.commitEvery);
      await this.models.promote(this.name, generation, this.definition.version, this.definition.tables);
      if (current) await this.models.remove(this.name, current.generation);
    }
    this.subscribeLive();
  }

  async stop(): Promise<void> {
    this.pendingRetry?.handle.cancel();
    this.pendingRetry = null;
    this.state = 'stopped';
    await this.subscription?.stop();
    this.subscription = null;
    await this.chain.catch(() => undefined);
    await this.rebuilding?.done.catch(() => undefined);
    this.live = null;
    this.waiters.rejectAll(`projection ${this.name} stopped`);
  }

  /** Retries from the checkpoint after a failure, or now rather than at the scheduled retry. */
  resume(): void {
    if ((this.state !== 'failed' && this.state !== 'retrying') || !this.live) return;
    this.pendingRetry?.handle.cancel();
    this.pendingRetry = null;
    this.attempts = 0;
    this.lastError = null;
    // Not failed from here on: a wait begun now waits for the restart rather than seeing the old failure.
    this.state = 'starting';
    void this.restartFromCheckpoint();
  }

  /** What queries read: the read model's views, always the generation in service. */
  reader(): SqlReader {
    return this.models.reader(this.name);
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
            where: 'in-process',
          }
        : null,
      lastRebuild: this.lastRebuild,
      retry: this.pendingRetry,
    });
  }

  /** Resolves once every event up to `position` is committed to the generation in service. */
  waitFor(position: bigint): Promise<void> {
    if (this.state === 'failed')
      return Promise.reject(new Error(`projection ${this.name} failed: ${this.lastError?.message}`));
    if (this.live && this.live.position >= position) return Promise.resolve();
    return this.waiters.wait(position);
  }

  /**
   * Builds a new generation from position 0 in a schema of its own while the one in service keeps answering, then
   * puts it in service (catalog and views in one transaction) and drops the old one. A rebuild under way is joined.
   */
  rebuild(): Promise<void> {
    if (this.rebuilding) return this.rebuilding.done;
    let target: PgGeneration | null = null;
    const record = {
      generation: 0,
      position: () => target?.position ?? 0n,
      done: this.runRebuild((t) => {
        target = t;
        record.generation = t.generation;
      }),
    };
    this.rebuilding = record;
    const clear = () => {
      if (this.rebuilding === record) this.rebuilding = null;
    };
    record.done.then(clear, clear);
    return record.done;
  }

  private async runRebuild(opened: (target: PgGeneration) => void): Promise<void> {
    const now = () => (this.options.now ?? (() => new Date()))().toISOString();
    const generation = await this.models.nextGeneration(this.name);
    try {
      const target = await this.openGeneration(
        generation,
        this.options.rebuildCommitEvery ?? this.options.commitEvery,
      );
      opened(target);
      // Follows the log from 0 to the head in batches; the generation in service is untouched meanwhile.
      await new Promise<void>((resolve, reject) => {
        let caughtUp = false;
        const subscription = this.store.subscribeToAll(
          { after: 0n, filter: { streamPrefixes: this.definition.streamPrefixes }, pageSize: this.pageSize },
          {
            onEvents: (events, lastPosition) => this.commit(target, events, lastPosition),
            onCaughtUp: (position) => {
              if (caughtUp) return;
              caughtUp = true;
              void subscription.stop().then(() => this.commitStaged(target, position).then(resolve, reject));
            },
            onError: reject,
          },
        );
      });
      // Swaps it in: the live subscription stops, the new generation takes its place and follows from its checkpoint.
      const subscription = this.subscription;
      this.subscription = null;
      await subscription?.stop();
      await this.chain.catch(() => undefined);
      // The generation in service, whether this runner follows it or not (a rebuild by the operator's CLI).
      const old = await this.models.current(this.name);
      await this.vacuum(target);
      await this.models.promote(this.name, generation, this.definition.version, this.definition.tables);
      this.live = target;
      if (old && old.generation !== generation) await this.models.remove(this.name, old.generation);
      this.lastRebuild = { outcome: 'rebuilt', generation, where: 'in-process', at: now(), message: null };
      if (this.state !== 'stopped') this.subscribeLive();
    } catch (error) {
      this.lastRebuild = {
        outcome: this.state === 'stopped' ? 'stopped' : 'failed',
        generation,
        where: 'in-process',
        at: now(),
        message: error instanceof Error ? error.message : String(error),
      };
      await this.models.remove(this.name, generation).catch(() => undefined);
      throw error;
    }
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
          await this.chain;
          if (this.state === 'starting') this.state = 'catching-up';
          await this.commit(live, events, lastPosition);
          this.release();
        },
        onCaughtUp: (position) => {
          // Caught up in batches after taking in at least as much of the log as the generation held before (a build
          // from zero, or a long way behind): it is full of replaced rows (vacuum). A restart a little behind is not.
          const built = live.batching;
          this.chain = this.chain
            .then(() => this.commitStaged(live, position))
            .then(() =>
              built && live.events - live.eventsAtOpen >= Math.max(live.eventsAtOpen, 1)
                ? this.vacuum(live)
                : undefined,
            )
            .then(() => {
              live.batching = false;
              if (this.state === 'stopped') return;
              this.attempts = 0;
              this.lastError = null;
              this.state = 'live';
              if (position > live.position) live.position = position;
              if (position > this.head) this.head = position;
              this.release();
            })
            .catch((error: unknown) => this.onLiveError(live, error));
        },
        onError: (error) => this.onLiveError(live, error),
      },
    );
  }

  private onLiveError(live: PgGeneration, error: unknown): void {
    this.discard(live);
    if (this.state === 'stopped' || this.live !== live) return;
    const subscription = this.subscription;
    this.subscription = null;
    void subscription?.stop();
    void this.servedInstead(live).then((generation) => {
      if (this.state === 'stopped' || this.live !== live) return;
      if (generation !== null) void this.follow(generation);
      else if (pgFailureKind(error) === 'transient') this.retryLater(error);
      else this.fail(error);
    });
  }

  /**
   * The generation of this version in service when it is not `live`'s: another process (the operator's rebuild
   * command) built one and put it in service, and dropped the one this runner wrote, whose next commit then failed.
   */
  private async servedInstead(live: PgGeneration): Promise<number | null> {
    const current = await this.models.current(this.name).catch(() => null);
    return current && current.generation !== live.generation && current.version === this.definition.version
      ? current.generation
      : null;
  }

  /**
   * Writes on in the generation in service from its checkpoint: what this runner committed to the old one after the
   * rebuild had read past it is in the new one, or follows from the log (docs/scaling.md, "Rebuilds beside running
   * projectors").
   */
  private async follow(generation: number): Promise<void> {
    try {
      const live = await this.openGeneration(generation, this.options.commitEvery);
      if (this.state === 'stopped') return;
      this.live = live;
      this.options.logger?.log({
        msg: 'projection follows the generation another process put in service',
        projection: this.name,
        generation,
        position: live.position.toString(),
      });
      this.state = 'catching-up';
      this.subscribeLive();
    } catch (error) {
      if (pgFailureKind(error) === 'transient') this.retryLater(error);
      else this.fail(error);
    }
  }

  private async restartFromCheckpoint(): Promise<void> {
    const live = this.live;
    if (!live) return;
    this.discard(live);
    try {
      live.position = (await this.readCheckpoint(live)).position;
    } catch (error) {
      this.onLiveError(live, error);
      return;
    }
    this.state = 'starting';
    this.subscribeLive();
  }

  private retryLater(error: unknown): void {
    this.attempts++;
    const delayMs = retryDelayMs(this.attempts, this.options.retry);
    this.state = 'retrying';
    this.lastError = projectionError(error, this.options.now);
    const at = new Date((this.options.now ?? (() => new Date()))().getTime() + delayMs).toISOString();
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
      void this.restartFromCheckpoint();
    }, delayMs);
    this.pendingRetry = { attempt: this.attempts, delayMs, at, handle };
  }

  private fail(error: unknown): void {
    this.state = 'failed';
    this.lastError = projectionError(error, this.options.now);
    this.options.logger?.error({
      msg: 'projection stopped on an event',
      projection: this.name,
      ...this.lastError,
    });
    this.waiters.rejectAll(`projection ${this.name} failed: ${this.lastError.message}`);
  }

  private async vacuum(target: PgGeneration): Promise<void> {
    const failed = await this.models.vacuum(this.name, target.generation, this.definition.tables);
    for (const { table, message } of failed)
      this.options.logger?.error({
        msg: 'vacuum of a freshly built read-model table failed; its reads may be slow until autovacuum runs',
        projection: this.name,
        generation: target.generation,
        table,
        error: message,
      });
  }

  private release(): void {
    const position = this.live?.position ?? 0n;
    if (position > this.head) this.head = position;
    this.waiters.reached(position);
  }

  private async openGeneration(generation: number, commitEvery = this.pageSize): Promise<PgGeneration> {
    await this.models.open(this.name, generation, this.definition.tables);
    const schema = this.models.schemaOf(this.name, generation);
    const token = randomUUID();
    await this.models.pool.query(`UPDATE ${schema}.checkpoint SET writer = $1 WHERE id = 1`, [token]);
    const writes = new PgWrites();
    const writer = this.definition.openWrites(writes, {
      readStream: (streamId) => this.store.readStream(streamId),
      store: this.store,
      foldCacheBytes: this.options.foldCacheBytes,
      own: this.models.generationReader(this.name, generation),
    });
    const target: PgGeneration = {
      generation,
      schema,
      writer,
      writes,
      token,
      commitEvery,
      position: 0n,
      events: 0,
      eventsAtOpen: 0,
      staged: null,
      batching: commitEvery > this.pageSize,
    };
    const checkpoint = await this.readCheckpoint(target);
    target.position = checkpoint.position;
    target.events = checkpoint.events;
    target.eventsAtOpen = checkpoint.events;
    return target;
  }

  private async readCheckpoint(target: PgGeneration): Promise<{ position: bigint; events: number }> {
    const { rows } = await this.models.pool.query<{ position: string; events: number }>(
      `SELECT position::text AS position, events FROM ${target.schema}.checkpoint WHERE id = 1`,
    );
    return { position: BigInt(rows[0]!.position), events: rows[0]!.events };
  }

  /** Takes a page in: staged while catching up in batches, otherwise committed with the checkpoint. */
  private async commit(
    target: PgGeneration,
    events: readonly StoredEvent[],
    lastPosition: bigint,
  ): Promise<void> {
    const after = target.staged?.position ?? target.position;
    // Events at or below the checkpoint (or already staged) were taken in already, a redelivered page: skipped.
    const fresh = events.filter((e) => e.position > after);
    if (fresh.length > 0) await target.writer.prepare?.(fresh);
    const pending = (target.staged?.events ?? 0) + fresh.length;
    const stage = target.writer.stage?.bind(target.writer);
    if (stage && target.batching && !batchIsFull(pending, target.commitEvery, target.writer)) {
      stage(fresh);
      target.staged = { events: pending, position: lastPosition > after ? lastPosition : after };
      return;
    }
    target.writer.apply(fresh);
    await this.write(target, pending, lastPosition > after ? lastPosition : after);
  }

  /** Commits whatever is staged, with the checkpoint at `position` (the log's head as the subscription found it). */
  private async commitStaged(target: PgGeneration, position: bigint): Promise<void> {
    if (target.staged) target.writer.apply([]);
    await this.write(target, target.staged?.events ?? 0, position);
  }

  private async write(target: PgGeneration, count: number, position: bigint): Promise<void> {
    if (count === 0 && position <= target.position) {
      target.staged = null;
      return;
    }
    try {
      await this.models.transaction(async (client: PoolClient) => {
        await client.query(`SET LOCAL search_path TO ${target.schema}`);
        await target.writes.flush(client);
        const saved = await client.query(
          'UPDATE checkpoint SET position = $1, events = events + $2 WHERE id = 1 AND writer = $3',
          [position.toString(), count, target.token],
        );
        if (saved.rowCount !== 1) throw new ReadModelTakenError(this.name, target.generation);
      });
    } catch (error) {
      this.discard(target);
      throw error;
    }
    target.staged = null;
    target.events += count;
    if (position > target.position) target.position = position;
    target.writer.committed?.();
  }

  /** Whatever was staged or queued is dropped; the writer forgets what it folded since the last commit. */
  private discard(target: PgGeneration): void {
    target.staged = null;
    target.writes.clear();
    target.writer.rollback?.();
  }
}
