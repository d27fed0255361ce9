import type { EventStore } from '@carepath/event-store';
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
}

/**
 * Rebuilds projections side by side in this thread: their runners read each page of the log once and share each
 * page's journey fold, so rebuilding several costs about one read of the log, not one per projection. Each swaps
 * its new generation in once caught up; resolves with the final statuses. It stays in one thread on purpose: spread
 * over two worker threads (each reading the log itself), a rebuild of the three analytics projections was no faster
 * on the 2-core machine and used far more CPU and memory; decoding and folding allocate heavily, and two heaps
 * collecting garbage at once compete for the same cores (docs/benchmarks.md, "Projections").
 */
export async function rebuildTogether(
  store: EventStore,
  files: ReadModelFiles,
  definitions: readonly ProjectionDefinition[],
  options: RebuildOptions = {},
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
