import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, SqliteEventStore, type StoredEvent } from '@carepath/event-store';
import {
  ALL_PROJECTIONS,
  BATCH_STAGED_BYTES,
  isPortableProjection,
  type PortableProjectionDefinition,
  type ProjectionStatus,
  type ProjectionWriter,
  type SqlReader,
} from '@carepath/projections';
import { familyDoctorLog } from '../support/family-doctor-generator';
import { generateJourney } from '../support/journey-generator';
import { interceptPages, seedJourneys } from '../support/projection-harness';

/** A projection running on the store under test, as the contract drives it. */
export interface RunnerUnderTest {
  start(): Promise<void>;
  stop(): Promise<void>;
  waitFor(position: bigint): Promise<void>;
  rebuild(): Promise<void>;
  /** Goes on from the checkpoint after a failure. */
  resume(): void;
  status(): ProjectionStatus;
  reader(): SqlReader;
}

/** A read-model store: each `space()` is a place of its own for read models (a folder, a schema prefix). */
export interface ReadModelStoreUnderTest {
  space(): ReadModelSpace;
  close(): Promise<void>;
}

export interface ReadModelSpace {
  runner(
    log: EventStore,
    definition: PortableProjectionDefinition,
    options?: { pageSize?: number; commitEvery?: number },
  ): RunnerUnderTest;
}

/** Every read model that runs on any SQL store: all of them but those written with SQLite statements of their own. */
export const PORTABLE_PROJECTIONS = ALL_PROJECTIONS.filter(isPortableProjection);

/** Everything a read model holds, table by table, each row as its declaration reads it, in a stable order. */
export async function dumpThrough(
  reader: SqlReader,
  definition: PortableProjectionDefinition,
): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const table of definition.tables) {
    const rows = (await reader.all(`SELECT * FROM ${table.name}`)).map((row) => table.read(row));
    dump[table.name] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return dump;
}

/** A log with journeys (interleaved, as in life), institutions, family-doctor contracts and slot blocks. */
export async function seededLog(folder: string): Promise<SqliteEventStore> {
  const store = SqliteEventStore.open({ filename: join(folder, 'events.db') });
  await seedJourneys(store, 0, 60, 3);
  // Journeys stopped after their referral's request: open referrals, which the care processes keep acts for.
  for (let i = 60; i < 70; i++) {
    const { streamId, events } = generateJourney(i);
    await store.append(streamId, events.slice(0, 3), { expectedRevision: 'no-stream' });
  }
  for (const { streamId, events } of familyDoctorLog(12, 3, 8))
    await store.append(streamId, events, { expectedRevision: 'no-stream' });
  return store;
}

async function caughtUp(runner: RunnerUnderTest, log: EventStore): Promise<void> {
  await runner.waitFor(await log.headPosition());
}

/** The projection with its writer's methods replaced by what `wrap` makes around the real writer. */
function wrapPortable(
  definition: PortableProjectionDefinition,
  wrap: (inner: ProjectionWriter) => Partial<ProjectionWriter>,
): PortableProjectionDefinition {
  const opened = (inner: ProjectionWriter) => ({ ...inner, ...wrap(inner) });
  return {
    ...definition,
    open: (db, context) => opened(definition.open(db, context)),
    openWrites: (writes, context) => opened(definition.openWrites(writes, context)),
  };
}

/**
 * What every read-model store must do, whichever database it is (docs/scaling.md, "Read models in PostgreSQL"):
 * a page is applied whole with its checkpoint or not at all, a page applied again changes nothing, a rebuild from
 * zero equals the live result, and a runner another has taken the generation from writes nothing.
 */
