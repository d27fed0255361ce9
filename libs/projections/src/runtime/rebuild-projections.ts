import { type EventStore, SqliteEventStore } from '@carepath/event-store';
import { ALL_PROJECTIONS } from '../projections.registry';
import { isJourneyProjection, type JourneyProjectionDefinition } from './journey-projection';
import { rebuildInWorker } from './journey-rebuild';
import type { ProjectionDefinition } from './projection';
import { BATCH_RUNNER_OPTIONS, ProjectionRunner, type ProjectionStatus } from './projection-runner';
import type { ReadModelFiles } from './read-model-files';

export interface RebuildOptions {
  /** Default: BATCH_RUNNER_OPTIONS. */
  readonly pageSize?: number;
  readonly commitEvery?: number;
  /** Receives every rebuilding projection's status, every `progressMs` (default 200 ms). */
  readonly onProgress?: (statuses: readonly ProjectionStatus[]) => void;
  readonly progressMs?: number;
  /** On the embedded store: worker threads reading the log (default REBUILD_WORKERS). */
  readonly workers?: number;
}

/**
 * One worker reads, decodes and folds while this thread writes. A second worker (`--workers 2`) shares the reading and
 * was faster on the 2-core machine, but each worker is a heap of its own: it lifts the peak RSS of a rebuild above
 * 200 MB, and it leaves no core to an API running beside the rebuild (docs/benchmarks.md, "Projections").
 */
export const REBUILD_WORKERS = 1;

/**
 * Rebuilds projections side by side: they read each page of the log once and share each page's journey fold, so
 * rebuilding several costs about one read of the log, not one per projection. Each swaps its new generation in once
 * caught up; resolves with the final statuses, and rejects naming every projection that failed (the others are in
 * service by then). On the embedded store, journey projections are rebuilt over threads (rebuildInWorker): workers
 * read the log, decode, fold and derive rows, each for a partition of the journeys, and this thread writes them.
 * Otherwise (EventStoreDB, a projection of other streams, or a definition not in ALL_PROJECTIONS, which a worker finds
 * by name) their runners do it all in this thread. Splitting the work by projection instead, two workers each reading the whole log for some of
 * the projections, was no faster on the 2-core machine: both did the whole read and fold (docs/benchmarks.md,
 * "Projections").
 */
export async function rebuildTogether(
  store: EventStore,
  files: ReadModelFiles,
  definitions: readonly ProjectionDefinition[],
  options: RebuildOptions = {},
): Promise<ProjectionStatus[]> {
  const registered = (d: ProjectionDefinition): d is JourneyProjectionDefinition =>
    isJourneyProjection(d) && ALL_PROJECTIONS.includes(d);
  // The journey projections go to the workers; the others (per-resident and per-block streams) are small beside
  // them and are rebuilt by their runners here meanwhile, so adding one does not take the workers away from the rest.
  const threaded = store instanceof SqliteEventStore ? definitions.filter(registered) : [];
  const here = definitions.filter((d) => !threaded.includes(d as JourneyProjectionDefinition));
  const latest = new Map<string, ProjectionStatus>();
  const progress = (statuses: readonly ProjectionStatus[]) => {
    for (const status of statuses) latest.set(status.name, status);
    options.onProgress?.(definitions.flatMap((d) => latest.get(d.name) ?? []));
  };
  const parts = { ...options, ...(options.onProgress ? { onProgress: progress } : {}) };
  const [threadedStatuses, hereStatuses] = await Promise.all([
    threaded.length > 0 ? rebuildJourneysInWorker(store as SqliteEventStore, files, threaded, parts) : [],
    here.length > 0 ? rebuildWithRunners(store, files, here, parts) : [],
  ]);
  const byName = new Map([...threadedStatuses, ...hereStatuses].map((s) => [s.name, s]));
  return definitions.map((d) => byName.get(d.name)!);
}

async function rebuildJourneysInWorker(
  store: SqliteEventStore,
  files: ReadModelFiles,
  definitions: readonly JourneyProjectionDefinition[],
  options: RebuildOptions,
): Promise<ProjectionStatus[]> {
  const statuses = await rebuildInWorker(store, files, definitions, {
    pageSize: options.pageSize ?? BATCH_RUNNER_OPTIONS.pageSize,
    commitEvery: options.commitEvery ?? BATCH_RUNNER_OPTIONS.commitEvery,
    workers: options.workers ?? REBUILD_WORKERS,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.progressMs !== undefined ? { progressMs: options.progressMs } : {}),
  });
  const failed = statuses.filter((s) => s.lastError);
  if (failed.length > 0) {
    throw new Error(failed.map((s) => `projection ${s.name} failed: ${s.lastError!.message}`).join('; '));
  }
  return statuses;
}

async function rebuildWithRunners(
  store: EventStore,
  files: ReadModelFiles,
  definitions: readonly ProjectionDefinition[],
  options: RebuildOptions,
): Promise<ProjectionStatus[]> {
  const runners = definitions.map(
    (definition) =>
      new ProjectionRunner(store, definition, files, {
        pageSize: options.pageSize ?? BATCH_RUNNER_OPTIONS.pageSize,
        commitEvery: options.commitEvery ?? BATCH_RUNNER_OPTIONS.commitEvery,
      }),
  );
  const report = () => options.onProgress?.(runners.map((r) => r.status()));
  const timer = setInterval(report, options.progressMs ?? 200);
  try {
    // A projection never built (or built by another version) is built from zero by its start: waiting for it to
    // catch up is the rebuild, and a second one beside it would double the work.
    const fresh = definitions.map((d) => files.current(d.name)?.version !== d.version);
    for (const runner of runners) await runner.start();
    const head = await store.headPosition();
    await Promise.all(runners.map((runner, i) => (fresh[i] ? runner.waitFor(head) : runner.rebuild())));
    report();
    return runners.map((runner) => runner.status());
  } finally {
    clearInterval(timer);
    for (const runner of runners) await runner.stop();
  }
}

/** How far a rebuild of several projections has come: the one furthest behind, against the log head. */
export function rebuildProgress(statuses: readonly ProjectionStatus[]): { position: bigint; head: bigint } {
  const head = statuses.reduce((max, s) => (BigInt(s.headPosition) > max ? BigInt(s.headPosition) : max), 0n);
  const position = statuses.reduce((min, s) => {
    const at = BigInt(s.rebuild?.position ?? s.position);
    return at < min ? at : min;
  }, head);
  return { position, head };
}
