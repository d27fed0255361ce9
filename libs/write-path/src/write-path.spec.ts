import { type CommandMetadata, type Decider, DomainError, type DomainEvent } from '@carepath/domain';
import { foldWeight, SqliteEventStore, WrongExpectedRevisionError } from '@carepath/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidFieldError } from './care-window';
import { hashRequest } from './idempotency';
import { IdempotencyKeyReusedError, WritePath } from './write-path';

/** A counter stream: enough to drive every branch of the write path without a journey's rules. */
type Added = DomainEvent<'Added', { amount: number }>;
type Add = { readonly type: 'Add'; readonly amount: number; readonly metadata: CommandMetadata };
const counter: Decider<Add, Added, number> = {
  initialState: () => 0,
  decide: (command, total) => {
    if (total + command.amount > 10) throw new DomainError('BED_COUNT_UNCHANGED', 'over ten');
    return [{ type: 'Added', data: { amount: command.amount } }];
  },
  evolve: (total, event) => total + event.data.amount,
  eventTypes: ['Added'],
};

const NOW = new Date('2026-06-01T08:00:00Z');
const CACHE = { entries: 100, bytes: 1 << 20 };
const WINDOW = { careTimeNotBeforeMs: Date.parse('2000-01-01T00:00:00Z'), futureSkewMs: 300_000 };
const ACTOR = {
  actorId: 'u1',
  actorRole: 'doctor',
  institutionId: 'CHC-1',
  correlationId: 'c1',
  causationId: 'r1',
};

