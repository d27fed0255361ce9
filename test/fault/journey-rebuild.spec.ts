import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@carepath/event-store';
import {
  ALL_PROJECTIONS,
  isJourneyProjection,
  deriveJourneyRebuild,
  dumpReadModel,
  journeyProjection,
  JourneyRebuildSink,
  type ProjectionDefinition,
  ProjectionRunner,
  ReadModelFiles,
  rebuildTogether,
  referralVolumeProjection,
  wardOccupancyProjection,
} from '@carepath/projections';
import { generateJourney, institutionStreams } from '../support/journey-generator';

/**
 * Rebuilds of the embedded log split over two threads (rebuildInWorker): a worker reads, folds and derives rows, the
 * calling thread writes them. Whatever the split, the result must be what a runner builds from the same log.
 */
describe('journey rebuild in a worker thread', () => {
  let folder: string;
  let logFile: string;
  let store: SqliteEventStore;
  let files: ReadModelFiles;

  /** Journeys interleaved in the log, as in life: every journey's first events, then the rest of each. */
  const seed = async (count: number) => {
    for (const { streamId, events } of institutionStreams())
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
    const journeys = Array.from({ length: count }, (_, i) => generateJourney(i));
    for (const { streamId, events } of journeys)
      await store.append(streamId, events.slice(0, 2), { expectedRevision: 'no-stream' });
    for (const { streamId, events } of journeys)
      if (events.length > 2) await store.append(streamId, events.slice(2), { expectedRevision: 1n });
  };

  /** Each projection built by a runner from zero, in a folder of its own: what the rebuild must equal. */
  const builtByRunners = async (definitions: readonly ProjectionDefinition[]) => {
    const scratch = new ReadModelFiles(join(folder, 'scratch'));
    const head = await store.headPosition();
    const dumps: Record<string, unknown> = {};
    for (const definition of definitions) {
      const runner = new ProjectionRunner(store, definition, scratch, { pageSize: 7 });
      await runner.start();
      await runner.waitFor(head);
      dumps[definition.name] = dumpReadModel(runner.reader());
      await runner.stop();
    }
    scratch.close();
    return dumps;
  };

  /** The generation in service, read as queries read it. */
  const served = (name: string) => {
    const current = files.current(name)!;
    const db = new Database(files.fileOf(name, current.generation), { readonly: true });
    try {
      const checkpoint = db.prepare('SELECT position, events FROM checkpoint').get() as {
        position: number;
        events: number;
      };
      const journal = String(db.pragma('journal_mode', { simple: true }));
      return { generation: current.generation, checkpoint, journal, rows: dumpReadModel(db) };
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-rebuild-'));
    logFile = join(folder, 'events.db');
    store = SqliteEventStore.open({ filename: logFile });
    files = new ReadModelFiles(join(folder, 'read-models'));
    await seed(40);
  });
  afterEach(async () => {
    files.close();
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it.each([1, 2])(
    'builds every projection as its runner does, across batches and a late correction, and swaps it in (%i workers)',
    async (workers) => {
      // A late correction to a journey closed long before: the worker must read the journey back from the log.
      const { streamId, events } = generateJourney(3);
      const admitted = events.find((e) => e.type === 'PatientAdmitted')!;
      const last = (await store.readStream(streamId)).at(-1)!;
      expect(last.type).toBe('JourneyClosed');
      await store.append(
        streamId,
        [
          {
            id: 'late-correction',
            type: 'EventCorrected',
            schemaVersion: 1,
            data: {
              targetEventId: admitted.id,
              targetType: 'PatientAdmitted',
              occurredAt: '2026-02-02T00:00:00+08:00',
              data: {},
            },
            metadata: { ...admitted.metadata, occurredAt: '2026-12-01T00:00:00+08:00' },
          },
        ],
        { expectedRevision: last.revision },
      );
      const expected = await builtByRunners(ALL_PROJECTIONS);
      const head = await store.headPosition();
      // Generations already in service: the rebuild replaces them.
      for (const definition of ALL_PROJECTIONS) files.promote(definition.name, 4, definition.version);
      const progress: string[] = [];

      // Small pages and batches: open journeys are written at one batch's end and replaced in a later one.
      const statuses = await rebuildTogether(store, files, ALL_PROJECTIONS, {
        pageSize: 16,
        commitEvery: 48,
        workers,
        progressMs: 1,
        onProgress: (all) => progress.push(all.map((s) => s.state).join()),
      });

      expect(statuses.map((s) => [s.name, s.state, s.generation, s.position, s.lastError])).toEqual(
        ALL_PROJECTIONS.map((d) => [d.name, 'live', 5, head.toString(), null]),
      );
      expect(progress.at(-1)).toBe(ALL_PROJECTIONS.map(() => 'live').join(','));
      for (const definition of ALL_PROJECTIONS) {
        const { generation, checkpoint, journal, rows } = served(definition.name);
        expect(generation).toBe(5);
        // Built without a journal, served in WAL mode as every generation.
        expect(journal).toBe('wal');
        expect(BigInt(checkpoint.position)).toBe(head);
        expect(rows).toEqual(expected[definition.name]);
      }
      const db = new Database(files.fileOf(wardOccupancyProjection.name, 5), { readonly: true });
      const admittedAt = db
        .prepare('SELECT admitted_at FROM stays WHERE journey_id = ?')
        .pluck()
        .all(streamId.slice(8));
      db.close();
      expect(admittedAt).toContain(Date.parse('2026-02-02T00:00:00+08:00'));
    },
  );

  it('a rebuild while writes continue stops at the head it found; the runners then take the rest, equal to a build', async () => {
    const head = await store.headPosition();
    const rebuilt = rebuildTogether(store, files, ALL_PROJECTIONS, {
      pageSize: 16,
      commitEvery: 48,
      workers: 2,
    });
    // New journeys appended while the workers start and read: not theirs to write.
    for (let i = 100; i < 110; i++) {
      const { streamId, events } = generateJourney(i);
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
    }
    const statuses = await rebuilt;

    // The workers' projections stop at the head they found; the others are rebuilt by runners, which follow the log
    // as it grows (rebuildTogether), so they may have taken some of the new journeys already, never less than that head.
    const workers = ALL_PROJECTIONS.map((d) => isJourneyProjection(d));
    expect(statuses.filter((_, i) => workers[i]).map((s) => s.position)).toEqual(
      ALL_PROJECTIONS.filter((_, i) => workers[i]).map(() => head.toString()),
    );
    for (const status of statuses.filter((_, i) => !workers[i]))
      expect(BigInt(status.position)).toBeGreaterThanOrEqual(head);
    const expected = await builtByRunners(ALL_PROJECTIONS);
    const end = await store.headPosition();
    for (const definition of ALL_PROJECTIONS) {
      const runner = new ProjectionRunner(store, definition, files, { pageSize: 7 });
      await runner.start();
      await runner.waitFor(end);
      expect(runner.status()).toMatchObject({ position: end.toString(), lastError: null });
      expect(dumpReadModel(runner.reader())).toEqual(expected[definition.name]);
      await runner.stop();
    }
  });

  it('an event the fold cannot apply fails every journey projection and names it; their generations in service stay', async () => {
    await store.append(
      generateJourney(7).streamId,
      [{ id: 'poison', type: 'NoSuchEvent', schemaVersion: 1, data: {}, metadata: {} }],
      { expectedRevision: 'any' },
    );
    for (const definition of ALL_PROJECTIONS) files.promote(definition.name, 2, definition.version);

    await expect(rebuildTogether(store, files, ALL_PROJECTIONS)).rejects.toThrow(
      /projection ward-occupancy failed: NoSuchEvent poison at position \d+: unknown journey event type/,
    );

    // A journey stream's event is no concern of the projections of other streams: they are rebuilt beside.
    for (const definition of ALL_PROJECTIONS.filter(isJourneyProjection)) {
      expect(files.current(definition.name)).toEqual({ generation: 2, version: definition.version });
      expect(existsSync(files.fileOf(definition.name, 3))).toBe(false);
    }
  });

  it('a projection whose rows cannot be derived is dropped and reported; the others go into service', async () => {
    const broken = generateJourney(11).streamId.slice('journey-'.length);
    const poisoned = journeyProjection({
      ...referralVolumeProjection.journey,
      name: 'poisoned',
      derive: (state, journeyId) => {
        if (journeyId === broken) throw new Error('cannot derive');
        return referralVolumeProjection.journey.derive(state, journeyId);
      },
    });
    const expected = await builtByRunners([wardOccupancyProjection]);
    // In this thread: the worker finds its projections by name in ALL_PROJECTIONS, and this one is not there.
    const sink = new JourneyRebuildSink(files, [poisoned, wardOccupancyProjection]);

    await deriveJourneyRebuild(
      store,
      [poisoned.journey, wardOccupancyProjection.journey],
      { pageSize: 25, commitEvery: 100, now: () => new Date('2026-11-29T00:00:00Z') },
      (message) => sink.take(message),
    );

    const [failed, served_] = sink.statuses();
    expect(failed).toMatchObject({
      name: 'poisoned',
      state: 'failed',
      generation: 0,
      lastError: {
        message: expect.stringContaining('cannot derive') as string,
        streamId: `journey-${broken}`,
        at: '2026-11-29T00:00:00.000Z',
      },
    });
    expect(files.current('poisoned')).toBeNull();
    expect(served_).toMatchObject({ name: wardOccupancyProjection.name, state: 'live', lastError: null });
    expect(served(wardOccupancyProjection.name).rows).toEqual(expected[wardOccupancyProjection.name]);
  });
});
