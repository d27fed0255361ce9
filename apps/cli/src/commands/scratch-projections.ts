import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoundedEventStore, type EventStore } from '@carepath/event-store';
import {
  BATCH_RUNNER_OPTIONS,
  type ProjectionDefinition,
  ProjectionRunner,
  ReadModelFiles,
} from '@carepath/projections';
import { progressBar } from '@carepath/runtime';

/**
 * Builds projections side by side from a view of the log into scratch files (one read of the log for all), runs
 * `use` on each one's database, and throws the files away.
 */
export async function scratch<T>(
  store: EventStore,
  definitions: readonly ProjectionDefinition[],
  bound: bigint,
  use: (db: Database.Database, definition: ProjectionDefinition) => T | Promise<T>,
): Promise<T[]> {
  const folder = mkdtempSync(join(tmpdir(), 'carepath-cli-'));
  const files = new ReadModelFiles(folder);
  const bounded = new BoundedEventStore(store, bound);
  const runners = definitions.map(
    (definition) => new ProjectionRunner(bounded, definition, files, BATCH_RUNNER_OPTIONS),
  );
  const bar = progressBar(definitions.map((d) => d.name).join(' + '));
  const timer = setInterval(
    () => bar(Math.min(...runners.map((r) => Number(r.status().position))), bound),
    200,
  );
  try {
    for (const runner of runners) await runner.start();
    await Promise.all(runners.map((runner) => runner.waitFor(bound)));
    bar(bound, bound);
    const results: T[] = [];
    // Each used before the files are closed below, a query that answers later included.
    for (const [i, runner] of runners.entries()) results.push(await use(runner.reader(), definitions[i]!));
    return results;
  } finally {
    clearInterval(timer);
    bar.end();
    for (const runner of runners) await runner.stop();
    files.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** One projection built in scratch files up to `bound`: `use` sees it. */
export async function scratchOne<T>(
  store: EventStore,
  definition: ProjectionDefinition,
  bound: bigint,
  use: (db: Database.Database) => T | Promise<T>,
): Promise<T> {
  const [result] = await scratch(store, [definition], bound, use);
  return result!;
}
