import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, type SubscribeOptions } from '@carepath/event-store';
import {
  ALL_PROJECTIONS,
  deriveJourneyRebuild,
  dumpReadModel,
  isJourneyProjection,
  JourneyRebuildSink,
  type ProjectionDefinition,
  ProjectionRunner,
  ReadModelFiles,
  RebuildTimeoutError,
  type RebuildMessage,
  wardOccupancyProjection,
} from '@carepath/projections';
import { generateJourney, institutionStreams } from '../support/journey-generator';
import { waitFor } from '../support/wait-for';

/*
 * Issue 15: a runner's rebuild of a journey projection on the embedded store reads and folds the log in a worker
 * thread up to the head it finds, writes the rows here in short stretches, then follows the rest of the log itself
 * and swaps the generation in. Whatever runs meanwhile, the result is what a build from zero gives.
 */
describe('runner rebuilds off the event loop', () => {
  let folder: string;
  let store: SqliteEventStore;
  let files: ReadModelFiles;
  const runners: ProjectionRunner[] = [];

  const seed = async (from: number, to: number) => {
    for (const { streamId, events } of from === 0 ? institutionStreams() : [])
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
    for (let i = from; i < to; i++) {
      const { streamId, events } = generateJourney(i);
      // Interleaved in the log: later events of a journey arrive after other journeys' first ones.
      await store.append(streamId, events.slice(0, 3), { expectedRevision: 'no-stream' });
      if (events.length > 3) await store.append(streamId, events.slice(3), { expectedRevision: 2n });
    }
  };
  const start = async (definition: ProjectionDefinition, options = {}, dir = files) => {
    const runner = new ProjectionRunner(store, definition, dir, { pageSize: 50, ...options });
    runners.push(runner);
    await runner.start();
    await runner.waitFor(await store.headPosition());
    return runner;
  };
  /** The projection built from zero by a runner of its own (in this thread), in a folder of its own. */
  const fromZero = async (definition: ProjectionDefinition) => {
    const scratch = new ReadModelFiles(join(folder, `scratch-${definition.name}-${runners.length}`));
    const runner = await start(definition, { rebuildInWorker: false }, scratch);
    return dumpReadModel(runner.reader());
  };

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-off-thread-'));
    store = SqliteEventStore.open({ filename: join(folder, 'events.db') });
    files = new ReadModelFiles(join(folder, 'read-models'));
    await seed(0, 80);
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    files.close();
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('every journey projection: the log up to the head is read in a worker, the rest here, writes go on, the result equals a build', async () => {
    const live = [];
    for (const definition of ALL_PROJECTIONS.filter(isJourneyProjection)) {
      live.push(await start(definition, { rebuildCommitEvery: 100 }));
    }
    const head = await store.headPosition();
    const generations = live.map((r) => r.status().generation);
    // Every subscription this thread opens on the log from here on: none may start below the head.
    const subscribedFrom: bigint[] = [];
    const subscribe = store.subscribeToAll.bind(store);
    const spy = jest
      .spyOn(store, 'subscribeToAll')
      .mockImplementation((options: SubscribeOptions, handler) => {
        subscribedFrom.push(options.after);
        return subscribe(options, handler);
      });
    try {
      const rebuilds = live.map((r) => r.rebuild());
      for (const r of live) expect(r.status().rebuild).toMatchObject({ where: 'worker' });
      // Writes go on while the workers read; queries answer from the generations in service.
      const writes = seed(80, 140);
      for (const [i, r] of live.entries()) {
        expect(r.status().generation).toBe(generations[i]);
        expect(() => r.reader().prepare('SELECT position FROM checkpoint').get()).not.toThrow();
      }
      await Promise.all(rebuilds);
      await writes;
    } finally {
      spy.mockRestore();
    }
    expect(subscribedFrom.length).toBe(live.length);
    for (const after of subscribedFrom) expect(after).toBeGreaterThanOrEqual(head);
    const end = await store.headPosition();
    for (const [i, r] of live.entries()) {
      await r.waitFor(end);
      expect(r.status()).toMatchObject({
        generation: generations[i]! + 1,
        state: 'live',
        rebuild: null,
        lastRebuild: { outcome: 'rebuilt', where: 'worker', generation: generations[i]! + 1 },
      });
      expect(files.current(r.name)?.generation).toBe(generations[i]! + 1);
      expect(existsSync(files.fileOf(r.name, generations[i]!))).toBe(false);
      expect(dumpReadModel(r.reader())).toEqual(await fromZero(r.definition));
    }
  }, 120_000);

  it('a page whose rows are many is written in parts, each journey whole, and the result is the same', async () => {
    const messages: RebuildMessage[] = [];
    // The journey projections, the ones whose rebuild is derived in worker threads.
    const definitions = ALL_PROJECTIONS.filter(isJourneyProjection);
    const sink = new JourneyRebuildSink(files, definitions);
    await deriveJourneyRebuild(
      store,
      definitions.map((d) => d.journey),
      // Small parts, and one batch over the whole log: its flush alone holds every journey still open.
      { pageSize: 200, commitEvery: 1_000_000, maxValuesPerMessage: 40 },
      (message) => {
        messages.push(message);
        sink.take(message);
      },
    );
    const pages = messages.filter((m) => m.kind === 'page');
    const parts = pages.filter((m) => m.kind === 'page' && m.events === 0);
    expect(parts.length).toBeGreaterThan(pages.length - parts.length);
    expect(messages.some((m) => m.kind === 'failed')).toBe(false);
    for (const definition of definitions) {
      const current = files.current(definition.name)!;
      const db = files.open(definition.name, current.generation, definition.schema);
      try {
        expect(dumpReadModel(db)).toEqual(await fromZero(definition));
      } finally {
        db.close();
      }
    }
  }, 60_000);

  it('past its budget the rebuild stops, its generation is dropped, and the one in service stays', async () => {
    const runner = await start(wardOccupancyProjection);
    const before = dumpReadModel(runner.reader());
    const { generation } = runner.status();
    const rebuilt = runner.rebuild({ budgetMs: 1 });
    const dropped = runner.status().rebuild!.generation;
    await expect(rebuilt).rejects.toBeInstanceOf(RebuildTimeoutError);
    expect(runner.status()).toMatchObject({
      generation,
      state: 'live',
      rebuild: null,
      lastRebuild: { outcome: 'timed-out', generation: dropped, where: 'worker' },
    });
    expect(files.current('ward-occupancy')?.generation).toBe(generation);
    // The workers are stopped and their file removed as they end (after the answer).
    await waitFor(
      () => existsSync(files.fileOf('ward-occupancy', dropped)),
      (exists) => !exists,
      { what: 'the dropped generation removed', timeoutMs: 20_000 },
    );
    // Still served and still fed.
    expect(dumpReadModel(runner.reader())).toEqual(before);
    await seed(80, 90);
    await runner.waitFor(await store.headPosition());
    expect(dumpReadModel(runner.reader())).toEqual(await fromZero(wardOccupancyProjection));
    // A rebuild with room to finish then succeeds.
    await runner.rebuild();
    expect(runner.status().lastRebuild).toMatchObject({ outcome: 'rebuilt' });
    expect(dumpReadModel(runner.reader())).toEqual(await fromZero(wardOccupancyProjection));
  }, 60_000);

  it('stopping the runner stops a rebuild in its worker rather than waiting for it, and drops its generation', async () => {
    const runner = await start(wardOccupancyProjection);
    const { generation } = runner.status();
    const rebuilt = runner.rebuild();
    const dropped = runner.status().rebuild!.generation;
    await runner.stop();
    runners.splice(runners.indexOf(runner), 1);
    await expect(rebuilt).rejects.toThrow(/stopped/);
    expect(existsSync(files.fileOf('ward-occupancy', dropped))).toBe(false);
    expect(files.current('ward-occupancy')?.generation).toBe(generation);
  }, 60_000);
});
