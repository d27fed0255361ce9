import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AppendResult,
  EventStoreBusyError,
  EventStoreUnavailableError,
  SqliteEventStore,
} from '@carepath/event-store';
import { waitFor } from '../support/wait-for';

/*
 * Issue 15: another connection holding the embedded log's write lock (a backup, a sqlite3 shell, a second process)
 * makes appends wait without blocking the event loop, and past the busy budget they fail with nothing written.
 * The loop is shown to run by ticks of setImmediate counted while the append waits, never by timing.
 */
describe('embedded store: a write lock held elsewhere', () => {
  let folder: string;
  let filename: string;
  let other: Database.Database;
  const stores: SqliteEventStore[] = [];

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-busy-'));
    filename = join(folder, 'events.db');
  });
  afterEach(async () => {
    if (other?.open) {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
    for (const store of stores.splice(0)) await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const open = (busyBudgetMs: number): SqliteEventStore => {
    const store = SqliteEventStore.open({ filename, busyBudgetMs });
    stores.push(store);
    return store;
  };

  /** A second connection on the file, holding the write lock until COMMIT or ROLLBACK. */
  const holdLock = (): Database.Database => {
    other = new Database(filename);
    other.exec('BEGIN IMMEDIATE');
    return other;
  };

  const event = (n: number) => ({
    id: randomUUID(),
    type: 'VisitRecorded',
    schemaVersion: 1,
    data: { n },
    metadata: {},
  });

  /** Counts turns of the event loop until stopped. */
  const ticker = () => {
    let ticks = 0;
    let running = true;
    const tick = (): void => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    return { ticks: () => ticks, stop: () => (running = false) };
  };

  /** The settled state of a promise, observed without awaiting it. */
  const track = <T>(promise: Promise<T>) => {
    const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
    promise.then(
      (value) => Object.assign(state, { settled: true, value }),
      (error: unknown) => Object.assign(state, { settled: true, error }),
    );
    return state;
  };

  it('keeps the event loop, reads and health going while an append waits, then completes it once released', async () => {
    const store = open(600_000);
    await store.append('journey-before', [event(0)], { expectedRevision: 'no-stream' });
    const lock = holdLock();
    const loop = ticker();
    const first = track(store.append('journey-a', [event(1)], { expectedRevision: 'no-stream' }));
    const second = track(store.append('journey-b', [event(2), event(3)], { expectedRevision: 'no-stream' }));

    // Many turns of the loop pass with the appends still waiting: the wait is not a spin inside SQLite.
    const start = loop.ticks();
    await waitFor(loop.ticks, (n) => n > start + 200, { what: 'event loop turns while the lock is held' });
    expect(first.settled).toBe(false);
    expect(second.settled).toBe(false);
    // Reads and health answer meanwhile, from the log as committed.
    expect(await store.headPosition()).toBe(1n);
    expect((await store.readStream('journey-before')).length).toBe(1);
    expect((await store.health()).status).toBe('up');

    lock.exec('COMMIT');
    await waitFor(
      () => first.settled && second.settled,
      (done) => done,
      { what: 'the waiting appends', timeoutMs: 10_000 },
    );
    loop.stop();
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
    expect((second.value as AppendResult).position).toBe(4n);
    expect((await store.readStream('journey-a')).map((e) => e.data)).toEqual([{ n: 1 }]);
    expect((await store.readStream('journey-b')).map((e) => e.data)).toEqual([{ n: 2 }, { n: 3 }]);
    expect((await store.verifyChain()).ok).toBe(true);
  });

  it('refuses an append that waited past the busy budget, with nothing written', async () => {
    const store = open(30);
    await store.append('journey-before', [event(0)], { expectedRevision: 'no-stream' });
    const lock = holdLock();
    const loop = ticker();
    const start = loop.ticks();
    const refused = await store.append('journey-late', [event(1)], { expectedRevision: 'no-stream' }).then(
      () => null,
      (error: unknown) => error,
    );
    const turns = loop.ticks() - start;
    loop.stop();
    expect(refused).toBeInstanceOf(EventStoreBusyError);
    // The API answers it as any store outage: 503 with Retry-After.
    expect(refused).toBeInstanceOf(EventStoreUnavailableError);
    expect((refused as EventStoreBusyError).code).toBe('STORE_BUSY');
    expect((refused as EventStoreBusyError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // The loop kept turning while the append waited.
    expect(turns).toBeGreaterThan(1);

    lock.exec('COMMIT');
    expect(await store.headPosition()).toBe(1n);
    expect(await store.streamRevision('journey-late')).toBe('no-stream');
    // The store is not left stuck: the next append, with the lock free, lands right after the old head.
    const next = await store.append('journey-next', [event(2)], { expectedRevision: 'no-stream' });
    expect(next.position).toBe(2n);
    expect((await store.verifyChain()).ok).toBe(true);
  });

  it('refuses appends still waiting for the lock when the store closes, instead of hanging', async () => {
    const store = open(600_000);
    holdLock();
    const waiting = track(store.append('journey-a', [event(1)], { expectedRevision: 'no-stream' }));
    // Some turns of the loop, so the append has found the lock held at least once.
    const loop = ticker();
    await waitFor(loop.ticks, (n) => n > 20, { what: 'event loop turns' });
    loop.stop();
    expect(waiting.settled).toBe(false);
    await store.close();
    await waitFor(
      () => waiting.settled,
      (settled) => settled,
      { what: 'the append to be refused' },
    );
    expect(waiting.error).toBeInstanceOf(EventStoreBusyError);
  });
});
