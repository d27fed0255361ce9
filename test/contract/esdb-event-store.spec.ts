import { randomUUID } from 'node:crypto';
import { AppendTooLargeError, EsdbEventStore, EventStoreUnavailableError } from '@carepath/event-store';
import { waitFor } from '../support/wait-for';
import { EsdbProtocolDouble } from '../support/esdb-protocol-double';
import { eventStoreContract } from './event-store.contract';

/*
 * The same contract, unchanged, against the EventStoreDB adapter: always on the in-process protocol double, and
 * on a real EventStoreDB when EVENTSTORE_CONNECTION_STRING is set (e.g. esdb://localhost:2113?tls=false).
 */
let double: EsdbProtocolDouble;
beforeAll(async () => {
  double = await EsdbProtocolDouble.start();
});
afterAll(async () => {
  await double.stop();
});

eventStoreContract('EventStoreDB adapter on the protocol double', {
  open: () => Promise.resolve(EsdbEventStore.open({ connectionString: double.connectionString })),
  reopen: async (store) => {
    await store.close();
    return EsdbEventStore.open({ connectionString: double.connectionString });
  },
});

const real = process.env.EVENTSTORE_CONNECTION_STRING;
if (real) {
  eventStoreContract('EventStoreDB adapter on a real server', {
    open: () => Promise.resolve(EsdbEventStore.open({ connectionString: real })),
    reopen: async (store) => {
      await store.close();
      return EsdbEventStore.open({ connectionString: real });
    },
  });
}

describe('EventStoreDB adapter: faults a cluster produces', () => {
  const event = () => ({
    id: randomUUID(),
    type: 'VisitRecorded',
    schemaVersion: 2,
    data: { n: 1 },
    metadata: { correlationId: 'c-1', causationId: 'r-1' },
  });

  it('keeps the envelope: schema version and metadata round-trip, with $correlationId and $causationId stripped', async () => {
    const store = EsdbEventStore.open({ connectionString: double.connectionString });
    try {
      const s = `journey-${randomUUID()}`;
      const written = event();
      await store.append(s, [written], { expectedRevision: 'no-stream' });
      const [read] = await store.readStream(s);
      expect(read).toMatchObject({
        id: written.id,
        schemaVersion: 2,
        metadata: { correlationId: 'c-1', causationId: 'r-1' },
      });
      expect(Object.keys(read!.metadata).sort()).toEqual(['causationId', 'correlationId']);
    } finally {
      await store.close();
    }
  });

  it('answers 503-style unavailability while the node is down and recovers by itself', async () => {
    const store = EsdbEventStore.open({ connectionString: double.connectionString });
    try {
      const s = `journey-${randomUUID()}`;
      double.unavailable();
      await expect(store.append(s, [event()], { expectedRevision: 'no-stream' })).rejects.toBeInstanceOf(
        EventStoreUnavailableError,
      );
      expect(await store.health()).toMatchObject({ status: 'down' });
      double.restore();
      await expect(store.append(s, [event()], { expectedRevision: 'no-stream' })).resolves.toMatchObject({
        nextExpectedRevision: 0n,
      });
    } finally {
      double.restore();
      await store.close();
    }
  });

  it('refuses an append above the maximum append size as too large, writing nothing', async () => {
    const store = EsdbEventStore.open({ connectionString: double.connectionString });
    try {
      const s = `journey-${randomUUID()}`;
      const huge = { ...event(), data: { blob: 'x'.repeat(1_100_000) } };
      await expect(store.append(s, [huge], { expectedRevision: 'no-stream' })).rejects.toBeInstanceOf(
        AppendTooLargeError,
      );
      expect(await store.streamRevision(s)).toBe('no-stream');
    } finally {
      await store.close();
    }
  });

  it('carries the stream hash chain in metadata and detects an event changed on the server', async () => {
    const store = EsdbEventStore.open({ connectionString: double.connectionString });
    try {
      const s = `journey-${randomUUID()}`;
      await store.append(s, [event(), event()], { expectedRevision: 'no-stream' });
      expect(await store.verifyChain()).toMatchObject({ ok: true });
      double.tamper(s, 1n, Buffer.from(JSON.stringify({ n: 2 })));
      expect(await store.verifyChain()).toMatchObject({
        ok: false,
        streamId: s,
        problem: 'stream-hash-mismatch',
      });
      double.tamper(s, 1n, Buffer.from(JSON.stringify({ n: 1 })));
      expect(await store.verifyChain()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
  });

  it('resubscribes from the last delivered position when the connection drops: nothing lost, nothing twice', async () => {
    const store = EsdbEventStore.open({
      connectionString: double.connectionString,
      maxResubscribeDelayMs: 50,
    });
    const s = `journey-${randomUUID()}`;
    const received: bigint[] = [];
    let caughtUp = false;
    const subscription = store.subscribeToAll(
      { after: await store.headPosition(), filter: { streamPrefixes: [s] } },
      {
        onEvents: (events) => void received.push(...events.map((e) => e.revision)),
        onCaughtUp: () => (caughtUp = true),
      },
    );
    try {
      await waitFor(() => caughtUp, Boolean, { what: 'catch-up' });
      await store.append(s, [event(), event()], { expectedRevision: 'no-stream' });
      await waitFor(
        () => received.length,
        (n) => n === 2,
        { what: 'first events' },
      );
      double.dropSubscriptions();
      await store.append(s, [event(), event(), event()], { expectedRevision: 1n });
      await waitFor(
        () => received.length,
        (n) => n >= 5,
        { what: 'events after the drop' },
      );
      expect(received).toEqual([0n, 1n, 2n, 3n, 4n]);
    } finally {
      await subscription.stop();
      await store.close();
    }
  });
});