export function readModelStoreContract(label: string, open: () => ReadModelStoreUnderTest): void {
  describe(`read-model store contract: ${label}`, () => {
    let folder: string;
    let log: SqliteEventStore;
    let models: ReadModelStoreUnderTest;
    const running: RunnerUnderTest[] = [];
    const started = async (runner: RunnerUnderTest) => {
      running.push(runner);
      await runner.start();
      return runner;
    };

    beforeAll(async () => {
      folder = mkdtempSync(join(tmpdir(), 'read-model-contract-'));
      log = await seededLog(folder);
    });
    beforeEach(() => {
      models = open();
    });
    afterEach(async () => {
      for (const runner of running.splice(0)) await runner.stop();
      await models.close();
    });
    afterAll(async () => {
      await log.close();
      rmSync(folder, { recursive: true, force: true });
    });

    it.each(PORTABLE_PROJECTIONS.map((d) => [d.name, d] as const))(
      '%s: taken in page by page, or in batches over many pages, the rows are the same',
      async (_, definition) => {
        const pages = await started(models.space().runner(log, definition, { pageSize: 7 }));
        const batches = await started(
          models.space().runner(log, definition, { pageSize: 50, commitEvery: 400 }),
        );
        await caughtUp(pages, log);
        await caughtUp(batches, log);
        const dump = await dumpThrough(pages.reader(), definition);
        expect(Object.values(dump).some((rows) => rows.length > 0)).toBe(true);
        expect(await dumpThrough(batches.reader(), definition)).toEqual(dump);
        expect(pages.status()).toMatchObject({ state: 'live', position: String(await log.headPosition()) });
      },
    );

    it('a batch commits before commitEvery once the state it stages reaches the byte budget, with the same rows', async () => {
      const definition = PORTABLE_PROJECTIONS.find((d) => d.name === 'ward-occupancy')!;
      // The journey writer's own estimate, replaced: at the budget from the first page on, or never near it.
      const weighing = (staged: number) => {
        const commits = { count: 0 };
        const wrap = (inner: ProjectionWriter): ProjectionWriter => ({
          ...inner,
          stagedBytes: () => staged,
          apply(events) {
            commits.count++;
            inner.apply(events);
          },
        });
        const weighed: PortableProjectionDefinition = {
          ...definition,
          open: (db, context) => wrap(definition.open(db, context)),
          openWrites: (writes, context) => wrap(definition.openWrites(writes, context)),
        };
        return { weighed, commits };
      };
      const heavy = weighing(BATCH_STAGED_BYTES);
      const light = weighing(0);
      const options = { pageSize: 50, commitEvery: 1_000_000 };
      const pages = Math.ceil(Number(await log.headPosition()) / options.pageSize);
      const bounded = await started(models.space().runner(log, heavy.weighed, options));
      const unbounded = await started(models.space().runner(log, light.weighed, options));
      await caughtUp(bounded, log);
      await caughtUp(unbounded, log);
      // Every page past the first commits on its own; without the budget the whole log is one batch.
      expect(heavy.commits.count).toBeGreaterThanOrEqual(pages - 1);
      expect(light.commits.count).toBeLessThanOrEqual(2);
      expect(await dumpThrough(bounded.reader(), definition)).toEqual(
        await dumpThrough(unbounded.reader(), definition),
      );
    });

    it('a page delivered twice changes nothing', async () => {
      const definition = PORTABLE_PROJECTIONS.find((d) => d.name === 'ward-occupancy')!;
      const once = await started(models.space().runner(log, definition, { pageSize: 11 }));
      const twice = await started(
        models.space().runner(
          interceptPages(log, () => async (events, lastPosition, handler) => {
            await handler.onEvents(events, lastPosition);
            await handler.onEvents(events, lastPosition);
          }),
          definition,
          { pageSize: 11 },
        ),
      );
      await caughtUp(once, log);
      await caughtUp(twice, log);
      expect(await dumpThrough(twice.reader(), definition)).toEqual(
        await dumpThrough(once.reader(), definition),
      );
      expect(twice.status().eventsApplied).toBe(once.status().eventsApplied);
    });

    it('a rebuild from zero equals the live result and moves to a new generation', async () => {
      const definition = PORTABLE_PROJECTIONS.find((d) => d.name === 'referral-volume')!;
      const runner = await started(models.space().runner(log, definition, { pageSize: 13 }));
      await caughtUp(runner, log);
      const live = await dumpThrough(runner.reader(), definition);
      const before = runner.status().generation;
      await runner.rebuild();
      await caughtUp(runner, log);
      expect(runner.status().generation).toBeGreaterThan(before);
      expect(runner.status().lastRebuild?.outcome).toBe('rebuilt');
      expect(await dumpThrough(runner.reader(), definition)).toEqual(live);
    });

    it('a runner whose generation another runner opened since commits nothing more', async () => {
      const definition = PORTABLE_PROJECTIONS.find((d) => d.name === 'ward-occupancy')!;
      const space = models.space();
      const first = await started(space.runner(log, definition, { pageSize: 10 }));
      await caughtUp(first, log);
      const before = await dumpThrough(first.reader(), definition);
      // Another projector takes the projection over (its lease), opening the same generation, then stops.
      const second = space.runner(log, definition, { pageSize: 10 });
      await second.start();
      await caughtUp(second, log);
      await second.stop();
      const { streamId, events } = generateJourney(900);
      await log.append(streamId, events, { expectedRevision: 'no-stream' });
      await expect(first.waitFor(await log.headPosition())).rejects.toThrow(/written by another runner/);
      expect(await dumpThrough(first.reader(), definition)).toEqual(before);
    });

    it('a page that fails commits neither its rows nor its checkpoint; resumed, the result equals a clean run', async () => {
      const definition = PORTABLE_PROJECTIONS.find((d) => d.name === 'worklist')!;
      const { events } = await log.readAll({ after: 0n, maxCount: 1_000_000 });
      const victim = events.find((e: StoredEvent) => e.streamId.startsWith('journey-') && e.position > 40n)!;
      let broken = true;
      const failing = wrapPortable(definition, (inner) => ({
        apply(page) {
          inner.apply(page);
          // Fails after the writer has queued the page's rows: they must not reach the read model.
          if (broken && page.some((e) => e.id === victim.id)) throw new Error('disk on fire');
        },
      }));
      const clean = await started(models.space().runner(log, definition, { pageSize: 9 }));
      const runner = await started(models.space().runner(log, failing, { pageSize: 9 }));
      await expect(runner.waitFor(await log.headPosition())).rejects.toThrow(/disk on fire/);
      expect(runner.status().state).toBe('failed');
      expect(BigInt(runner.status().position)).toBeLessThan(victim.position);
      broken = false;
      runner.resume();
      await caughtUp(runner, log);
      await caughtUp(clean, log);
      expect(await dumpThrough(runner.reader(), definition)).toEqual(
        await dumpThrough(clean.reader(), definition),
      );
    });
  });
}
