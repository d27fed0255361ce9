import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DomainError, type DomainErrorCode } from '@carepath/domain';
import {
  type ChainVerification,
  type EventStore,
  EventStoreUnavailableError,
  SqliteEventStore,
} from '@carepath/event-store';
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalyticsQuery } from '../analytics/analytics-query';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { EVENT_STORE } from '../store/tokens';
import {
  type AnalyticsAsOfResult,
  type HeavyTask,
  type JourneyAsOfResult,
  performTask,
} from './heavy-work.tasks';
import type { HeavyWorkerData, TaskFailure } from './heavy-work.worker';
import { WorkerPool } from './worker-pool';

/** SQLite result codes that mean "cannot serve now" rather than a bug: answered 503 like the store's own. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB)/;

function toError(failure: TaskFailure): Error {
  if (failure.name === 'DomainError' && failure.code)
    return new DomainError(failure.code as DomainErrorCode, failure.message, failure.details ?? {});
  if (failure.name === 'EventStoreUnavailableError' || (failure.code && UNAVAILABLE.test(failure.code)))
    return new EventStoreUnavailableError(`SQLite: ${failure.message}`);
  const error = new Error(failure.message);
  error.name = failure.name;
  return error;
}

/**
 * Heavy reads off the request loop (issue 15): the hash-chain walk, `asOf` replays and analytics run in a small pool
 * of worker threads, each on connections of its own, within a time budget per kind (503 WORK_TIMEOUT past it,
 * 503 BUSY when the queue is full). On EventStoreDB the log's reads are asynchronous I/O already, so work on the log
 * stays on this thread, in the same pool's slots and budgets; analytics read SQLite read models on any store and
 * always go to a thread.
 */
@Injectable()
export class HeavyWork implements OnApplicationShutdown {
  private readonly pool: WorkerPool;
  /** The embedded log's file; null on EventStoreDB. */
  private readonly logFile: string | null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.logFile = store instanceof SqliteEventStore ? store.filename : null;
    this.pool = new WorkerPool({
      size: config.workPool.size,
      queueLimit: config.workPool.queueLimit,
      worker: {
        module: join(__dirname, 'heavy-work.worker'),
        data: { logFile: this.logFile } satisfies HeavyWorkerData,
      },
      toError,
      idleMs: config.workPool.idleMs,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  /** What the pool has done since start (GET /health could show it; specs check work went to threads). */
  stats(): ReturnType<WorkerPool['stats']> {
    return this.pool.stats();
  }

  verifyChain(): Promise<ChainVerification> {
    return this.onLog({ kind: 'verify' }, this.config.workBudgetMs.verify, 'the hash-chain walk');
  }

  journeyAsOf(
    journeyId: string,
    asOf: string,
    want: 'state' | 'events',
    validAt?: string,
  ): Promise<JourneyAsOfResult> {
    return this.onLog(
      { kind: 'journey-as-of', journeyId, asOf, want, ...(validAt ? { validAt } : {}) },
      this.config.workBudgetMs.asOf,
      `the replay of journey ${journeyId} as of ${asOf}`,
    );
  }

  /** A query on the read model in service (`db`: the request loop's connection, whose file the thread opens). */
  analytics(db: Database.Database, query: AnalyticsQuery): Promise<unknown[]> {
    return this.pool.run(
      { kind: 'analytics', readModelFile: db.name, query },
      this.config.workBudgetMs.analytics,
      `the ${query.query} query`,
    );
  }

  /** The query on its read model replayed from the log as it stood at `asOf`. */
  async analyticsAsOf(query: AnalyticsQuery, asOf: string): Promise<AnalyticsAsOfResult> {
    // Made here and removed here, so a thread stopped at its budget leaves no scratch files behind.
    const scratchDir = mkdtempSync(join(tmpdir(), 'carepath-as-of-'));
    try {
      return await this.onLog(
        { kind: 'analytics-as-of', asOf, query, scratchDir },
        this.config.workBudgetMs.asOf,
        `the ${query.query} replay as of ${asOf}`,
      );
    } finally {
      rmSync(scratchDir, { recursive: true, force: true });
    }
  }

  /** Work on the log: in a thread on the embedded store, on this thread (in a slot, within budget) otherwise. */
  private onLog<T>(task: HeavyTask, budgetMs: number, what: string): Promise<T> {
    if (this.logFile) return this.pool.run<T>(task, budgetMs, what);
    return this.pool.runInline(
      () =>
        performTask(task, {
          store: () => this.store,
          readModel: () => {
            throw new Error('read models are queried in a thread');
          },
        }) as Promise<T>,
      budgetMs,
      what,
    );
  }
}
