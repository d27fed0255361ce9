import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { BoundedEventStore, type EventStore, positionAsOf } from '@carepath/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ALL_PROJECTIONS,
  ProjectionRunner,
  type ProjectionStatus,
  ReadModelFiles,
} from '@carepath/projections';
import type Database from 'better-sqlite3';
import BetterSqlite from 'better-sqlite3';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ResourceNotFoundException } from '../common/http-errors';
import { EVENT_STORE } from '../store/tokens';

export type ProjectionName = (typeof ALL_PROJECTIONS)[number]['name'];

/** Events per commit while the API rebuilds a projection (its runners read pages of 2,000). */
const API_REBUILD_COMMIT_EVERY = 20_000;

/**
 * The read models as the API sees them. In `in-process` mode it runs every projection beside the API (the default:
 * one process, no server); in `external` mode `apps/projector` runs them and the API only reads the generation the
 * catalog names.
 */
@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('projections');
  private readonly files: ReadModelFiles;
  private readonly runners = new Map<string, ProjectionRunner>();
  private readonly external = new Map<string, { generation: number; db: Database.Database }>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.files = new ReadModelFiles(config.readModelDir);
    if (config.projections === 'in-process') {
      for (const definition of ALL_PROJECTIONS) {
        this.runners.set(
          definition.name,
          new ProjectionRunner(store, definition, this.files, {
            // The generation in service commits every page (queries read it); one being rebuilt is read by no query
            // until it is swapped in, so it commits in batches, replacing a journey's rows once per batch rather than
            // once per page (docs/benchmarks.md, "Projections": "The API rebuilds in batches too").
            rebuildCommitEvery: API_REBUILD_COMMIT_EVERY,
            logger: { log: (m) => this.logger.log(m), error: (m) => this.logger.error(m) },
          }),
        );
      }
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const runner of this.runners.values()) await runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const runner of this.runners.values()) await runner.stop();
    for (const { db } of this.external.values()) db.close();
    this.files.close();
  }

  names(): string[] {
    return ALL_PROJECTIONS.map((p) => p.name);
  }

  /** The database a query reads: the generation in service, never a half-built one. */
  reader(name: ProjectionName): Database.Database {
    const runner = this.runners.get(name);
    if (runner) return runner.reader();
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

  async status(): Promise<
    | ProjectionStatus[]
    | {
        name: string;
        generation: number | null;
        position: string;
        headPosition: string;
        lag: string;
        state: string;
      }[]
  > {
    if (this.runners.size > 0) return [...this.runners.values()].map((r) => r.status());
    const head = await this.store.headPosition();
    return this.names().map((name) => {
      let position = 0n;
      try {
        const row = this.reader(name).prepare('SELECT position FROM checkpoint').safeIntegers(true).get() as {
          position: bigint;
        };
        position = row.position;
      } catch {
        position = 0n;
      }
      return {
        name,
        generation: this.files.current(name)?.generation ?? null,
        position: position.toString(),
        headPosition: head.toString(),
        lag: (head > position ? head - position : 0n).toString(),
        state: 'external',
      };
    });
  }

  /**
   * A read model as it would have been reported at `asOf` (issue 5): the log up to the last event recorded by then,
   * replayed into a scratch generation that is thrown away after the query.
   */
  async atTime<T>(
    name: ProjectionName,
    asOf: string,
    query: (db: Database.Database) => T,
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
      return { position, result: query(runner.reader()) };
    } finally {
      await runner.stop();
      files.close();
      rmSync(folder, { recursive: true, force: true });
    }
  }

  /** Waits until every read model reflects `position` (read-your-writes without sleeping). */
  async waitFor(position: bigint): Promise<void> {
    if (this.runners.size === 0) {
      throw new HttpException(
        {
          statusCode: 400,
          error: 'Bad Request',
          message: [
            'consistency=projected needs the projections running in the API process (PROJECTIONS=in-process)',
          ],
        },
        HttpStatus.BAD_REQUEST,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ProjectionUnavailableException(
              'all',
              `not projected within ${this.config.projectedWaitMs} ms`,
            ),
          ),
        this.config.projectedWaitMs,
      );
    });
    try {
      await Promise.race([Promise.all([...this.runners.values()].map((r) => r.waitFor(position))), timeout]);
    } catch (error) {
      if (error instanceof HttpException) throw error;
      throw new ProjectionUnavailableException('all', error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
  }

  runner(name: string): ProjectionRunner {
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
