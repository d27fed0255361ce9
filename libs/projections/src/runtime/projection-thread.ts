import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { EventStoreUnavailableError } from '@carepath/event-store';
import type { ProjectionDefinition } from './projection';
import {
  failureKind,
  type ProjectionError,
  type ProjectionStatus,
  ProjectionUnavailableError,
  RebuildFailedError,
  type RebuildRequest,
  RebuildStoppedError,
  RebuildTimeoutError,
} from './projection-runner';
import type { ReadModelFiles } from './read-model-files';
import { PositionWaiters } from './runner-waiters';
import { startWorker } from './worker-thread';

/** What the projection thread is started with (its workerData). */
export interface ProjectionThreadData {
  /** The embedded log, opened on a connection of the thread's own. */
  readonly logFile: string;
  readonly readModelDir: string;
  /** The projections it runs, by name, in the order they start. */
  readonly projections: readonly string[];
  readonly rebuildCommitEvery?: number;
  readonly retry?: { readonly baseMs?: number; readonly maxMs?: number };
  readonly foldCacheBytes?: number;
  /** How often it looks at the log when no append was announced (another process may append to the file). */
  readonly pollMs: number;
}

/** A projection as the thread serves it: its status, and the tables of the generation in service. */
export interface ServedProjection {
  readonly status: ProjectionStatus;
  readonly tables: readonly string[];
}

/** Why a rebuild in the thread did not end in service, so that this thread can raise the same error. */
export interface RebuildFailure {
  readonly type: 'timeout' | 'stopped' | 'failed';
  readonly message: string;
  readonly budgetMs: number | null;
  readonly report: ProjectionError;
  /** The coded cause (SQLite's, the system's), or the store being unavailable: what tells a full disk from a bad event. */
  readonly cause: {
    readonly code: string | null;
    readonly message: string;
    readonly unavailable: boolean;
  } | null;
}

/** The thread that serves requests, to the projection thread. */
export type ToProjectionThread =
  | { readonly kind: 'appended'; readonly head: bigint }
  | { readonly kind: 'statuses'; readonly id: number }
  | { readonly kind: 'resume'; readonly id: number; readonly name: string }
  | { readonly kind: 'rebuild'; readonly id: number; readonly name: string; readonly budgetMs?: number }
  | { readonly kind: 'check'; readonly id: number; readonly name: string; readonly thorough: boolean }
  | { readonly kind: 'stop'; readonly id: number };

/** The projection thread, to the thread that serves requests. */
export type FromProjectionThread =
  | { readonly kind: 'started'; readonly projections: readonly ServedProjection[] }
  | { readonly kind: 'changed'; readonly projections: readonly ServedProjection[] }
  | { readonly kind: 'reply'; readonly id: number; readonly projections: readonly ServedProjection[] }
  | {
      readonly kind: 'rebuilt';
      readonly id: number;
      readonly projection: ServedProjection;
      readonly failure: RebuildFailure | null;
    }
  | { readonly kind: 'log'; readonly level: 'log' | 'error'; readonly message: object }
  | { readonly kind: 'failed'; readonly reason: string };

/** The error a rebuild in the thread ended with, as `ProjectionRunner.rebuild` would have rejected here. */
export function rebuildError(name: string, failure: RebuildFailure): Error {
  if (failure.type === 'timeout') return new RebuildTimeoutError(name, failure.budgetMs ?? 0);
  if (failure.type === 'stopped') return new RebuildStoppedError(name);
  const cause = failure.cause;
  return new RebuildFailedError(
    name,
    failure.report,
    cause === null
      ? undefined
      : cause.unavailable
        ? new EventStoreUnavailableError(cause.message)
        : Object.assign(new Error(cause.message), { code: cause.code ?? undefined }),
  );
}

/** Raised for every wait and request while the projection thread is not running. */
export class ProjectionThreadStoppedError extends EventStoreUnavailableError {
  constructor(reason: string) {
    super(`the projection thread stopped (${reason})`);
    this.name = 'ProjectionThreadStoppedError';
  }
}

