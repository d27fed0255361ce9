import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { BoundedEventStore, type EventStore, positionAsOf, SqliteEventStore } from '@carepath/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ALL_PROJECTIONS,
  failureKind,
  projectionError,
  RebuildStoppedError,
  RebuildTimeoutError,
  configuredPgReadModels,
  PgProjectionRunner,
  type PgReadModels,
  ProjectionRunner,
  type ProjectionStatus,
  ProjectionThread,
  ThreadedProjectionRunner,
  servedFromPostgres,
  ProjectionUnavailableError,
  inOneSnapshot,
  ReadModelFiles,
  type SqlReader,
  sqliteReader,
} from '@carepath/projections';
import type Database from 'better-sqlite3';
import BetterSqlite from 'better-sqlite3';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { ResourceNotFoundException } from '../common/http-errors';
import type { IndicatorResult } from '../health/health-report';
import { withoutPaths } from '../health/health-report';
import { EVENT_STORE } from '../store/tokens';
import { WorkUnavailableException } from '../work/work-unavailable.exception';

export type ProjectionName = (typeof ALL_PROJECTIONS)[number]['name'];

/**
 * How often a write with consistency=projected looks at the checkpoints apps/projector commits (PROJECTIONS=external):
 * a read model is read from its file, another process writes it, so there is no in-process signal to wait on.
 */
const EXTERNAL_WAIT_POLL_MS = 5;

/** Events per commit while the API rebuilds a projection (its runners read pages of 2,000). */
const API_REBUILD_COMMIT_EVERY = 20_000;

/**
 * Retry-After for a rebuild past its budget: the same rebuild would need as long again, so the operator should
 * raise WORK_BUDGET_REBUILD_MS or rebuild with apps/projector rather than retry at once.
 */
const REBUILD_TIMEOUT_RETRY_AFTER_SECONDS = 60;
/** Retry-After for a rebuild stopped by the environment (a full disk, the log unreadable for a moment). */
const REBUILD_TRANSIENT_RETRY_AFTER_SECONDS = 30;

/**
 * How often the projection thread looks at the log for appends of other processes (this one's it is told of): the
 * CLI or a replica writing to the same file.
 */
const THREAD_POLL_MS = 1000;

/** A projection run by this process: into a file here or in the projection thread, or into PostgreSQL. */
type Runner = ProjectionRunner | ThreadedProjectionRunner | PgProjectionRunner;

/** A runner into a read-model file, whose generation in service queries read here. */
const onFile = (runner: Runner | undefined): runner is ProjectionRunner | ThreadedProjectionRunner =>
  runner instanceof ProjectionRunner || runner instanceof ThreadedProjectionRunner;

/** What a status lists for a read model another process writes. */
interface ExternalStatus {
  name: string;
  generation: number | null;
  position: string;
  headPosition: string;
  lag: string;
  state: string;
}

/**
 * The read models as the API sees them. In `in-process` mode it runs every projection beside the API (the default:
 * one process, no server), on the embedded store in a worker thread of its own (ProjectionThread, PROJECTIONS_THREAD)
 * so that applying pages takes no turn of the loop that serves requests; in `external` mode `apps/projector` runs them and the API only reads the generation the
 * catalog names. With READ_MODEL_STORE=postgres the read models live in PostgreSQL (docs/scaling.md), read by any
 * number of API processes.
 */
