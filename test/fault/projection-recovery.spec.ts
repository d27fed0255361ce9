import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventStore, SqliteEventStore, StoredEvent } from '@carepath/event-store';
import {
  dumpReadModel,
  failureKind,
  type ProjectionDefinition,
  ProjectionEventError,
  type ProjectionRunner,
  ProjectionUnavailableError,
  ReadModelFiles,
  type RetryScheduler,
  type RunnerOptions,
  wardOccupancyProjection,
} from '@carepath/projections';
import { generateJourney } from '../support/journey-generator';
import {
  interceptPages,
  RunnerHarness,
  seedJourneys as seed,
  wrapWriter,
} from '../support/projection-harness';
import { waitFor } from '../support/wait-for';

/** Retries as the runner schedules them, fired by the spec: time passes when the spec says so, never by waiting. */
class ManualScheduler {
  readonly delays: number[] = [];
  private pending: { run: () => void; cancelled: boolean }[] = [];
  readonly schedule: RetryScheduler = (run, delayMs) => {
    const entry = { run, cancelled: false };
    this.pending.push(entry);
    this.delays.push(delayMs);
    return { cancel: () => (entry.cancelled = true) };
  };
  get waiting(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }
  /** Lets the earliest retry's delay pass. */
  fire(): void {
    const next = this.pending.find((p) => !p.cancelled);
    if (!next) throw new Error('no retry is scheduled');
    this.pending = this.pending.filter((p) => p !== next);
    next.run();
  }
}