const DAMAGED_SQLITE = /^SQLITE_(CORRUPT|NOTADB)/;

/**
 * A projection the projection thread runs, as the thread that serves requests sees it: the status the thread last
 * posted, waits for a position released as those statuses arrive, and a read-only connection of this thread's own
 * to the generation in service (queries never cross threads). Answers as a ProjectionRunner here would.
 */
export class ThreadedProjectionRunner {
  private served: ServedProjection;
  private readonly waiters = new PositionWaiters();
  private open: { generation: number; db: Database.Database } | null = null;
  /** Damage this thread found in the generation in service, until the projection thread has taken it up. */
  private damage: string | null = null;

  constructor(
    readonly definition: ProjectionDefinition,
    private readonly files: ReadModelFiles,
    private readonly thread: ProjectionThread,
  ) {
    this.served = {
      status: {
        name: definition.name,
        version: definition.version,
        generation: 0,
        state: 'stopped',
        position: '0',
        headPosition: '0',
        lag: '0',
        eventsApplied: 0,
        lastError: null,
        rebuild: null,
        lastRebuild: null,
        retry: null,
      },
      tables: [],
    };
  }

  get name(): string {
    return this.definition.name;
  }

  status(): ProjectionStatus {
    return this.served.status;
  }

  /** Takes in what the projection thread posted: waits up to its position are released, a failure rejects them. */
  update(served: ServedProjection): void {
    const before = this.served.status;
    this.served = served;
    const status = served.status;
    if (status.generation !== before.generation || status.state === 'repairing') this.closeReader();
    this.waiters.reached(BigInt(status.position));
    if (status.state === 'failed' && before.state !== 'failed')
      this.waiters.rejectAll(`projection ${this.name} failed: ${status.lastError?.message}`);
    if (status.state === 'stopped') this.waiters.rejectAll(`projection ${this.name} stopped`);
  }

  /** Resolves once every event up to `position` is reflected in the generation in service. */
  waitFor(position: bigint): Promise<void> {
    const status = this.served.status;
    if (status.state === 'failed')
      return Promise.reject(new Error(`projection ${this.name} failed: ${status.lastError?.message}`));
    if (status.generation > 0 && BigInt(status.position) >= position) return Promise.resolve();
    return this.waiters.wait(position);
  }

  /** The generation in service, read-only, on a connection of this thread. */
  reader(): Database.Database {
    const { state, generation } = this.served.status;
    if (state === 'repairing' || this.damage !== null)
      throw new ProjectionUnavailableError(this.name, 'is being rebuilt: its read-model file was damaged');
    if (generation === 0) throw new ProjectionUnavailableError(this.name, 'is not running');
    if (this.open?.generation === generation) return this.open.db;
    this.closeReader();
    let db: Database.Database;
    try {
      db = new Database(this.files.fileOf(this.name, generation), { readonly: true, fileMustExist: true });
    } catch {
      // Swapped out and removed since the thread last posted: the next status names the new one.
      throw new ProjectionUnavailableError(this.name, 'is between generations');
    }
    this.open = { generation, db };
    return db;
  }

  /**
   * Looks at the file of the generation in service from this thread (a connection of its own); a damaged one is
   * handed to the projection thread, which repairs it. Returns what is wrong, or null.
   */
  checkReadModel(options: { thorough?: boolean } = {}): string | null {
    const { state, generation, lastError } = this.served.status;
    if (state === 'repairing') return lastError?.message ?? 'being repaired';
    if (this.damage !== null) return this.damage;
    if (generation === 0 || this.served.tables.length === 0) return null;
    let problem: string | null;
    try {
      problem = this.files.inspect(this.name, generation, this.served.tables, options);
    } catch (error) {
      if (failureKind(error) !== 'damaged') return null;
      problem = error instanceof Error ? error.message : String(error);
    }
    if (problem === null) return null;
    this.damage = `read-model file damaged: ${problem}`;
    this.closeReader();
    const damage = this.damage;
    // Once the projection thread has looked, its status says whether it repairs the file (reads refused meanwhile).
    void this.thread.check(this.name, options.thorough ?? false).finally(() => {
      if (this.damage === damage) this.damage = null;
    });
    return damage;
  }

