import { join } from 'node:path';
import type { EventStore, SqliteEventStore, StoredEvent } from '@carepath/event-store';
import {
  ALL_PROJECTIONS,
  dumpReadModel,
  type ProjectionDefinition,
  ProjectionEventError,
  type ProjectionRunner,
  ReadModelFiles,
  type RunnerOptions,
  wardOccupancyProjection,
} from '@carepath/projections';
import { generateJourney } from '../support/journey-generator';
import { interceptPages, RunnerHarness, seedJourneys, wrapWriter } from '../support/projection-harness';
import { waitFor } from '../support/wait-for';

const dump = dumpReadModel;

/** Each journey appended in two steps (3 events, then the rest), so journeys interleave in the log. */
const seed = (store: SqliteEventStore, from: number, to: number) => seedJourneys(store, from, to, 3);

describe('projection runner: checkpoints, duplicates, poison events, crashes and rebuilds', () => {
  const harness = new RunnerHarness();
  let store: SqliteEventStore;
  let files: ReadModelFiles;
  let scratches = 0;
  const run = (definition: ProjectionDefinition, dir = files, pageSize = 50) =>
    harness.start(store, definition, dir, { pageSize });
  /** A runner on any store (e.g. one that misbehaves) with any options, stopped after the test. */
  const runOn = (source: EventStore, definition: ProjectionDefinition, options: RunnerOptions) =>
    harness.start(source, definition, files, options);
  const failure = (runner: ProjectionRunner) =>
    waitFor(
      () => runner.status().state,
      (s) => s === 'failed',
      { what: 'failure' },
    );
  const caughtUp = (runner: ProjectionRunner) => harness.caughtUp(runner);
  /** The same projection built from zero in a separate folder: what "a rebuild" gives. */
  const fromZero = async (definition: ProjectionDefinition) => {
    const scratch = new ReadModelFiles(join(harness.folder, `scratch-${definition.name}-${scratches++}`));
    const runner = await run(definition, scratch, 500);
    await caughtUp(runner);
    return dump(runner.reader());
  };

  beforeEach(async () => {
    harness.open('carepath-runner-');
    store = harness.store;
    files = new ReadModelFiles(join(harness.folder, 'read-models'));
    await seed(store, 0, 60);
  });
  afterEach(() => harness.close());

  it('catches up in pages, then follows live appends; the checkpoint commits with the rows', async () => {
    const runner = await run(wardOccupancyProjection);
    await caughtUp(runner);
    expect(runner.status()).toMatchObject({ state: 'live', lag: '0', lastError: null });
    await seed(store, 60, 70);
    await caughtUp(runner);
    const checkpoint = runner.reader().prepare('SELECT position FROM checkpoint').get() as {
      position: number;
    };
    expect(BigInt(checkpoint.position)).toBe(await store.headPosition());
    expect(dump(runner.reader())).toEqual(await fromZero(wardOccupancyProjection));
  });

  it('drops the per-journey revision table that generations built by older releases kept', () => {
    const db = files.open(
      wardOccupancyProjection.name,
      9,
      'CREATE TABLE journey_revisions (journey_id TEXT)',
    );
    db.prepare("INSERT INTO journey_revisions VALUES ('j-1')").run();
    db.close();
    const reopened = files.open(wardOccupancyProjection.name, 9, wardOccupancyProjection.schema);
    const tables = reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    reopened.close();
    expect(tables).not.toContain('journey_revisions');
    expect(tables).toContain('stays');
  });

  it('a late correction to a closed journey moves its rows, as a rebuild would', async () => {
    const runner = await run(wardOccupancyProjection);
    await caughtUp(runner);
    const { streamId, events } = generateJourney(5);
    const admitted = events.find((e) => e.type === 'PatientAdmitted')!;
    const stored = await store.readStream(streamId);
    expect(stored.at(-1)!.type).toBe('JourneyClosed');
    const before = runner
      .reader()
      .prepare('SELECT admitted_at FROM stays WHERE journey_id = ?')
      .all(streamId.slice(8));
    await store.append(
      streamId,
      [
        {
          id: 'correction-5',
          type: 'EventCorrected',
          schemaVersion: 1,
          data: {
            targetEventId: admitted.id,
            targetType: 'PatientAdmitted',
            occurredAt: '2026-01-01T00:00:00+08:00',
            data: {},
          },
          metadata: { ...admitted.metadata, occurredAt: '2026-11-01T00:00:00+08:00' },
        },
      ],
      { expectedRevision: stored.at(-1)!.revision },
    );
    await caughtUp(runner);
    const after = runner
      .reader()
      .prepare('SELECT admitted_at FROM stays WHERE journey_id = ?')
      .all(streamId.slice(8));
    expect(after).not.toEqual(before);
    expect(after).toContainEqual({ admitted_at: Date.parse('2026-01-01T00:00:00+08:00') });
    expect(dump(runner.reader())).toEqual(await fromZero(wardOccupancyProjection));
  });

  it('changes nothing when pages are delivered twice, overlapping, or again after a restart', async () => {
    // At-least-once delivery as a store can give it: every page handed over twice, each time together with the
    // page before it. The runner's checkpoint, committed with the rows, must make every repeat a no-op, both for
    // runners committing each page and for runners staging pages into batches.
    const redelivering = interceptPages(store, () => {
      let previous: readonly StoredEvent[] = [];
      return async (events, lastPosition, handler) => {
        await handler.onEvents([...previous, ...events], lastPosition);
        await handler.onEvents(events, lastPosition);
        previous = events;
      };
    });
    for (const definition of ALL_PROJECTIONS) {
      const expected = await fromZero(definition);
      for (const [label, options] of [
        ['every page committed', { pageSize: 7 }],
        ['pages staged into batches', { pageSize: 7, commitEvery: 30 }],
      ] as const) {
        const dir = new ReadModelFiles(
          join(harness.folder, `dup-${definition.name}-${options.pageSize}-${label}`),
        );
        const runner = await harness.start(redelivering, definition, dir, options);
        await caughtUp(runner);
        expect({ label, rows: dump(runner.reader()) }).toEqual({ label, rows: expected });
        // A restart resumes from the checkpoint, with every page again delivered twice.
        await runner.stop();
        const again = await harness.start(redelivering, definition, dir, options);
        await caughtUp(again);
        expect({ label, rows: dump(again.reader()) }).toEqual({ label, rows: expected });
      }
    }
  });

  it.each([
    ['committing every page', { pageSize: 50 }],
    ['staging pages into batches', { pageSize: 20, commitEvery: 200 }],
  ])(
    'stops only the projection with a poison event, reports it, and resumes from its checkpoint once fixed (%s)',
    async (_, options) => {
      let broken = true;
      const isPoison = (e: StoredEvent) => e.type === 'SurgeryRecorded' && e.streamId.endsWith('00000007');
      const fragile: ProjectionDefinition = {
        ...wrapWriter(wardOccupancyProjection, (inner) => ({
          stage(events) {
            // A batch being staged drops everything staged so far: the checkpoint stays before the batch.
            const poison = broken ? events.find(isPoison) : undefined;
            if (poison) throw new ProjectionEventError(poison, new Error('cannot map procedure'));
            inner.stage!(events);
          },
          apply(events) {
            const poison = broken ? events.find(isPoison) : undefined;
            if (poison) {
              // Simulates a projection bug on one event; the page must roll back entirely.
              inner.apply(events.slice(0, events.indexOf(poison)));
              throw new ProjectionEventError(poison, new Error('cannot map procedure'));
            }
            inner.apply(events);
          },
        })),
        name: 'fragile-occupancy',
      };
      const healthy = await run(ALL_PROJECTIONS[1]!);
      const runner = await runOn(store, fragile, options);
      await failure(runner);
      const failed = runner.status();
      expect(failed.lastError).toMatchObject({
        eventType: 'SurgeryRecorded',
        message: expect.stringContaining('cannot map procedure'),
      });
      expect(failed.lastError!.streamId).toMatch(/00000007$/);
      const stuckAt = BigInt(
        (runner.reader().prepare('SELECT position FROM checkpoint').get() as { position: number }).position,
      );
      expect(stuckAt).toBeLessThan(BigInt(failed.lastError!.position!));
      await expect(runner.waitFor(await store.headPosition())).rejects.toThrow(/failed/);

      await caughtUp(healthy);
      expect(healthy.status().state).toBe('live');

      broken = false;
      runner.resume();
      await caughtUp(runner);
      expect(runner.status()).toMatchObject({ state: 'live', lastError: null });
      expect(dump(runner.reader())).toEqual(await fromZero(wardOccupancyProjection));
    },
  );

  it('a read of the log failing in the middle of a staged batch loses nothing: resumed, it equals a rebuild', async () => {
    let failures = 1;
    const flaky = interceptPages(store, () => {
      let pages = 0;
      return async (events, lastPosition, handler) => {
        // The third page never arrives: the store reports a failure instead, as a broken read would.
        if (++pages === 3 && failures-- > 0) throw new Error('disk I/O error');
        await handler.onEvents(events, lastPosition);
      };
    });
    const runner = await runOn(flaky, wardOccupancyProjection, { pageSize: 20, commitEvery: 200 });
    await failure(runner);
    expect(runner.status().position).toBe('0');
    runner.resume();
    await caughtUp(runner);
    expect(dump(runner.reader())).toEqual(await fromZero(wardOccupancyProjection));
  });

  it('a crash in the middle of a page loses nothing: the restarted projection equals a rebuild', async () => {
    let crashes = 0;
    const crashing = wrapWriter(wardOccupancyProjection, (inner) => ({
      apply(events) {
        inner.apply(events.slice(0, Math.floor(events.length / 2)));
        if (crashes++ === 3) throw new Error('killed mid-batch');
        inner.apply(events.slice(Math.floor(events.length / 2)));
      },
    }));
    const first = await run(crashing);
    await waitFor(
      () => first.status().state,
      (s) => s === 'failed',
      { what: 'crash' },
    );
    await harness.stop(first);
    // A new process would find the files as the crash left them: the half page was never committed.
    const restarted = await run(wardOccupancyProjection);
    await caughtUp(restarted);
    expect(dump(restarted.reader())).toEqual(await fromZero(wardOccupancyProjection));
  });

  it.each([
    ['committing every page', { pageSize: 50 }],
    // As the API runs it: the generation in service commits every page, the one being rebuilt in batches.
    ['the rebuild committing batches', { pageSize: 20, rebuildCommitEvery: 200 }],
  ])(
    'a rebuild while writes continue swaps in a new generation equal to the live result (%s)',
    async (_, options) => {
      const runner = await runOn(store, wardOccupancyProjection, options);
      await caughtUp(runner);
      const generation = runner.status().generation;
      const writes = seed(store, 60, 120);
      await runner.rebuild();
      await writes;
      await caughtUp(runner);
      expect(runner.status().generation).toBe(generation + 1);
      expect(files.current('ward-occupancy')).toEqual({ generation: generation + 1, version: 1 });
      expect(dump(runner.reader())).toEqual(await fromZero(wardOccupancyProjection));
    },
  );
});