describe('projection runner: transient failures retried with backoff, event failures kept, damaged files rebuilt', () => {
  const harness = new RunnerHarness();
  let store: SqliteEventStore;
  let files: ReadModelFiles;
  let scheduler: ManualScheduler;
  let scratches = 0;

  const runOn = (
    source: EventStore,
    definition: ProjectionDefinition = wardOccupancyProjection,
    options: RunnerOptions = {},
    dir = files,
  ) =>
    harness.start(source, definition, dir, {
      pageSize: 50,
      retry: { baseMs: 100, maxMs: 300 },
      schedule: scheduler.schedule,
      ...options,
    });
  const caughtUp = (runner: ProjectionRunner) => harness.caughtUp(runner);
  const state = (runner: ProjectionRunner, wanted: string) =>
    waitFor(
      () => runner.status().state,
      (s) => s === wanted,
      // A repair reads the log in a worker thread, which loads its modules from the TypeScript sources first.
      { what: `state ${wanted}`, timeoutMs: 20_000 },
    );
  const fromZero = async () => {
    const scratch = new ReadModelFiles(join(harness.folder, `scratch-${scratches++}`));
    const runner = await runOn(store, wardOccupancyProjection, { pageSize: 500 }, scratch);
    await caughtUp(runner);
    return dumpReadModel(runner.reader());
  };

  /** A runner caught up, then a table dropped from the file it serves, behind its back. */
  const dropInService = async (table: string) => {
    const runner = await runOn(store);
    await caughtUp(runner);
    const { generation } = runner.status();
    const other = new Database(files.fileOf('ward-occupancy', generation));
    other.exec(`DROP TABLE ${table}`);
    other.close();
    return { runner, generation };
  };
  const attempt = (runner: ProjectionRunner, n: number, what: string) =>
    waitFor(
      () => runner.status().retry?.attempt,
      (a) => a === n,
      { what },
    );

  beforeEach(async () => {
    harness.open('carepath-recovery-');
    store = harness.store;
    files = new ReadModelFiles(join(harness.folder, 'read-models'));
    scheduler = new ManualScheduler();
    await seed(store, 0, 40);
  });
  afterEach(() => harness.close(files));

  it('classifies failures by their code, through the causes an event error wraps', () => {
    const sqlite = (code: string, message = code) => new Database.SqliteError(message, code);
    const event = { id: 'e-1', type: 'PatientAdmitted', streamId: 'journey-1', position: 7n };
    expect(failureKind(new ProjectionEventError(event, sqlite('SQLITE_FULL')))).toBe('transient');
    expect(failureKind(sqlite('SQLITE_BUSY'))).toBe('transient');
    expect(failureKind(sqlite('SQLITE_IOERR_WRITE'))).toBe('transient');
    expect(failureKind(Object.assign(new Error('no space'), { code: 'ENOSPC' }))).toBe('transient');
    expect(failureKind(sqlite('SQLITE_CORRUPT'))).toBe('damaged');
    expect(failureKind(sqlite('SQLITE_NOTADB'))).toBe('damaged');
    expect(failureKind(new ProjectionEventError(event, sqlite('SQLITE_ERROR', 'no such table: stays')))).toBe(
      'damaged',
    );
    expect(failureKind(new ProjectionEventError(event, new TypeError('x is not iterable')))).toBe(
      'permanent',
    );
    expect(failureKind(sqlite('SQLITE_CONSTRAINT_NOTNULL'))).toBe('permanent');
    expect(failureKind(new Error('disk I/O error'))).toBe('permanent');
  });

  it('a full disk under the read model pauses it, retries with growing backoff, and it recovers by itself', async () => {
    const runner = await runOn(store);
    await caughtUp(runner);
    const generation = runner.status().generation;
    // The read model's file may not grow past its current size: every insert that needs a page fails SQLITE_FULL,
    // exactly as a full disk makes it fail.
    const db = runner.reader();
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
    await seed(store, 40, 80);
    await state(runner, 'retrying');
    expect(runner.status()).toMatchObject({
      lastError: { message: expect.stringMatching(/full/) },
      retry: { attempt: 1, delayMs: 100 },
    });
    // Queries keep reading what was committed before the failure.
    expect(runner.reader()).toBe(db);

    scheduler.fire();
    await attempt(runner, 2, 'second attempt');
    scheduler.fire();
    await attempt(runner, 3, 'third attempt');
    expect(scheduler.delays).toEqual([100, 200, 300]);

    // Space is freed; the next scheduled retry carries on from the checkpoint without anyone calling resume.
    db.pragma('max_page_count = 1000000000');
    scheduler.fire();
    await caughtUp(runner);
    await state(runner, 'live');
    expect(runner.status()).toMatchObject({ lastError: null, retry: null, generation });
    expect(scheduler.waiting).toBe(0);
    expect(dumpReadModel(runner.reader())).toEqual(await fromZero());
  });

  it('an I/O error reading the log is retried too, and the attempts count again from one after a recovery', async () => {
    let failing = 2;
    const flaky = interceptPages(store, () => async (events, lastPosition, handler) => {
      if (failing > 0) {
        failing--;
        throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      }
      await handler.onEvents(events, lastPosition);
    });
    const runner = await runOn(flaky);
    await state(runner, 'retrying');
    scheduler.fire();
    await attempt(runner, 2, 'second attempt');
    scheduler.fire();
    await caughtUp(runner);
    await state(runner, 'live');
    expect(runner.status()).toMatchObject({ lastError: null, retry: null });
    failing = 1;
    await seed(store, 40, 45);
    await attempt(runner, 1, 'a fresh first attempt');
    expect(scheduler.delays).toEqual([100, 200, 100]);
    scheduler.fire();
    await caughtUp(runner);
    expect(dumpReadModel(runner.reader())).toEqual(await fromZero());
  });

  it('a failure on one event is not retried: it stays failed with the event and its position until resumed', async () => {
    let broken = true;
    const isPoison = (e: StoredEvent) => e.type === 'PatientDischarged' && e.streamId.endsWith('00000011');
    const fragile = wrapWriter(wardOccupancyProjection, (inner) => ({
      apply(events) {
        const poison = broken ? events.find(isPoison) : undefined;
        if (poison) throw new ProjectionEventError(poison, new TypeError('discharge has no admission'));
        inner.apply(events);
      },
    }));
    const poison = (await store.readStream(generateJourney(11).streamId)).find(isPoison)!;
    const runner = await runOn(store, fragile);
    await state(runner, 'failed');
    expect(runner.status()).toMatchObject({
      state: 'failed',
      retry: null,
      lastError: {
        eventId: poison.id,
        eventType: 'PatientDischarged',
        position: poison.position.toString(),
        message: expect.stringContaining('discharge has no admission'),
      },
    });
    expect(scheduler.waiting).toBe(0);
    // Later appends do not wake it: the failure waits for a fix.
    await seed(store, 40, 45);
    expect(runner.status().state).toBe('failed');
    await expect(caughtUp(runner)).rejects.toThrow(/failed/);

    broken = false;
    runner.resume();
    await caughtUp(runner);
    await state(runner, 'live');
    expect(runner.status().lastError).toBeNull();
    expect(dumpReadModel(runner.reader())).toEqual(await fromZero());
  });

  it('a table dropped from the file in service makes the runner rebuild a fresh generation by itself', async () => {
    const { runner, generation } = await dropInService('segments');

    // A query that failed on it says so; the runner checks the file and starts the repair at once.
    let queryError: unknown;
    try {
      runner.reader().prepare('SELECT count(*) FROM segments').get();
    } catch (error) {
      queryError = error;
    }
    expect(runner.noticeQueryFailure(queryError)).toBe(true);
    expect(runner.status().state).toBe('repairing');
    expect(runner.status().lastError?.message).toMatch(/segments/);
    expect(() => runner.reader()).toThrow(ProjectionUnavailableError);

    await state(runner, 'live');
    await caughtUp(runner);
    expect(runner.status().generation).toBe(generation + 1);
    expect(files.current('ward-occupancy')?.generation).toBe(generation + 1);
    expect(existsSync(files.fileOf('ward-occupancy', generation))).toBe(false);
    expect(dumpReadModel(runner.reader())).toEqual(await fromZero());
  });

  it('the runner meets a dropped table itself when the next events arrive, and repairs', async () => {
    const { runner, generation } = await dropInService('stays');
    await seed(store, 40, 50);
    await waitFor(
      () => runner.status(),
      (s) => s.state === 'live' && s.generation === generation + 1,
      { what: 'the repaired generation in service', timeoutMs: 20_000 },
    );
    await caughtUp(runner);
    expect(dumpReadModel(runner.reader())).toEqual(await fromZero());
  });

  it('garbage written over the file in service is seen by a check of the file, whatever the connection cached', async () => {
    const runner = await runOn(store);
    await caughtUp(runner);
    const { generation } = runner.status();
    const before = dumpReadModel(runner.reader());
    // Everything committed is moved into the main file first, so the damage below is all a fresh reader finds.
    runner.reader().pragma('wal_checkpoint(TRUNCATE)');
    const file = files.fileOf('ward-occupancy', generation);
    writeFileSync(file, Buffer.alloc(statSync(file).size, 0x5a));
    // The runner's own connection may still answer from its cache: only the check reads the disk.
    expect(runner.checkReadModel()).toMatch(/not a database|malformed/);
    expect(runner.status().state).toBe('repairing');
    await state(runner, 'live');
    expect(runner.status().generation).toBe(generation + 1);
    expect(dumpReadModel(runner.reader())).toEqual(before);
    expect(runner.checkReadModel()).toBeNull();
  });

  it('a start on a damaged file builds a fresh generation instead of failing, and serves nothing until then', async () => {
    const first = await runOn(store);
    await caughtUp(first);
    const { generation } = first.status();
    const before = dumpReadModel(first.reader());
    await harness.stop(first);
    const file = files.fileOf('ward-occupancy', generation);
    writeFileSync(file, Buffer.alloc(statSync(file).size, 0x5a));

    const runner = await runOn(store);
    expect(['repairing', 'live']).toContain(runner.status().state);
    await state(runner, 'live');
    await caughtUp(runner);
    expect(runner.status().generation).toBe(generation + 1);
    expect(dumpReadModel(runner.reader())).toEqual(before);
  });
});