  /** A query on `reader()` failed: true when the file is damaged (the query answers "unavailable", not "error"). */
  noticeQueryFailure(error: unknown): boolean {
    if (failureKind(error) !== 'damaged') return false;
    if (this.served.status.state === 'repairing' || this.damage !== null) return true;
    const code = (error as { code?: unknown }).code;
    return this.checkReadModel({ thorough: typeof code === 'string' && DAMAGED_SQLITE.test(code) }) !== null;
  }

  /** Retries from the checkpoint after a failure; the projection thread is started again if it had stopped. */
  resume(): Promise<ProjectionStatus> {
    return this.thread.resume(this.name).then(() => this.served.status);
  }

  /** As ProjectionRunner.rebuild: resolves once the new generation is in service. */
  rebuild(request: RebuildRequest = {}): Promise<void> {
    return this.startRebuild(request).done;
  }

  /** Starts a rebuild: `started` once the thread has begun it (its status then says so), `done` once it is in service. */
  startRebuild(request: RebuildRequest = {}): { started: Promise<ProjectionStatus>; done: Promise<void> } {
    const { started, done } = this.thread.rebuild(this.name, request.budgetMs);
    return { started: started.then(() => this.served.status), done };
  }

  /** The projection thread stopped on its own: reported as a projection stopped on a failure, waits rejected. */
  threadStopped(error: ProjectionError): void {
    this.closeReader();
    this.update({
      status: { ...this.served.status, state: 'failed', lastError: error, rebuild: null, retry: null },
      tables: this.served.tables,
    });
  }

  close(): void {
    this.closeReader();
    this.waiters.rejectAll(`projection ${this.name} stopped`);
  }

  private closeReader(): void {
    if (this.open?.db.open) this.open.db.close();
    this.open = null;
  }
}

interface Pending {
  readonly resolve: (projections: readonly ServedProjection[]) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The API's projections in a worker thread of its own (node:worker_threads): the runners there open their own
 * connections to the log and the read-model files, so applying pages no longer takes turns of the event loop that
 * serves requests. This thread tells it of each append (its catch-up wakes at once instead of polling), and it posts
 * each projection's status after each commit, which releases waits for a position here. A thread that stops on its
 * own is reported as a failed projection (health not ready, 503 on waits), never as an error of the API; resuming
 * or rebuilding starts it again.
 */
export class ProjectionThread {
  readonly runners: ReadonlyMap<string, ThreadedProjectionRunner>;
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly rebuilds = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private starting: Promise<void> | null = null;
  private stopping = false;

  constructor(
    definitions: readonly ProjectionDefinition[],
    files: ReadModelFiles,
    private readonly data: ProjectionThreadData,
    private readonly logger: { log(message: object): void; error(message: object): void },
    private readonly workerModule = join(__dirname, 'projection-thread.worker'),
  ) {
    this.runners = new Map(definitions.map((d) => [d.name, new ThreadedProjectionRunner(d, files, this)]));
  }

  /** Starts the thread and resolves once every runner has started there (or the thread has failed: then reported). */
  start(): Promise<void> {
    if (this.worker) return this.starting ?? Promise.resolve();
    this.stopping = false;
    let started!: () => void;
    this.starting = new Promise<void>((resolve) => (started = resolve));
    let worker: Worker;
    try {
      worker = startWorker(this.workerModule, { workerData: this.data });
    } catch (error) {
      this.stoppedOnItsOwn(error instanceof Error ? error.message : String(error));
      started();
      return this.starting;
    }
    this.worker = worker;
    let failure: string | null = null;
    worker.on('message', (message: FromProjectionThread) => {
      if (this.worker !== worker) return;
      if (message.kind === 'started') {
        this.take(message.projections);
        started();
      } else if (message.kind === 'failed') failure = message.reason;
      else this.receive(message);
    });
    worker.on('error', (error) => {
      failure = error.message;
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      started();
      if (this.stopping) this.rejectAll(new ProjectionThreadStoppedError('the API is stopping'));
      else this.stoppedOnItsOwn(failure ?? `exit code ${code}`);
    });
    return this.starting;
  }