@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('projections');
  private readonly files: ReadModelFiles;
  private readonly runners = new Map<string, Runner>();
  private readonly external = new Map<string, { generation: number; db: Database.Database }>();
  private readonly pg: PgReadModels | null;
  /** The projection thread, when the projections run there; null when they run on this thread or elsewhere. */
  private readonly thread: ProjectionThread | null = null;
  private unwatchAppends: (() => void) | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.files = new ReadModelFiles(config.readModelDir);
    this.pg = configuredPgReadModels(config.readModelStore, config.censusTimeZone);
    const options = {
      // The generation in service commits every page (queries read it); one being rebuilt is read by no query
      // until it is swapped in, so it commits in batches, replacing a journey's rows once per batch rather than
      // once per page (docs/benchmarks.md, "Projections": "The API rebuilds in batches too").
      rebuildCommitEvery: API_REBUILD_COMMIT_EVERY,
      retry: { baseMs: config.projectionRetryBaseMs, maxMs: config.projectionRetryMaxMs },
      foldCacheBytes: config.projectionFoldCacheBytes,
      logger: { log: (m: object) => this.logger.log(m), error: (m: object) => this.logger.error(m) },
    };
    // EventStoreDB and PostgreSQL read models keep the runners on this thread (docs/architecture.md, "Projections").
    if (
      config.projections === 'in-process' &&
      config.projectionsThread === 'worker' &&
      !this.pg &&
      store instanceof SqliteEventStore
    ) {
      this.thread = new ProjectionThread(
        ALL_PROJECTIONS,
        this.files,
        {
          logFile: store.filename,
          readModelDir: config.readModelDir,
          projections: ALL_PROJECTIONS.map((p) => p.name),
          rebuildCommitEvery: options.rebuildCommitEvery,
          retry: options.retry,
          foldCacheBytes: options.foldCacheBytes,
          pollMs: THREAD_POLL_MS,
        },
        options.logger,
      );
      for (const [name, runner] of this.thread.runners) this.runners.set(name, runner);
      return;
    }
    for (const definition of ALL_PROJECTIONS) {
      if (this.pg && servedFromPostgres(definition)) {
        if (config.projections === 'in-process')
          this.runners.set(definition.name, new PgProjectionRunner(store, definition, this.pg, options));
      } else if (config.projections === 'in-process' || this.pg) {
        this.runners.set(definition.name, new ProjectionRunner(store, definition, this.files, options));
      }
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.thread) {
      const thread = this.thread;
      this.unwatchAppends = (this.store as SqliteEventStore).onCommit((head) => thread.appended(head));
      // A thread that fails to start is reported as failed projections (GET /projections, /health/ready), as one
      // stopped on an event is: the API serves on.
      await thread.start();
      return;
    }
    for (const runner of this.runners.values()) {
      if (!(runner instanceof ThreadedProjectionRunner)) await runner.start();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.unwatchAppends?.();
    await this.thread?.stop();
    for (const runner of this.runners.values()) {
      if (!(runner instanceof ThreadedProjectionRunner)) await runner.stop();
    }
    for (const { db } of this.external.values()) db.close();
    this.files.close();
    await this.pg?.close();
  }

  /** Whether the read model lives in PostgreSQL (READ_MODEL_STORE=postgres), read through `sql` only. */
  onPostgres(name: string): boolean {
    const definition = ALL_PROJECTIONS.find((p) => p.name === name);
    return this.pg !== null && definition !== undefined && servedFromPostgres(definition);
  }

  names(): string[] {
    return ALL_PROJECTIONS.map((p) => p.name);
  }

  /** The database a query reads: the generation in service, never a half-built one. */
  reader(name: ProjectionName): Database.Database {
    if (this.onPostgres(name)) throw new Error(`read model ${name} is in PostgreSQL: read it through sql()`);
    const runner = this.runners.get(name);
    if (onFile(runner)) {
      try {
        return runner.reader();
      } catch (error) {
        if (error instanceof ProjectionUnavailableError)
          throw new ProjectionUnavailableException(name, error.reason);
        throw error;
      }
    }
    const current = this.files.current(name);
    if (!current) throw new ProjectionUnavailableException(name, 'not built yet: start apps/projector');
    const open = this.external.get(name);
    if (open && open.generation === current.generation) return open.db;
    open?.db.close();
    const db = new BetterSqlite(this.files.fileOf(name, current.generation), {
      readonly: true,
      fileMustExist: true,
    });
    this.external.set(name, { generation: current.generation, db });
    return db;
  }

  /** The generation in service as a query reads it (`SqlReader`: the same SQL serves a PostgreSQL read model). */
  sql(name: ProjectionName): SqlReader {
    if (!this.onPostgres(name)) return sqliteReader(this.reader(name));
    const reader = this.pg!.reader(name);
    const unbuilt = (error: unknown): never => {
      // No schema of views yet: no projector has put a generation in service.
      const code = (error as { code?: unknown }).code;
      if (code === '42P01' || code === '3F000')
        throw new ProjectionUnavailableException(name, 'not built yet: start apps/projector');
      throw error;
    };
    return {
      dialect: reader.dialect,
      all: (sql, params) => reader.all(sql, params).catch(unbuilt),
      // An answer of several reads stays one snapshot through the API (docs/scaling.md, "One snapshot per answer").
      snapshot: (read) => inOneSnapshot(reader, read).catch(unbuilt),
    };
  }

  /** The checkpoint of the generation in service, as whoever writes it last committed it (0 when none is). */
  private async servedPosition(name: string): Promise<bigint> {
    const runner = this.runners.get(name);
    if (runner) return BigInt(runner.status().position);
    if (this.onPostgres(name)) return (await this.pg!.servedPosition(name)) ?? 0n;
    try {
      return (
        this.reader(name).prepare('SELECT position FROM checkpoint').safeIntegers(true).get() as {
          position: bigint;
        }
      ).position;
    } catch (error) {
      // Not built yet, or between generations.
      if (error instanceof ProjectionUnavailableException) return 0n;
      throw error;
    }
  }

  async status(): Promise<(ProjectionStatus | ExternalStatus)[]> {
    await this.thread?.refresh();
    const head = await this.store.headPosition();
    const statuses: (ProjectionStatus | ExternalStatus)[] = [];
    for (const name of this.names()) {
      const runner = this.runners.get(name);
      // Failures quote SQLite and the file system, whose messages name files by their full path.
      if (runner) {
        statuses.push(withoutPaths(runner.status()));
        continue;
      }
      let position = 0n;
      try {
        position = await this.servedPosition(name);
      } catch {
        position = 0n;
      }
      statuses.push({
        name,
        generation: this.onPostgres(name)
          ? ((await this.pg!.current(name).catch(() => null))?.generation ?? null)
          : (this.files.current(name)?.generation ?? null),
        position: position.toString(),
        headPosition: head.toString(),
        lag: (head > position ? head - position : 0n).toString(),
        state: 'external',
      });
    }
    return statuses;
  }

  /**
   * A query on a read model failed. When the failure says a file is damaged (by its SQLite code, or by SQLite's
   * words once a worker thread has passed it on as text), each projection checks its own file and puts a damaged one
   * under repair. Returns the projections found damaged: the query then answers 503, not 500.
   */
  noticeQueryFailure(error: unknown): string[] {
    const failure = asSqliteFailure(error);
    if (!failure) return [];
    if (this.config.projections === 'in-process')
      return [...this.runners.values()]
        .filter((r) => onFile(r) && r.noticeQueryFailure(failure))
        .map((r) => r.name);
    // Apps/projector repairs its files; this process only stops reading the generation it had open.
    for (const { db } of this.external.values()) db.close();
    this.external.clear();
    return ['all'];
  }

  /**
   * One readiness indicator per projection: down when it failed, is paused or under repair, its file is damaged, or
   * it is more than `maxLag` positions behind the log it reads.
   */
  async readiness(maxLag: number): Promise<Record<string, IndicatorResult>> {
    const heads = new Map<string, bigint>();
    const headOf = async (prefixes: readonly string[]) => {
      const key = prefixes.join('\0');
      let head = heads.get(key);
      if (head === undefined) {
        head = await this.store.headPosition({ streamPrefixes: prefixes });
        heads.set(key, head);
      }
      return head;
    };
    const indicators: Record<string, IndicatorResult> = {};
    await this.thread?.refresh();
    for (const definition of ALL_PROJECTIONS) {
      const name = definition.name;
      const head = await headOf(definition.streamPrefixes);
      const runner = this.runners.get(name);
      const problems: string[] = [];
      let details: Record<string, unknown>;
      if (runner) {
        const damage = onFile(runner) ? runner.checkReadModel() : null;
        const status = runner.status();
        const position = BigInt(status.position);
        const lag = head > position ? head - position : 0n;
        details = {
          state: status.state,
          generation: status.generation,
          position: status.position,
          lag: lag.toString(),
          ...(status.lastError ? { lastError: status.lastError } : {}),
          ...(status.retry ? { retry: status.retry } : {}),
        };
        if (status.state === 'failed') {
          const at = status.lastError?.position;
          problems.push(
            at
              ? `failed at position ${at} (${status.lastError?.eventType} ${status.lastError?.eventId}): resume or rebuild it once fixed`
              : 'failed: resume or rebuild it once fixed',
          );
        } else if (status.state === 'retrying') {
          problems.push(
            `paused by a transient failure; retry ${status.retry?.attempt ?? ''} at ${status.retry?.at ?? '?'}`,
          );
        } else if (status.state === 'repairing' || damage !== null) {
          problems.push(
            `read-model file damaged (${damage ?? status.lastError?.message}); rebuilding it from the log`,
          );
        } else if (status.state === 'stopped') {
          problems.push('stopped');
        }
        if (lag > BigInt(maxLag)) problems.push(`${lag} positions behind the log (bound ${maxLag})`);
      } else if (this.onPostgres(name)) {
        let position: bigint | null = null;
        try {
          position = await this.pg!.servedPosition(name);
          if (position === null) problems.push('not built yet: start apps/projector');
        } catch (error) {
          problems.push(`PostgreSQL unreachable: ${error instanceof Error ? error.message : String(error)}`);
        }
        const lag = position !== null && head > position ? head - position : 0n;
        if (lag > BigInt(maxLag)) problems.push(`${lag} positions behind the log (bound ${maxLag})`);
        details = {
          state: 'external',
          store: 'postgres',
          position: String(position ?? 0n),
          lag: lag.toString(),
        };
      } else {
        const current = this.files.current(name);
        let position = 0n;
        if (!current) problems.push('not built yet: start apps/projector');
        else {
          const damage = this.files.inspect(name, current.generation, ['checkpoint']);
          if (damage) problems.push(`read-model file damaged (${damage}): rebuild it with apps/projector`);
          else
            position = (
              this.reader(name).prepare('SELECT position FROM checkpoint').safeIntegers(true).get() as {
                position: bigint;
              }
            ).position;
        }
        const lag = head > position ? head - position : 0n;
        if (current && lag > BigInt(maxLag))
          problems.push(`${lag} positions behind the log (bound ${maxLag})`);
        details = {
          state: 'external',
          generation: current?.generation ?? null,
          position: position.toString(),
          lag: lag.toString(),
        };
      }
      indicators[`projection:${name}`] = withoutPaths(
        problems.length === 0
          ? { status: 'up', ...details }
          : { status: 'down', reason: problems.join('; '), ...details },
      );
    }
    return indicators;
  }

  /**
   * A read model as it would have been reported at `asOf` (issue 5): the log up to the last event recorded by then,
   * replayed into a scratch generation that is thrown away after the query.
   */
  async atTime<T>(
    name: ProjectionName,
    asOf: string,
    query: (db: Database.Database) => T | Promise<T>,
  ): Promise<{ position: bigint; result: T }> {
    const definition = ALL_PROJECTIONS.find((p) => p.name === name)!;
    const position = await positionAsOf(this.store, asOf);
    const folder = mkdtempSync(join(tmpdir(), 'carepath-as-of-'));
    const files = new ReadModelFiles(folder);
    const runner = new ProjectionRunner(new BoundedEventStore(this.store, position), definition, files, {
      pageSize: 5000,
    });
    try {
      await runner.start();
      await runner.waitFor(position);
      return { position, result: await query(runner.reader()) };
    } finally {
      await runner.stop();
      files.close();
      rmSync(folder, { recursive: true, force: true });
    }
  }

  /**
   * Waits until every read model reflects `position` (read-your-writes). In process, each runner says when it has
   * applied it. With apps/projector writing them (PROJECTIONS=external, another process or host sharing the read
   * models), their checkpoints are watched instead, every EXTERNAL_WAIT_POLL_MS: the checkpoint commits with the
   * rows, so once it has passed the position, so have the rows a query will read.
   */
  async waitFor(position: bigint): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(
          new ProjectionUnavailableException('all', `not projected within ${this.config.projectedWaitMs} ms`),
        );
      }, this.config.projectedWaitMs);
    });
    const waits = ALL_PROJECTIONS.map((p) => {
      const runner = this.runners.get(p.name);
      return runner ? this.reflects(runner, position) : this.checkpointPasses(p, position, () => timedOut);
    });
    try {
      await Promise.race([Promise.all(waits), timeout]);
    } catch (error) {
      if (error instanceof HttpException) throw error;
      throw new ProjectionUnavailableException('all', error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
  }

  /** PROJECTIONS=external: resolves once the checkpoint in service has passed `position` as far as its streams go. */
  private async checkpointPasses(
    definition: (typeof ALL_PROJECTIONS)[number],
    position: bigint,
    given: () => boolean,
  ): Promise<void> {
    const own = await this.store.headPosition({ streamPrefixes: definition.streamPrefixes });
    const target = own < position ? own : position;
    while (!given()) {
      // Not built yet, or between generations: 0, looked at again at the next turn.
      if ((await this.servedPosition(definition.name)) >= target) return;
      await new Promise((resolve) => setTimeout(resolve, EXTERNAL_WAIT_POLL_MS));
    }
  }

  /**
   * Resolves once `runner` reflects the log up to `position` as far as its own streams go. A projection of other
   * streams (a resident's contracts for a journey's write, say) may never be handed that position: on EventStoreDB a
   * filtered subscription reports skipped positions only now and then. The last event of its streams up to then is
   * what it must have applied.
   */
  private async reflects(runner: Runner, position: bigint): Promise<void> {
    if (BigInt(runner.status().position) >= position) return;
    const own = await this.store.headPosition({ streamPrefixes: runner.definition.streamPrefixes });
    await runner.waitFor(own < position ? own : position);
  }

  /**
   * Starts a rebuild of `name` into a fresh generation within WORK_BUDGET_REBUILD_MS (joining one under way), and
   * answers its status; `wait`: once the new generation is in service. On the embedded store the log is read and
   * folded in a worker thread (ProjectionRunner.rebuild), so requests and writes go on meanwhile, and queries answer
   * from the generation in service. A rebuild past its budget is stopped and its generation dropped: with `wait`,
   * 503 WORK_TIMEOUT with Retry-After; otherwise the status says so (`lastRebuild`).
   */
  async rebuild(name: string, wait: boolean): Promise<ProjectionStatus> {
    const runner = this.runner(name);
    if (runner instanceof ThreadedProjectionRunner) {
      const { started, done } = runner.startRebuild({ budgetMs: this.config.workBudgetMs.rebuild });
      if (!wait) {
        done.catch(() => undefined);
        return withoutPaths(await started);
      }
      try {
        await done;
      } catch (error) {
        throw rebuildFailure(name, error);
      }
      return withoutPaths(runner.status());
    }
    // A rebuild into PostgreSQL runs in the database and this process's loop; its budget is the file rebuild's.
    const done =
      runner instanceof ProjectionRunner
        ? runner.rebuild({ budgetMs: this.config.workBudgetMs.rebuild })
        : runner.rebuild();
    if (!wait) {
      done.catch(() => undefined); // the outcome is in the status (lastRebuild), and in GET /projections
      return withoutPaths(runner.status());
    }
    try {
      await done;
    } catch (error) {
      throw rebuildFailure(name, error);
    }
    return withoutPaths(runner.status());
  }

  /** Retries a failed projection from its checkpoint (the projection thread started again if it had stopped). */
  async resume(name: string): Promise<ProjectionStatus> {
    const runner = this.runner(name);
    if (runner instanceof ThreadedProjectionRunner) return withoutPaths(await runner.resume());
    runner.resume();
    return withoutPaths(runner.status());
  }

  runner(name: string): Runner {
    const runner = this.runners.get(name);
    if (!runner) {
      if (this.names().includes(name)) {
        throw new HttpException(
          {
            statusCode: 409,
            error: 'Conflict',
            code: 'PROJECTIONS_EXTERNAL',
            message: 'Projections run in apps/projector; use its CLI',
          },
          HttpStatus.CONFLICT,
        );
      }
      throw new ResourceNotFoundException(
        'PROJECTION_NOT_FOUND',
        `Unknown projection ${name}; known: ${this.names().join(', ')}`,
      );
    }
    return runner;
  }
}