describe('WritePath', () => {
  let folder: string;
  let store: SqliteEventStore;
  let path: WritePath;
  const add = (amount: number, occurredAt = '2026-06-01T07:00:00+08:00'): Add => ({
    type: 'Add',
    amount,
    metadata: path.metadata(ACTOR, occurredAt),
  });
  const plain = { streamId: 'counter-1', idempotency: null, expectedRevision: null } as const;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-write-path-'));
    store = SqliteEventStore.open({ filename: join(folder, 'events.db') });
    path = new WritePath(store, () => NOW, WINDOW, CACHE);
  });
  afterEach(async () => {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('given a stream, when a command is handled, then its events are appended at the next revision', async () => {
    await path.handle(counter, add(2), plain);
    const second = await path.handle(counter, add(3), plain);
    expect(second.revision).toBe(1n);
    expect((await path.current('counter-1', counter)).state).toBe(5);
    const stored = await store.readStream('counter-1');
    expect(stored.map((e) => e.metadata.recordedAt)).toEqual([NOW.toISOString(), NOW.toISOString()]);
  });

  it('given a decider refusal, then nothing is written', async () => {
    await path.handle(counter, add(9), plain);
    await expect(path.handle(counter, add(2), plain)).rejects.toThrow(DomainError);
    expect(await store.readStream('counter-1')).toHaveLength(1);
  });

  it('given another writer appended behind the cache, then the next decision sees its events', async () => {
    await path.handle(counter, add(4), plain);
    const other = new WritePath(store, () => NOW, WINDOW, CACHE);
    await other.handle(counter, add(5), plain);
    await expect(path.handle(counter, add(2), plain)).rejects.toThrow('over ten');
    expect((await path.current('counter-1', counter)).state).toBe(9);
  });

  it('given a write, then the next one decides on the stream with its events and reads nothing', async () => {
    const key = { key: 'k-1', requestHash: hashRequest({ amount: 2 }) };
    await path.handle(counter, add(2), { ...plain, idempotency: key });
    const read = jest.spyOn(store, 'readStream');
    try {
      await path.handle(counter, add(3), plain);
      // The store knew the stream's end from the appends: the read past it was answered with no query.
      expect(read.mock.calls.map(([, options]) => options)).toEqual([{ fromRevision: 1n }]);
      await expect(path.handle(counter, add(6), plain)).rejects.toThrow('over ten');
      // What is kept equals a fold of the stream as stored, the keyed write with it: a retry replays.
      const kept = await path.current('counter-1', counter);
      const fresh = await new WritePath(store, () => NOW, WINDOW, CACHE).current('counter-1', counter);
      expect(kept).toEqual(fresh);
      expect(kept).toMatchObject({ state: 5, revision: 1n });
      const retry = await path.handle(counter, add(2), { ...plain, idempotency: key });
      expect(retry).toMatchObject({ replayed: true, revision: 0n });
    } finally {
      read.mockRestore();
    }
  });

  it('given If-Match of an older revision, then a conflict naming the current one', async () => {
    await path.handle(counter, add(1), plain);
    await path.handle(counter, add(1), plain);
    const stale = path.handle(counter, add(1), { ...plain, expectedRevision: 0n });
    await expect(stale).rejects.toThrow(WrongExpectedRevisionError);
    await expect(stale).rejects.toMatchObject({ actual: 1n });
  });

  it("given a missing stream that must exist, then the caller's error and no write", async () => {
    const missing = () => new Error('no such counter');
    await expect(path.handle(counter, add(1), { ...plain, missing })).rejects.toThrow('no such counter');
    expect(await store.readStream('counter-1')).toHaveLength(0);
  });

  it('given the same Idempotency-Key and request again, then the first answer is replayed and nothing written', async () => {
    const idempotency = { key: 'k-1', requestHash: hashRequest({ amount: 2 }) };
    const first = await path.handle(counter, add(2), { ...plain, idempotency });
    // A cold cache (another process, or a restart) finds the answer in the stream too.
    const cold = new WritePath(store, () => NOW, WINDOW);
    const again = await cold.handle(counter, add(2), { ...plain, idempotency });
    expect(again).toEqual({ ...first, replayed: true, events: first.events });
    expect(await store.readStream('counter-1')).toHaveLength(1);
    expect((await store.readStream('counter-1'))[0]!.id).toBe(first.events[0]!.id);
  });

  it('given the same Idempotency-Key with another request, then IdempotencyKeyReusedError', async () => {
    await path.handle(counter, add(2), { ...plain, idempotency: { key: 'k-1', requestHash: 'a' } });
    await expect(
      path.handle(counter, add(3), { ...plain, idempotency: { key: 'k-1', requestHash: 'b' } }),
    ).rejects.toThrow(IdempotencyKeyReusedError);
  });

  it('given a care time outside the window, then InvalidFieldError naming occurredAt', async () => {
    await expect(path.handle(counter, add(1, '2026-06-02T08:00:00Z'), plain)).rejects.toThrow(
      new InvalidFieldError('occurredAt', 'must not be in the future'),
    );
    await expect(path.handle(counter, add(1, '1999-12-31T23:00:00Z'), plain)).rejects.toThrow(
      InvalidFieldError,
    );
    expect(await store.readStream('counter-1')).toHaveLength(0);
  });

  it('reads only what was appended since a kept fold, and the whole stream again once its fold is evicted', async () => {
    const small = new WritePath(store, () => NOW, WINDOW, { entries: 1, bytes: 1 << 20 });
    await small.handle(counter, add(3), plain);
    await small.current('counter-1', counter);
    const reads = jest.spyOn(store, 'readStream');
    await small.current('counter-1', counter);
    expect(reads.mock.calls.at(-1)).toEqual(['counter-1', { fromRevision: 1n }]);
    // A second stream pushes the first out of a cache of one.
    await small.handle(counter, add(1), { ...plain, streamId: 'counter-2' });
    await small.current('counter-2', counter);
    expect((await small.current('counter-1', counter)).state).toBe(3);
    expect(reads.mock.calls.at(-1)).toEqual(['counter-1', {}]);
    reads.mockRestore();
  });

  it('keeps folds within its byte budget: a stream longer than the budget is read whole on every write', async () => {
    // Two events fit in the budget; the third pushes the stream's fold out (foldWeight).
    const light = new WritePath(store, () => NOW, WINDOW, { entries: 100, bytes: foldWeight(2) });
    await light.handle(counter, add(1), plain);
    await light.handle(counter, add(1), plain);
    await light.current('counter-1', counter);
    const reads = jest.spyOn(store, 'readStream');
    await light.current('counter-1', counter);
    expect(reads.mock.calls.at(-1)).toEqual(['counter-1', { fromRevision: 2n }]);
    await light.handle(counter, add(1), plain);
    await light.current('counter-1', counter);
    expect((await light.current('counter-1', counter)).state).toBe(3);
    expect(reads.mock.calls.at(-1)).toEqual(['counter-1', {}]);
    reads.mockRestore();
  });
});
