import { randomUUID } from 'node:crypto';
import {
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  type StoredEvent,
  streamPartition,
  WrongExpectedRevisionError,
} from '@carepath/event-store';
import { waitFor } from '../support/wait-for';

/**
 * What every event store must do, written against the port only. Each adapter's spec calls this with a factory;
 * stream names are unique per test so the suite also runs against a shared, non-empty server.
 */
export interface ContractTarget {
  /** A fresh store (an empty log where the target allows it). */
  open(): Promise<EventStore>;
  /** A new store instance on the same durable data as `store`, after closing `store`; omit when not possible. */
  reopen?(store: EventStore): Promise<EventStore>;
}

export function eventStoreContract(name: string, target: ContractTarget): void {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    const stores: EventStore[] = [];
    const open = async () => {
      const s = await target.open();
      stores.push(s);
      return s;
    };

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close().catch(() => undefined);
    });

    const stream = (category = 'journey') => `${category}-${randomUUID()}`;
    const event = (type = 'VisitRecorded', data: Record<string, unknown> = {}): EventToAppend => ({
      id: randomUUID(),
      type,
      schemaVersion: 1,
      data: { n: 1, nested: { codes: ['I21.4'] }, ...data },
      metadata: { occurredAt: '2026-03-01T09:00:00+08:00', actorId: 'dr-1', institutionId: 'CHC-CY-01' },
    });
    const positionsOf = (events: readonly StoredEvent[]) => events.map((e) => e.position);

    describe('append and read a stream', () => {
      it('appends to a new stream with no-stream and reads the events back in order, as written', async () => {
        const s = stream();
        const written = [event('JourneyOpened'), event('VisitRecorded'), event('UpwardReferralRequested')];
        const result = await store.append(s, written, { expectedRevision: 'no-stream' });
        expect(result).toMatchObject({ streamId: s, nextExpectedRevision: 2n, revisions: [0n, 1n, 2n] });

        const read = await store.readStream(s);
        expect(
          read.map(({ id, type, schemaVersion, data, metadata }) => ({
            id,
            type,
            schemaVersion,
            data,
            metadata,
          })),
        ).toEqual(written);
        expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(read.every((e) => e.streamId === s)).toBe(true);
        expect(read.at(-1)!.position).toBe(result.position);
      });

      it('reads an unknown stream as empty and its revision as no-stream', async () => {
        const s = stream();
        expect(await store.readStream(s)).toEqual([]);
        expect(await store.streamRevision(s)).toBe('no-stream');
      });

      it('reads a stream from a revision, with a maximum count', async () => {
        const s = stream();
        await store.append(s, [event(), event(), event(), event()], { expectedRevision: 'no-stream' });
        const read = await store.readStream(s, { fromRevision: 1n, maxCount: 2 });
        expect(read.map((e) => e.revision)).toEqual([1n, 2n]);
      });

      it('keeps streams apart and positions strictly increasing in commit order', async () => {
        const a = stream();
        const b = stream();
        const r1 = await store.append(a, [event()], { expectedRevision: 'no-stream' });
        const r2 = await store.append(b, [event()], { expectedRevision: 'no-stream' });
        const r3 = await store.append(a, [event()], { expectedRevision: 0n });
        expect(r1.position < r2.position && r2.position < r3.position).toBe(true);
        expect((await store.readStream(a)).map((e) => e.revision)).toEqual([0n, 1n]);
        expect(await store.streamRevision(b)).toBe(0n);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(r3.position);
      });
    });

    describe('optimistic concurrency', () => {
      it('refuses a stale expected revision and reports the actual one, writing nothing', async () => {
        const s = stream();
        await store.append(s, [event(), event()], { expectedRevision: 'no-stream' });
        await expect(store.append(s, [event()], { expectedRevision: 0n })).rejects.toEqual(
          expect.objectContaining({ name: 'WrongExpectedRevisionError', streamId: s, actual: 1n }),
        );
        expect(await store.streamRevision(s)).toBe(1n);
      });

      it('refuses no-stream on an existing stream and stream-exists on a missing one', async () => {
        const s = stream();
        await store.append(s, [event()], { expectedRevision: 'no-stream' });
        await expect(store.append(s, [event()], { expectedRevision: 'no-stream' })).rejects.toBeInstanceOf(
          WrongExpectedRevisionError,
        );
        const missing = stream();
        await expect(store.append(missing, [event()], { expectedRevision: 'stream-exists' })).rejects.toEqual(
          expect.objectContaining({ actual: 'no-stream' }),
        );
        await expect(store.append(missing, [event()], { expectedRevision: 2n })).rejects.toBeInstanceOf(
          WrongExpectedRevisionError,
        );
        expect(await store.readStream(missing)).toEqual([]);
      });

      it('appends with any and stream-exists without a revision check', async () => {
        const s = stream();
        await store.append(s, [event()], { expectedRevision: 'any' });
        const r = await store.append(s, [event()], { expectedRevision: 'stream-exists' });
        expect(r.nextExpectedRevision).toBe(1n);
      });

      it('lets exactly one of many concurrent appends at the same revision win; each loser gets its own conflict', async () => {
        const s = stream();
        await store.append(s, [event()], { expectedRevision: 'no-stream' });
        const attempts = await Promise.allSettled(
          Array.from({ length: 10 }, () => store.append(s, [event(), event()], { expectedRevision: 0n })),
        );
        const won = attempts.filter((a) => a.status === 'fulfilled');
        const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(9);
        for (const loss of lost) expect(loss.reason).toEqual(expect.objectContaining({ actual: 2n }));
        expect((await store.readStream(s)).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      });

      it('commits concurrent appends to different streams independently of each other’s conflicts', async () => {
        const streams = Array.from({ length: 20 }, () => stream());
        const results = await Promise.allSettled(
          streams.map((s, i) =>
            store.append(s, [event()], { expectedRevision: i % 2 === 0 ? 'no-stream' : 5n }),
          ),
        );
        expect(results.map((r) => r.status)).toEqual(
          streams.map((_, i) => (i % 2 === 0 ? 'fulfilled' : 'rejected')),
        );
        for (const [i, s] of streams.entries()) {
          expect(await store.streamRevision(s)).toBe(i % 2 === 0 ? 0n : 'no-stream');
        }
      });
    });

    describe('idempotent retries', () => {
      it('returns the original result for an exact retry and writes nothing', async () => {
        const s = stream();
        const batch = [event(), event()];
        const first = await store.append(s, batch, { expectedRevision: 'no-stream' });
        const head = await store.headPosition();
        const retry = await store.append(s, batch, { expectedRevision: 'no-stream' });
        // The embedded store also says it wrote nothing (`duplicate`); a server store may not know.
        expect({ ...retry, duplicate: undefined }).toEqual({ ...first, duplicate: undefined });
        expect(await store.headPosition()).toBe(head);
        expect(await store.readStream(s)).toHaveLength(2);
      });

      it('recognises a retry after later appends to the same stream', async () => {
        const s = stream();
        const batch = [event()];
        const first = await store.append(s, batch, { expectedRevision: 'no-stream' });
        await store.append(s, [event()], { expectedRevision: 0n });
        const again = await store.append(s, batch, { expectedRevision: 'no-stream' });
        expect({ ...again, duplicate: undefined }).toEqual({ ...first, duplicate: undefined });
        expect(await store.readStream(s)).toHaveLength(2);
      });

      it('deduplicates the same batch sent 20 times at once', async () => {
        const s = stream();
        const batch = [event(), event(), event()];
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.append(s, batch, { expectedRevision: 'no-stream' })),
        );
        expect(new Set(results.map((r) => r.position)).size).toBe(1);
        expect(await store.readStream(s)).toHaveLength(3);
      });

      it('refuses a batch that reuses only some stored ids', async () => {
        const s = stream();
        const stored = event();
        await store.append(s, [stored], { expectedRevision: 'no-stream' });
        await expect(store.append(s, [stored, event()], { expectedRevision: 0n })).rejects.toBeInstanceOf(
          DuplicateEventIdError,
        );
        expect(await store.readStream(s)).toHaveLength(1);
      });
    });

    describe('reading all', () => {
      it('pages through the log in position order without gaps or repeats', async () => {
        const start = await store.headPosition();
        const written: string[] = [];
        for (let i = 0; i < 7; i++) {
          const e = event();
          written.push(e.id);
          await store.append(stream(), [e], { expectedRevision: 'no-stream' });
        }
        const seen: StoredEvent[] = [];
        let after = start;
        for (;;) {
          const page = await store.readAll({ after, maxCount: 3 });
          expect(page.events.length).toBeLessThanOrEqual(3);
          seen.push(...page.events);
          after = page.lastPosition;
          if (page.isEnd) break;
        }
        const positions = positionsOf(seen);
        expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
        expect(new Set(positions).size).toBe(positions.length);
        expect(seen.map((e) => e.id).filter((id) => written.includes(id))).toEqual(written);
      });

      it('filters by stream prefix and still advances past filtered-out events', async () => {
        const start = await store.headPosition();
        const journey = stream('journey');
        const institution = stream('institution');
        await store.append(journey, [event()], { expectedRevision: 'no-stream' });
        await store.append(institution, [event('InstitutionRegistered')], { expectedRevision: 'no-stream' });
        await store.append(journey, [event()], { expectedRevision: 0n });
        const head = await store.headPosition();

        const page = await store.readAll({
          after: start,
          maxCount: 100,
          filter: { streamPrefixes: [`${institution}`] },
        });
        expect(page.events.map((e) => e.streamId)).toEqual([institution]);
        expect(page.isEnd).toBe(true);
        expect(page.lastPosition).toBeGreaterThanOrEqual(head);

        const both = await store.readAll({
          after: start,
          maxCount: 100,
          filter: { streamPrefixes: [journey, institution] },
        });
        expect(both.events.map((e) => e.streamId)).toEqual([journey, institution, journey]);
      });

      it('splits the log into stream partitions: each event in exactly one, each stream whole and in order', async () => {
        const start = await store.headPosition();
        const streams = Array.from({ length: 12 }, () => stream('journey'));
        for (const revision of [0n, 1n])
          for (const s of streams)
            await store.append(s, [event()], { expectedRevision: revision === 0n ? 'no-stream' : 0n });
        const filter = { streamPrefixes: streams };
        const readPartition = async (index: number) => {
          const events: StoredEvent[] = [];
          let after = start;
          for (;;) {
            // Small pages: a partition's pages must also advance past the other partition's events.
            const page = await store.readAll({ after, maxCount: 5, filter, partition: { index, count: 3 } });
            events.push(...page.events);
            after = page.lastPosition;
            if (page.isEnd) return events;
          }
        };
        const partitions = [await readPartition(0), await readPartition(1), await readPartition(2)];
        const all = await store.readAll({ after: start, maxCount: 100, filter });

        expect(
          partitions
            .flat()
            .map((e) => e.id)
            .sort(),
        ).toEqual(all.events.map((e) => e.id).sort());
        partitions.forEach((events, index) => {
          expect(positionsOf(events)).toEqual([...positionsOf(events)].sort((a, b) => (a < b ? -1 : 1)));
          for (const e of events) expect(streamPartition(e.streamId, 3)).toBe(index);
        });
        for (const s of streams) {
          const holding = partitions.filter((events) => events.some((e) => e.streamId === s));
          expect(holding).toHaveLength(1);
          expect(holding[0]!.filter((e) => e.streamId === s).map((e) => e.revision)).toEqual([0n, 1n]);
        }
      });

      it('reports the head of chosen streams, which a filtered subscriber can wait for', async () => {
        const journey = stream('journey');
        const other = stream('access');
        const mine = await store.append(journey, [event()], { expectedRevision: 'no-stream' });
        await store.append(other, [event()], { expectedRevision: 'no-stream' });
        const prefixes = [journey];
        expect(await store.headPosition({ streamPrefixes: prefixes })).toBe(mine.position);
        expect(await store.headPosition()).toBeGreaterThan(mine.position);
        expect(await store.headPosition({ streamPrefixes: [stream('nothing')] })).toBe(0n);
      });

      it('reports the end of an empty tail', async () => {
        const head = await store.headPosition();
        const page = await store.readAll({ after: head, maxCount: 10 });
        expect(page).toMatchObject({ events: [], isEnd: true });
        expect(page.lastPosition).toBeGreaterThanOrEqual(head);
      });
    });

    describe('subscriptions', () => {
      it('catches up from a position, says so, then delivers live appends in order', async () => {
        const s = stream();
        await store.append(s, [event(), event()], { expectedRevision: 'no-stream' });
        const start = (await store.readStream(s))[0]!.position - 1n;
        const received: StoredEvent[] = [];
        let caughtUp = false;
        const subscription = store.subscribeToAll(
          { after: start, filter: { streamPrefixes: [s] }, pageSize: 1 },
          {
            onEvents: (events) => {
              received.push(...events);
            },
            onCaughtUp: () => {
              caughtUp = true;
            },
          },
        );
        try {
          await waitFor(() => caughtUp, Boolean, { what: 'catch-up' });
          expect(received.map((e) => e.revision)).toEqual([0n, 1n]);
          await store.append(s, [event()], { expectedRevision: 1n });
          await store.append(s, [event(), event()], { expectedRevision: 2n });
          await waitFor(
            () => received.length,
            (n) => n === 5,
            { what: 'live events' },
          );
          expect(received.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
        } finally {
          await subscription.stop();
        }
      });

      it('can be stopped from its own catch-up handler (a one-off read of the log up to the head)', async () => {
        const s = stream();
        await store.append(s, [event(), event()], { expectedRevision: 'no-stream' });
        const start = (await store.readStream(s))[0]!.position - 1n;
        let received = 0;
        const stopped = await new Promise<boolean>((resolve, reject) => {
          const subscription = store.subscribeToAll(
            { after: start, filter: { streamPrefixes: [s] } },
            {
              onEvents: (events) => void (received += events.length),
              onCaughtUp: () => {
                subscription.stop().then(() => resolve(true), reject);
              },
              onError: reject,
            },
          );
        });
        expect({ stopped, received }).toEqual({ stopped: true, received: 2 });
      });

      it('awaits the handler before the next page (a slow projection never sees pages out of order)', async () => {
        const s = stream();
        for (let i = 0; i < 5; i++)
          await store.append(s, [event()], { expectedRevision: i === 0 ? 'no-stream' : BigInt(i - 1) });
        let inFlight = 0;
        let maxInFlight = 0;
        const order: bigint[] = [];
        const subscription = store.subscribeToAll(
          { after: 0n, filter: { streamPrefixes: [s] }, pageSize: 2 },
          {
            onEvents: async (events) => {
              inFlight++;
              maxInFlight = Math.max(maxInFlight, inFlight);
              await new Promise<void>((resolve) => setImmediate(resolve));
              order.push(...events.map((e) => e.revision));
              inFlight--;
            },
          },
        );
        try {
          await waitFor(
            () => order.length,
            (n) => n === 5,
            { what: 'all pages' },
          );
          expect(maxInFlight).toBe(1);
          expect(order).toEqual([0n, 1n, 2n, 3n, 4n]);
        } finally {
          await subscription.stop();
        }
      });

      it('lets the rest of the process run between catch-up pages, even with a synchronous handler', async () => {
        // A projector's progress reports, an API's requests and a benchmark's memory sampler are all timers or I/O
        // callbacks: a catch-up that only chained microtasks would starve them until it reached the head.
        const s = stream();
        for (let i = 0; i < 6; i++)
          await store.append(s, [event()], { expectedRevision: i === 0 ? 'no-stream' : BigInt(i - 1) });
        const pagesBeforeTimer: number[] = [];
        let pages = 0;
        let caughtUp = false;
        setImmediate(() => pagesBeforeTimer.push(pages));
        const subscription = store.subscribeToAll(
          { after: 0n, filter: { streamPrefixes: [s] }, pageSize: 1 },
          {
            onEvents: () => {
              pages++;
            },
            onCaughtUp: () => {
              caughtUp = true;
            },
          },
        );
        try {
          await waitFor(
            () => caughtUp,
            (done) => done,
            { what: 'catch-up' },
          );
          expect(pages).toBe(6);
          expect(pagesBeforeTimer).toHaveLength(1);
          expect(pagesBeforeTimer[0]).toBeLessThan(6);
        } finally {
          await subscription.stop();
        }
      });

      it('ends the subscription and reports a handler failure', async () => {
        const s = stream();
        await store.append(s, [event()], { expectedRevision: 'no-stream' });
        let reported: unknown = null;
        const subscription = store.subscribeToAll(
          { after: 0n, filter: { streamPrefixes: [s] } },
          {
            onEvents: () => {
              throw new Error('poison');
            },
            onError: (error) => {
              reported = error;
            },
          },
        );
        await waitFor(
          () => reported,
          (r) => r !== null,
          { what: 'error report' },
        );
        expect(reported).toEqual(expect.objectContaining({ message: 'poison' }));
        await subscription.stop();
      });

      it('stops delivering after stop()', async () => {
        const s = stream();
        const received: StoredEvent[] = [];
        let caughtUp = false;
        const subscription = store.subscribeToAll(
          { after: await store.headPosition(), filter: { streamPrefixes: [s] } },
          { onEvents: (events) => void received.push(...events), onCaughtUp: () => (caughtUp = true) },
        );
        await waitFor(() => caughtUp, Boolean, { what: 'catch-up' });
        await subscription.stop();
        await store.append(s, [event()], { expectedRevision: 'no-stream' });
        // A fresh reader proves the append is visible; the stopped subscription must not have seen it.
        expect(await store.readStream(s)).toHaveLength(1);
        expect(received).toHaveLength(0);
      });
    });

    describe('tamper evidence', () => {
      it('keeps a hash chain that verifies after appends, where the store keeps one', async () => {
        if (!store.verifyChain) return;
        const s = stream();
        await store.append(s, [event(), event()], { expectedRevision: 'no-stream' });
        await store.append(s, [event()], { expectedRevision: 1n });
        const result = await store.verifyChain();
        expect(result).toMatchObject({ ok: true, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
        expect(result.ok && result.checked).toBeGreaterThanOrEqual(3);
      });
    });

    describe('health', () => {
      it('reports up with its kind', async () => {
        expect(await store.health()).toMatchObject({ status: 'up', kind: expect.any(String) });
      });
    });

    if (target.reopen) {
      const reopen = target.reopen.bind(target);
      describe('restart', () => {
        it('finds every event, revision and position again after a restart with the data kept', async () => {
          const s = stream();
          await store.append(s, [event(), event()], { expectedRevision: 'no-stream' });
          const before = await store.readStream(s);
          const head = await store.headPosition();
          store = await reopen(store);
          stores.push(store);
          expect(await store.readStream(s)).toEqual(before);
          expect(await store.headPosition()).toBe(head);
          const next = await store.append(s, [event()], { expectedRevision: 1n });
          expect(next.position).toBeGreaterThan(head);
        });
      });
    }
  });
}
