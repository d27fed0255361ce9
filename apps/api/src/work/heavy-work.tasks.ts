import { journeyValidAt } from '@carepath/domain';
import {
  BoundedEventStore,
  type ChainVerification,
  type EventStore,
  positionAsOf,
  type StoredEvent,
} from '@carepath/event-store';
import { ALL_PROJECTIONS, ProjectionRunner, ReadModelFiles, sqliteReader } from '@carepath/projections';
import type Database from 'better-sqlite3';
import { type AnalyticsQuery, projectionOf, runAnalyticsQuery } from '../analytics/analytics-query';
import { JourneyReader } from '../journeys/journey.reader';

/**
 * The heavy reads of issue 15, as data: each runs in a heavy-work thread on connections of its own (the embedded
 * store), or on the request loop's store where the log is a server's (EventStoreDB), always within a time budget.
 */
export type HeavyTask =
  | { readonly kind: 'verify' }
  | {
      readonly kind: 'journey-as-of';
      readonly journeyId: string;
      readonly asOf: string;
      readonly validAt?: string;
      /** The state (with `validAt` applied), or the events as stored. */
      readonly want: 'state' | 'events';
    }
  | { readonly kind: 'analytics'; readonly readModelFile: string; readonly query: AnalyticsQuery }
  | {
      readonly kind: 'analytics-as-of';
      readonly asOf: string;
      readonly query: AnalyticsQuery;
      /** An empty folder for the scratch projection; the pool's caller removes it, whatever happens here. */
      readonly scratchDir: string;
    };

export type JourneyAsOfResult =
  | { readonly revision: 'no-stream' }
  | { readonly revision: bigint; readonly state?: unknown; readonly events?: StoredEvent[] };

export interface AnalyticsAsOfResult {
  readonly position: bigint;
  readonly rows: unknown[];
}

/** What a task reads: the log, and (for analytics) a read model's file by name. */
export interface TaskSources {
  /** Opened on first use: analytics over read models need no log. */
  readonly store: () => EventStore;
  readonly readModel: (file: string) => Database.Database;
}

export async function performTask(task: HeavyTask, sources: TaskSources): Promise<unknown> {
  switch (task.kind) {
    case 'verify': {
      const store = sources.store();
      if (!store.verifyChain) throw new Error('This event store keeps no hash chain');
      return store.verifyChain() satisfies Promise<ChainVerification>;
    }
    case 'journey-as-of': {
      const loaded = await new JourneyReader(sources.store()).load(task.journeyId, { asOf: task.asOf });
      if (loaded.revision === 'no-stream') return { revision: 'no-stream' } satisfies JourneyAsOfResult;
      return (
        task.want === 'state'
          ? {
              revision: loaded.revision,
              // Applied here: the state crosses threads as plain data, and nothing should work on it afterwards.
              state: task.validAt ? journeyValidAt(loaded.state, task.validAt) : loaded.state,
            }
          : { revision: loaded.revision, events: loaded.events }
      ) satisfies JourneyAsOfResult;
    }
    case 'analytics':
      return runAnalyticsQuery(sqliteReader(sources.readModel(task.readModelFile)), task.query);
    case 'analytics-as-of':
      return replayAnalytics(sources.store(), task.asOf, task.query, task.scratchDir);
  }
}

/**
 * A read model as it would have been reported at `asOf` (issue 5): the log up to the last event recorded by then,
 * replayed into a scratch generation in `scratchDir`, queried, and closed.
 */
export async function replayAnalytics(
  store: EventStore,
  asOf: string,
  query: AnalyticsQuery,
  scratchDir: string,
): Promise<AnalyticsAsOfResult> {
  const name = projectionOf(query);
  const definition = ALL_PROJECTIONS.find((p) => p.name === name)!;
  const position = await positionAsOf(store, asOf);
  const files = new ReadModelFiles(scratchDir);
  const runner = new ProjectionRunner(new BoundedEventStore(store, position), definition, files, {
    pageSize: 5000,
  });
  try {
    await runner.start();
    await runner.waitFor(position);
    return { position, rows: await runAnalyticsQuery(sqliteReader(runner.reader()), query) };
  } finally {
    await runner.stop();
    files.close();
  }
}
