import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DuplicateEventIdError,
  type EventStore,
  EventStoreUnavailableError,
  SqliteEventStore,
} from '@carepath/event-store';
import { eventStoreContract } from './event-store.contract';

const folders: string[] = [];
const files = new WeakMap<EventStore, string>();
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

function tempFile(): string {
  const folder = mkdtempSync(join(tmpdir(), 'carepath-store-'));
  folders.push(folder);
  return join(folder, 'events.db');
}

function openAt(filename: string): SqliteEventStore {
  const store = SqliteEventStore.open({ filename });
  files.set(store, filename);
  return store;
}

eventStoreContract('embedded SQLite', {
  open: () => Promise.resolve(openAt(tempFile())),
  reopen: async (store) => {
    const filename = files.get(store)!;
    await store.close();
    return openAt(filename);
  },
});

const event = (n = 0) => ({
  id: randomUUID(),
  type: 'VisitRecorded',
  schemaVersion: 1,
  data: { n },
  metadata: {},
});

describe('embedded SQLite event store specifics', () => {
  let filename: string;
  let store: SqliteEventStore;
  beforeEach(() => {
    filename = tempFile();
    store = openAt(filename);
  });
  afterEach(() => store.close());

  it('finds the head of a category written long ago as well as of one written just now', async () => {
    const rare = await store.append(`institution-${randomUUID()}`, [event()], {
      expectedRevision: 'no-stream',
    });
    let last = rare;
    // More events after it than the store looks back over before it scans the category's own streams.
    for (let i = 0; i < 1100; i += 50) {
      last = await store.append(
        `journey-${randomUUID()}`,
        Array.from({ length: 50 }, (_, k) => event(i + k)),
        { expectedRevision: 'no-stream' },
      );
    }
    expect(await store.headPosition({ streamPrefixes: ['institution-'] })).toBe(rare.position);
    expect(await store.headPosition({ streamPrefixes: ['journey-'] })).toBe(last.position);
    expect(await store.headPosition({ streamPrefixes: ['institution-', 'journey-'] })).toBe(last.position);
    expect(await store.headPosition({ streamPrefixes: ['access-'] })).toBe(0n);
  });

  it('keeps event ids unique across the log: a batch reusing a stored id in a later event writes nothing', async () => {
    const elsewhere = event();
    await store.append(`journey-${randomUUID()}`, [elsewhere], { expectedRevision: 'no-stream' });
    const s = `journey-${randomUUID()}`;
    await expect(
      store.append(s, [event(1), elsewhere], { expectedRevision: 'no-stream' }),
    ).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await store.streamRevision(s)).toBe('no-stream');
    // The refused append left the log whole: the next one lands right after the first.
    const next = await store.append(s, [event(2)], { expectedRevision: 'no-stream' });
    expect(next.position).toBe(2n);
  });

  it('answers a read past a stream end it knows with no query, and knows ends from reads and appends alike', async () => {
    const s = `institution-${randomUUID()}`;
    const first = [event(0), event(1)];
    await store.append(s, first, { expectedRevision: 'no-stream' });
    const { readStream } = (store as unknown as { statements: { readStream: Database.Statement } })
      .statements;
    const all = jest.spyOn(readStream, 'all');
    try {
      // The append told the end: revision 1.
      expect(await store.readStream(s, { fromRevision: 2n })).toEqual([]);
      expect(all).not.toHaveBeenCalled();
      expect((await store.readStream(s, { fromRevision: 1n })).map((e) => e.revision)).toEqual([1n]);
      expect(all).toHaveBeenCalledTimes(1);
      // A later append moves it; a retry of the first (answered with its old revisions) does not move it back.
      await store.append(s, [event(2)], { expectedRevision: 1n });
      await store.append(s, first, { expectedRevision: 'any' });
      expect((await store.readStream(s, { fromRevision: 2n })).map((e) => e.revision)).toEqual([2n]);
      expect(await store.readStream(s, { fromRevision: 3n })).toEqual([]);
      expect(all).toHaveBeenCalledTimes(2);
      // A read cut short by its limit did not reach the end, so it tells nothing past it.
      const other = `institution-${randomUUID()}`;
      const reopened = openAt(filename);
      try {
        await reopened.readStream(s, { maxCount: 1 });
        expect((await reopened.readStream(s, { fromRevision: 2n })).map((e) => e.revision)).toEqual([2n]);
        expect(await reopened.readStream(other, { fromRevision: 5n })).toEqual([]);
        await reopened.append(other, [event(3)], { expectedRevision: 'no-stream' });
        expect((await reopened.readStream(other)).map((e) => e.revision)).toEqual([0n]);
      } finally {
        await reopened.close();
      }
    } finally {
      all.mockRestore();
    }
  });

  it('takes in what another connection appends beside it: read past a known end, appended after, chain whole', async () => {
    const s = `calendar-${randomUUID()}`;
    await store.append(s, [event(0)], { expectedRevision: 'no-stream' });
    expect(await store.readStream(s, { fromRevision: 1n })).toEqual([]);
    // An operator's command (a CLI loading a holiday year) appends through a connection of its own.
    const cli = SqliteEventStore.open({ filename, externalWriters: { pollMs: 1000 } });
    try {
      await cli.append(s, [event(1)], { expectedRevision: 0n });
    } finally {
      await cli.close();
    }
    expect((await store.readStream(s, { fromRevision: 1n })).map((e) => e.revision)).toEqual([1n]);
    const next = await store.append(s, [event(2)], { expectedRevision: 1n });
    expect(next).toMatchObject({ nextExpectedRevision: 2n, position: 3n });
    // The same when the append comes first, with no read between.
    const again = SqliteEventStore.open({ filename, externalWriters: { pollMs: 1000 } });
    try {
      await again.append(`calendar-${randomUUID()}`, [event(3)], { expectedRevision: 'no-stream' });
    } finally {
      await again.close();
    }
    expect(await store.append(s, [event(4)], { expectedRevision: 2n })).toMatchObject({ position: 5n });
    expect(await store.verifyChain()).toMatchObject({ ok: true });
  });

  it('keeps no stream ends when other writers append to its file: what they append is read', async () => {
    const s = `institution-${randomUUID()}`;
    await store.append(s, [event(0)], { expectedRevision: 'no-stream' });
    const follower = SqliteEventStore.open({ filename, externalWriters: { pollMs: 1000 } });
    try {
      expect(await follower.readStream(s, { fromRevision: 1n })).toEqual([]);
      await store.append(s, [event(1)], { expectedRevision: 0n });
      expect((await follower.readStream(s, { fromRevision: 1n })).map((e) => e.revision)).toEqual([1n]);
    } finally {
      await follower.close();
    }
  });

  it('runs with WAL and synchronous=FULL, and says so in its health', async () => {
    expect(await store.health()).toMatchObject({
      status: 'up',
      kind: 'sqlite',
      details: { journalMode: 'wal', synchronous: 'FULL' },
    });
    const probe = new Database(filename, { readonly: true });
    try {
      expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      probe.close();
    }
  });

  it('shares one durable commit among appends that arrive together, each with its own outcome', async () => {
    const before = store.stats();
    const streams = Array.from({ length: 50 }, () => `journey-${randomUUID()}`);
    const outcomes = await Promise.allSettled([
      ...streams.map((s) => store.append(s, [event()], { expectedRevision: 'no-stream' })),
      store.append(streams[0]!, [event()], { expectedRevision: 'no-stream' }),
    ]);
    const after = store.stats();
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(50);
    expect(outcomes.at(-1)).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ actual: 0n }),
    });
    expect(after.appends - before.appends).toBe(50);
    expect(after.commits - before.commits).toBe(1);
  });

  it('reads the last page once for the live subscribers one commit wakes, and afresh after the next', async () => {
    const filter = { streamPrefixes: ['journey-'] };
    const readPage = jest.spyOn(store as unknown as { readPage: () => unknown }, 'readPage');
    const seen: bigint[][] = [[], [], []];
    let arrived: () => void = () => undefined;
    const subscriptions = seen.map((positions, i) =>
      store.subscribeToAll(
        { after: 0n, pageSize: 100, ...(i < 2 ? { filter } : {}) },
        {
          onEvents: (events) => {
            positions.push(...events.map((e) => e.position));
            arrived();
          },
        },
      ),
    );
    const appendAndWait = async (stream: string) => {
      const count = seen[0]!.length + 1;
      const all = new Promise<void>((resolve) => {
        arrived = () => seen.every((p) => p.length === count) && resolve();
      });
      await store.append(stream, [event()], { expectedRevision: 'no-stream' });
      await all;
    };
    try {
      await appendAndWait(`journey-${randomUUID()}`);
      // At the start and after the commit, the two journey subscribers share a page; the third reads its own.
      expect(readPage).toHaveBeenCalledTimes(4);
      await appendAndWait(`journey-${randomUUID()}`);
      expect(seen[0]).toEqual([1n, 2n]);
      expect(seen[1]).toEqual([1n, 2n]);
      expect(seen[2]).toEqual([1n, 2n]);
      expect(readPage).toHaveBeenCalledTimes(6);
    } finally {
      await Promise.all(subscriptions.map((s) => s.stop()));
      readPage.mockRestore();
    }
  });
  it('beside another writer, looks at the file once for the subscribers one notice wakes, and reads what it wrote', async () => {
    const follower = SqliteEventStore.open({ filename, externalWriters: { pollMs: 60_000 } });
    const fileHead = jest.spyOn(follower as unknown as { fileHead: () => bigint }, 'fileHead');
    const seen: bigint[][] = [[], [], []];
    let arrived: () => void = () => undefined;
    const subscriptions = seen.map((positions) =>
      follower.subscribeToAll(
        { after: 0n, pageSize: 100 },
        {
          onEvents: (events) => {
            positions.push(...events.map((e) => e.position));
            arrived();
          },
        },
      ),
    );
    try {
      for (const position of [1n, 2n]) {
        const all = new Promise<void>((resolve) => {
          arrived = () => seen.every((p) => p.at(-1) === position) && resolve();
        });
        await store.append(`journey-${randomUUID()}`, [event()], { expectedRevision: 'no-stream' });
        // After the subscribers have gone to wait: what the API's projection thread is told by the writer's thread.
        await new Promise((resolve) => setImmediate(resolve));
        fileHead.mockClear();
        follower.noticeAppended(position);
        await all;
        // Each of the three read a page and looked for more: one look at the file in all, where each look was one.
        expect(fileHead.mock.calls.length).toBeLessThanOrEqual(1);
      }
      expect(seen).toEqual([
        [1n, 2n],
        [1n, 2n],
        [1n, 2n],
      ]);
    } finally {
      await Promise.all(subscriptions.map((s) => s.stop()));
      fileHead.mockRestore();
      await follower.close();
    }
  });

  it('assigns gap-free positions from 1, even when appends in a group conflict', async () => {
    const s = 'journey-gapless';
    await Promise.allSettled([
      store.append(s, [event(1), event(2)], { expectedRevision: 'no-stream' }),
      store.append(s, [event(3)], { expectedRevision: 'no-stream' }),
      store.append('journey-other', [event(4)], { expectedRevision: 'no-stream' }),
      store.append(s, [event(5)], { expectedRevision: 1n }),
    ]);
    const page = await store.readAll({ after: 0n, maxCount: 100 });
    expect(page.events.map((e) => e.position)).toEqual([1n, 2n, 3n, 4n]);
    expect(page.events.map((e) => e.data.n)).toEqual([1, 2, 4, 5]);
  });

  it('writes appends accepted before close, and refuses new ones after', async () => {
    const pending = store.append('journey-closing', [event()], { expectedRevision: 'no-stream' });
    await store.close();
    await expect(pending).resolves.toMatchObject({ position: 1n });
    await expect(store.append('journey-closing', [event()], { expectedRevision: 0n })).rejects.toBeInstanceOf(
      EventStoreUnavailableError,
    );
    store = openAt(filename);
    expect(await store.headPosition()).toBe(1n);
  });

  it('refuses to open a database from a newer CarePath', async () => {
    await store.close();
    const raw = new Database(filename);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openAt(filename)).toThrow(/newer/);
    store = openAt(tempFile());
  });

  it('chains a log written before the hash chain existed, then keeps chaining', async () => {
    await store.close();
    const legacy = tempFile();
    const raw = new Database(legacy);
    raw.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, revision INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE,
      type TEXT NOT NULL, schema_version INTEGER NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision)) STRICT`);
    const insert = raw.prepare(
      "INSERT INTO events VALUES (?, 'journey-old', ?, ?, 'VisitRecorded', 1, '{\"n\":1}', '{}')",
    );
    for (let i = 0; i < 3; i++) insert.run(i + 1, i, randomUUID());
    raw.pragma('user_version = 1');
    raw.close();
    store = openAt(legacy);
    expect(await store.verifyChain()).toMatchObject({ ok: true, checked: 3, headPosition: '3' });
    await store.append('journey-old', [event()], { expectedRevision: 2n });
    expect(await store.verifyChain()).toMatchObject({ ok: true, checked: 4 });
  });

  it('keeps the stored bytes of data and metadata exactly as appended', async () => {
    const data = { diagnosisCode: 'I21.4', nested: { list: [1, 2.5, null, 'x'] }, unicode: '上转 ✓' };
    await store.append(
      'journey-bytes',
      [{ ...event(), data, metadata: { occurredAt: '2026-03-01T09:00:00+08:00' } }],
      { expectedRevision: 'no-stream' },
    );
    const [stored] = await store.readStream('journey-bytes');
    expect(stored!.data).toEqual(data);
  });
});