  /** Stops the runners there (a rebuild under way is dropped, as ProjectionRunner.stop does) and ends the thread. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.stopping = true;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      await this.request({ kind: 'stop', id: 0 }).catch(() => undefined);
      await worker.terminate();
      await exited;
    }
    this.worker = null;
    for (const runner of this.runners.values()) runner.close();
    this.rejectAll(new ProjectionThreadStoppedError('the API is stopping'));
  }

  /** The log has grown to `head` (this thread appended). */
  appended(head: bigint): void {
    this.worker?.postMessage({ kind: 'appended', head } satisfies ToProjectionThread);
  }

  /** Asks for every status afresh (a rebuild's progress is posted only when asked); the last known while stopped. */
  async refresh(): Promise<void> {
    if (!this.worker) return;
    await this.request({ kind: 'statuses', id: 0 }).catch(() => undefined);
  }

  /** Has the projection thread look at a read model's file, and repair it when damaged. */
  async check(name: string, thorough: boolean): Promise<void> {
    await this.request({ kind: 'check', id: 0, name, thorough }).catch(() => undefined);
  }

  async resume(name: string): Promise<void> {
    if (!this.worker) {
      // Started again: each runner goes on from its checkpoint, which is what a resume asks.
      await this.start();
      return;
    }
    await this.request({ kind: 'resume', id: 0, name });
  }

  rebuild(name: string, budgetMs: number | undefined): { started: Promise<void>; done: Promise<void> } {
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const started = (async () => {
      if (!this.worker) await this.start();
      const id = this.nextId++;
      this.rebuilds.set(id, settle);
      try {
        await this.request({ kind: 'rebuild', id, name, ...(budgetMs !== undefined ? { budgetMs } : {}) });
      } catch (error) {
        this.rebuilds.delete(id);
        settle.reject(error as Error);
      }
    })();
    return { started, done };
  }

  private request(message: ToProjectionThread): Promise<readonly ServedProjection[]> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new ProjectionThreadStoppedError('not running'));
    const id = message.kind === 'rebuild' ? message.id : this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  private receive(message: Exclude<FromProjectionThread, { kind: 'started' | 'failed' }>): void {
    switch (message.kind) {
      case 'changed':
        this.take(message.projections);
        return;
      case 'reply': {
        this.take(message.projections);
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        pending?.resolve(message.projections);
        return;
      }
      case 'rebuilt': {
        this.take([message.projection]);
        const settle = this.rebuilds.get(message.id);
        this.rebuilds.delete(message.id);
        if (!settle) return;
        if (message.failure) settle.reject(rebuildError(message.projection.status.name, message.failure));
        else settle.resolve();
        return;
      }
      case 'log':
        if (message.level === 'error') this.logger.error(message.message);
        else this.logger.log(message.message);
        return;
    }
  }

  private take(projections: readonly ServedProjection[]): void {
    for (const served of projections) this.runners.get(served.status.name)?.update(served);
  }

  private stoppedOnItsOwn(reason: string): void {
    const error: ProjectionError = {
      message: `the projection thread stopped (${reason}): resume or rebuild to start it again`,
      eventId: null,
      eventType: null,
      streamId: null,
      position: null,
      at: new Date().toISOString(),
    };
    this.logger.error({ msg: 'projection thread stopped', reason });
    for (const runner of this.runners.values()) runner.threadStopped(error);
    this.rejectAll(new ProjectionThreadStoppedError(reason));
  }

  private rejectAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    for (const rebuild of this.rebuilds.values()) rebuild.reject(error);
    this.rebuilds.clear();
  }
}