/**
 * The failure as SQLite reported it: its own error, or the text a worker thread passed on (`SQLite: no such table`),
 * given back the code its words stand for. Null when it is not one that may mean a damaged file.
 */
function asSqliteFailure(error: unknown): { code: string; message: string } | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof message !== 'string') return null;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return { code, message };
  const text = /(file is not a database|database disk image is malformed|no such (table|column)\b.*)/.exec(
    message,
  );
  if (!text) return null;
  const words = text[1]!;
  if (words.startsWith('file is not')) return { code: 'SQLITE_NOTADB', message: words };
  if (words.startsWith('database disk')) return { code: 'SQLITE_CORRUPT', message: words };
  return { code: 'SQLITE_ERROR', message: words };
}

/** How a rebuild that did not end in service is answered: never a 500, and the generation in service stays. */
function rebuildFailure(name: string, error: unknown): HttpException {
  const message = withoutPaths(error instanceof Error ? error.message : String(error));
  if (error instanceof RebuildTimeoutError) {
    return new WorkUnavailableException(
      'WORK_TIMEOUT',
      `${message}; it was stopped and the generation in service stays (raise WORK_BUDGET_REBUILD_MS, or rebuild with apps/projector)`,
      REBUILD_TIMEOUT_RETRY_AFTER_SECONDS,
    );
  }
  if (error instanceof RebuildStoppedError)
    return new WorkUnavailableException('BUSY', 'The API is stopping', 1);
  if (failureKind(error) === 'transient') {
    return new WorkUnavailableException(
      'WORK_FAILED',
      `The rebuild of ${name} stopped on a transient failure (${message}); the generation in service stays`,
      REBUILD_TRANSIENT_RETRY_AFTER_SECONDS,
    );
  }
  // One event the projection cannot apply: retrying fails the same way until the log is repaired (entered in error).
  return new HttpException(
    {
      statusCode: 409,
      error: 'Conflict',
      code: 'PROJECTION_REBUILD_FAILED',
      message: `The rebuild of ${name} failed; the generation in service stays: ${message}`,
      failure: withoutPaths(projectionError(error)),
    },
    HttpStatus.CONFLICT,
  );
}

/** 503: a read model cannot answer now (failed, not built, or lagging past the wait); the write itself stands. */
export class ProjectionUnavailableException extends HttpException {
  constructor(name: string, problem: string) {
    super(
      {
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'PROJECTION_UNAVAILABLE',
        message: `Projection ${name}: ${problem}`,
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}
