import type * as EsdbClient from '@eventstore/db-client';
import type { AllStreamResolvedEvent, EventStoreDBClient, ResolvedEvent } from '@eventstore/db-client';
import { chainHash, type ChainVerification, envelopeBytes, GENESIS_HASH } from '../audit/hash-chain';
import {
  AppendTooLargeError,
  type AppendResult,
  DuplicateEventIdError,
  type EventStore,
  type EventStoreHealth,
  EventStoreUnavailableError,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadAllPage,
  type ReadStreamOptions,
  type StoredEvent,
  type StreamFilter,
  streamPartition,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandler,
  WrongExpectedRevisionError,
} from '../event-store.port';

/*
 * The EventStoreDB adapter: the only file that imports `@eventstore/db-client`. Revisions and positions stay
 * bigint end to end; a CarePath position is EventStoreDB's commit position (gaps are normal). The envelope's
 * metadata travels as the event's JSON metadata, with `$correlationId` / `$causationId` set too so EventStoreDB's
 * own tooling can follow conversations; the schema version rides there as `$schemaVersion`.
 */
/**
 * The client library (gRPC and all) is loaded when an EventStoreDB store is first opened, not when this module is:
 * every process on the embedded store imports this library too, and the client alone added about 18 MB to each
 * one's resident memory (the projector's rebuild has a 200 MB budget: docs/benchmarks.md, "Projections").
 */
let loaded: typeof EsdbClient | undefined;
function esdb(): typeof EsdbClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deliberate lazy load (see above)
  loaded ??= require('@eventstore/db-client') as typeof EsdbClient;
  return loaded;
}

export interface EsdbEventStoreOptions {
  readonly connectionString: string;
  /** Live subscriptions retry after the connection drops, backing off up to this delay. */
  readonly maxResubscribeDelayMs?: number;
  readonly logger?: { warn(message: object): void; error(message: object): void };
}

const SCHEMA_VERSION = '$schemaVersion';
const STREAM_HASH = '$streamHash';
const RESERVED = new Set([SCHEMA_VERSION, STREAM_HASH, '$correlationId', '$causationId']);

export class EsdbEventStore implements EventStore {
  private constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: EsdbEventStoreOptions,
  ) {}

  static open(options: EsdbEventStoreOptions): EsdbEventStore {
    return new EsdbEventStore(esdb().EventStoreDBClient.connectionString(options.connectionString), options);
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('An append needs at least one event');
    return this.guard(streamId, async () => {
      // EventStoreDB itself treats only an exact retry at the expected revision as idempotent and would write a
      // batch that reuses some ids again; the port promises more, so look at the stream first (journey streams
      // are short, and the write path has just read it anyway).
      const stored = await this.readRaw(streamId);
      const retry = this.checkRetry(
        streamId,
        events,
        stored.map((r) => r.event),
      );
      if (retry) return retry;
      // The stream's hash chain travels in metadata (issue 5). Positions are the server's to assign, so the
      // chained envelope leaves them out; appends use exact expected revisions, so no two links share a parent.
      let previous = stored.at(-1)?.streamHash ?? GENESIS_HASH;
      let revision = stored.at(-1)?.event.revision ?? -1n;
      const result = await this.client.appendToStream(
        streamId,
        events.map((e) => {
          revision++;
          previous = chainHash(
            previous,
            envelopeBytes({
              id: e.id,
              streamId,
              revision,
              position: null,
              type: e.type,
              schemaVersion: e.schemaVersion,
              // canonicalJson hashes what JSON stores, as a verifier reads it back.
              data: e.data,
              metadata: e.metadata,
            }),
          );
          return esdb().jsonEvent({
            id: e.id,
            type: e.type,
            data: e.data,
            metadata: {
              ...e.metadata,
              $correlationId: e.metadata.correlationId ?? null,
              $causationId: e.metadata.causationId ?? null,
              [SCHEMA_VERSION]: e.schemaVersion,
              [STREAM_HASH]: previous,
            },
          });
        }),
        { expectedRevision: toEsdbRevision(options.expectedRevision) },
      );
      const last = result.nextExpectedRevision;
      const first = last - BigInt(events.length - 1);
      return {
        streamId,
        nextExpectedRevision: last,
        position: result.position?.commit ?? 0n,
        revisions: events.map((_, i) => first + BigInt(i)),
      };
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    return (await this.readRaw(streamId, options)).map((r) => r.event);
  }

  private async readRaw(
    streamId: string,
    options: ReadStreamOptions = {},
  ): Promise<{ event: StoredEvent; streamHash: string | null }[]> {
    return this.guard(streamId, async () => {
      const out: { event: StoredEvent; streamHash: string | null }[] = [];
      try {
        const read = this.client.readStream(streamId, {
          fromRevision: options.fromRevision ?? esdb().START,
          direction: esdb().FORWARDS,
          ...(options.maxCount !== undefined ? { maxCount: BigInt(options.maxCount) } : {}),
        });
        for await (const resolved of read) {
          const event = toStoredEvent(resolved);
          if (event) out.push({ event, streamHash: streamHashOf(resolved) });
        }
      } catch (error) {
        if (isType(error, 'stream-not-found')) return [];
        throw error;
      }
      return out;
    });
  }

  /**
   * Walks $all (CarePath's streams) and recomputes each stream's chain from the hashes carried in metadata. The
   * global chain over $all order is computed as it goes: its head is what a signed checkpoint records.
   */
  async verifyChain(): Promise<ChainVerification> {
    const streams = new Map<string, { revision: bigint; hash: string }>();
    let global = GENESIS_HASH;
    let checked = 0;
    let head = 0n;
    for (let after = 0n; ;) {
      const page = await this.readAllRaw(after, 1000);
      for (const { event, streamHash } of page.events) {
        const stream = streams.get(event.streamId) ?? { revision: -1n, hash: GENESIS_HASH };
        const broken = (
          problem: 'revision-gap' | 'stream-hash-mismatch',
          detail: string,
        ): ChainVerification => ({
          ok: false,
          checked,
          position: event.position.toString(),
          streamId: event.streamId,
          problem,
          detail,
        });
        if (event.revision !== stream.revision + 1n)
          return broken('revision-gap', `expected revision ${stream.revision + 1n}, found ${event.revision}`);
        const canonical = envelopeBytes({ ...event, position: null });
        const expected = chainHash(stream.hash, canonical);
        if (expected !== streamHash)
          return broken(
            'stream-hash-mismatch',
            `the event at ${event.position} differs from what was appended`,
          );
        streams.set(event.streamId, { revision: event.revision, hash: expected });
        global = chainHash(global, envelopeBytes(event));
        head = event.position;
        checked++;
      }
      after = page.lastPosition;
      if (page.isEnd) break;
    }
    return { ok: true, checked, headPosition: head.toString(), headHash: global };
  }

  async streamRevision(streamId: string): Promise<bigint | 'no-stream'> {
    return this.guard(streamId, async () => {
      // Streams are drained, never left mid-way: an abandoned gRPC read keeps the client from closing.
      let revision: bigint | 'no-stream' = 'no-stream';
      try {
        for await (const resolved of this.client.readStream(streamId, {
          fromRevision: esdb().END,
          direction: esdb().BACKWARDS,
          maxCount: 1n,
        })) {
          if (resolved.event) revision = resolved.event.revision;
        }
      } catch (error) {
        if (isType(error, 'stream-not-found')) return 'no-stream';
        throw error;
      }
      return revision;
    });
  }

  async readAll({ after, maxCount, filter, partition }: ReadAllOptions): Promise<ReadAllPage> {
    const page = await this.readAllRaw(after, maxCount);
    const inPartition = (streamId: string) =>
      !partition || streamPartition(streamId, partition.count) === partition.index;
    return {
      events: page.events
        .map((r) => r.event)
        .filter((e) => matches(e.streamId, filter?.streamPrefixes) && inPartition(e.streamId)),
      lastPosition: page.lastPosition,
      isEnd: page.isEnd,
    };
  }

  private async readAllRaw(
    after: bigint,
    maxCount: number,
  ): Promise<{
    events: { event: StoredEvent; streamHash: string | null }[];
    lastPosition: bigint;
    isEnd: boolean;
  }> {
    return this.guard('$all', async () => {
      const events: { event: StoredEvent; streamHash: string | null }[] = [];
      let lastPosition = after;
      let examined = 0;
      // $all reads include the start position; ask for one more and drop it.
      const read = this.client.readAll({
        fromPosition: after === 0n ? esdb().START : { commit: after, prepare: after },
        direction: esdb().FORWARDS,
        maxCount: BigInt(maxCount + 1),
      });
      for await (const resolved of read) {
        const position = resolved.event?.position?.commit ?? resolved.commitPosition;
        if (position === undefined || position <= after || examined >= maxCount) continue;
        examined++;
        lastPosition = position;
        const event = toStoredEvent(resolved);
        if (event && !event.streamId.startsWith('$'))
          events.push({ event, streamHash: streamHashOf(resolved) });
      }
      return { events, lastPosition, isEnd: examined < maxCount };
    });
  }

  async headPosition(filter?: StreamFilter): Promise<bigint> {
    return this.guard('$all', async () => {
      const prefixes = filter?.streamPrefixes ?? [];
      // Walk $all backwards a page at a time until an event of the wanted streams shows up (usually at once).
      let from: typeof EsdbClient.END | { commit: bigint; prepare: bigint } = esdb().END;
      for (;;) {
        let found: bigint | null = null;
        let oldest: bigint | null = null;
        let seen = 0;
        const page = this.client.readAll({ fromPosition: from, direction: esdb().BACKWARDS, maxCount: 500n });
        for await (const resolved of page as AsyncIterable<AllStreamResolvedEvent>) {
          const position: bigint | undefined = resolved.event?.position?.commit ?? resolved.commitPosition;
          if (position === undefined) continue;
          seen++;
          oldest = position;
          const streamId = resolved.event?.streamId ?? '';
          if (found === null && (prefixes.length === 0 || matches(streamId, prefixes))) found = position;
        }
        if (found !== null) return found;
        if (seen < 500 || oldest === null) return 0n;
        from = { commit: oldest - 1n, prepare: oldest - 1n };
      }
    });
  }

  /**
   * A catch-up subscription to $all filtered on the server by stream prefix. Events are delivered in pages
   * (whatever arrived while the previous page was handled, up to `pageSize`), the next page only after the
   * handler settles. When the connection drops, it resubscribes from the last position handed over; the client
   * does not do that by itself.
   */
  subscribeToAll(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    const pageSize = options.pageSize ?? 500;
    const maxDelay = this.options.maxResubscribeDelayMs ?? 5000;
    let stopped = false;
    let position = options.after;
    let current: ReturnType<EventStoreDBClient['subscribeToAll']> | null = null;
    let wake: (() => void) | null = null;

    const run = async (): Promise<void> => {
      let delay = 100;
      while (!stopped) {
        try {
          await this.follow(
            options,
            pageSize,
            () => position,
            (p) => (position = p),
            handler,
            (s) => (current = s),
            () => stopped,
          );
          delay = 100;
        } catch (error) {
          if (stopped) return;
          if (!isTransient(error)) {
            handler.onError?.(error);
            return;
          }
          this.options.logger?.warn({
            msg: 'subscription dropped; resubscribing',
            position: position.toString(),
            error: String(error),
          });
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, delay);
          });
          wake = null;
          delay = Math.min(maxDelay, delay * 2);
        }
      }
    };
    const loop = run();
    return {
      stop: async () => {
        stopped = true;
        wake?.();
        await current?.unsubscribe().catch(() => undefined);
        await loop;
      },
    };
  }

  private async follow(
    options: SubscribeOptions,
    pageSize: number,
    getPosition: () => bigint,
    setPosition: (p: bigint) => void,
    handler: SubscriptionHandler,
    expose: (s: ReturnType<EventStoreDBClient['subscribeToAll']>) => void,
    isStopped: () => boolean,
  ): Promise<void> {
    const from = getPosition();
    const prefixes = options.filter?.streamPrefixes ?? [];
    let caughtUp = false;
    let busy = false;
    let page: StoredEvent[] = [];
    let pagePosition = from;
    const idle = () => !busy && page.length === 0 && buffered() === 0;
    const subscription = this.client.subscribeToAll({
      fromPosition: from === 0n ? esdb().START : { commit: from, prepare: from },
      ...(prefixes.length > 0
        ? {
            filter: {
              ...esdb().streamNameFilter({ prefixes: [...prefixes] }),
              // Checkpoints move the position past filtered-out events, so a restart does not re-scan them.
              checkpointReached: (_: unknown, position: { commit: bigint }) => {
                if (!idle() || position.commit <= getPosition()) return;
                setPosition(position.commit);
                if (caughtUp) handler.onCaughtUp?.(position.commit);
              },
            },
          }
        : {}),
    });
    const buffered = () => (subscription as unknown as { readableLength: number }).readableLength;
    expose(subscription);
    subscription.on('caughtUp', () => {
      caughtUp = true;
      if (idle()) handler.onCaughtUp?.(getPosition());
    });
    for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
      if (isStopped()) break;
      const position = resolved.event?.position?.commit ?? resolved.commitPosition;
      if (position === undefined || position <= getPosition()) continue;
      const event = toStoredEvent(resolved);
      pagePosition = position;
      if (event && !event.streamId.startsWith('$')) page.push(event);
      // Hand over what has arrived once the buffer is drained or the page is full.
      if (page.length < pageSize && buffered() > 0) continue;
      busy = true;
      try {
        if (page.length > 0) {
          const events = page;
          page = [];
          await handler.onEvents(events, pagePosition);
        }
        setPosition(pagePosition);
      } finally {
        busy = false;
      }
      if (caughtUp && buffered() === 0) handler.onCaughtUp?.(getPosition());
    }
  }

  async health(): Promise<EventStoreHealth> {
    try {
      const head = await this.headPosition();
      return { status: 'up', kind: 'eventstoredb', details: { headPosition: head.toString() } };
    } catch (error) {
      return { status: 'down', kind: 'eventstoredb', details: { error: String(error) } };
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  private checkRetry(
    streamId: string,
    events: readonly EventToAppend[],
    stored: readonly StoredEvent[],
  ): AppendResult | null {
    const at = new Map(stored.map((e, i) => [e.id, i]));
    const found = events.map((e) => at.get(e.id));
    if (found.every((i) => i === undefined)) return null;
    const first = found[0];
    const exact = first !== undefined && found.every((i, k) => i === first + k);
    if (!exact)
      throw new DuplicateEventIdError(streamId, events[found.findIndex((i) => i !== undefined)]!.id);
    const rows = found.map((i) => stored[i!]!);
    const last = rows.at(-1)!;
    return {
      streamId,
      nextExpectedRevision: last.revision,
      position: last.position,
      revisions: rows.map((r) => r.revision),
    };
  }

  /** Maps client errors to the port's: conflicts, unavailability (503), too large (413). */
  private async guard<T>(streamId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError) throw error;
      if (isType(error, 'wrong-expected-version')) {
        const e = error as { actualVersion: bigint | 'no_stream'; expectedVersion: unknown };
        throw new WrongExpectedRevisionError(
          streamId,
          'any',
          e.actualVersion === 'no_stream' ? 'no-stream' : BigInt(e.actualVersion),
        );
      }
      if (isType(error, 'maximum-append-size-exceeded')) {
        throw new AppendTooLargeError(streamId, (error as { maxAppendSize?: number }).maxAppendSize ?? null);
      }
      if (isTransient(error))
        throw new EventStoreUnavailableError(`EventStoreDB: ${(error as Error).message}`, 1);
      throw error;
    }
  }
}

function toEsdbRevision(expected: ExpectedRevision): bigint | 'any' | 'no_stream' | 'stream_exists' {
  switch (expected) {
    case 'any':
      return 'any';
    case 'no-stream':
      return 'no_stream';
    case 'stream-exists':
      return 'stream_exists';
    default:
      return expected;
  }
}

function toStoredEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): StoredEvent | null {
  const e = resolved.event;
  if (!e || !e.isJson) return null;
  const raw = (e.metadata ?? {}) as Record<string, unknown>;
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!RESERVED.has(k)) metadata[k] = v;
  return {
    id: e.id,
    type: e.type,
    schemaVersion: typeof raw[SCHEMA_VERSION] === 'number' ? raw[SCHEMA_VERSION] : 1,
    data: e.data as Record<string, unknown>,
    metadata,
    streamId: e.streamId,
    revision: e.revision,
    position: e.position?.commit ?? resolved.commitPosition ?? 0n,
  };
}

function streamHashOf(resolved: ResolvedEvent | AllStreamResolvedEvent): string | null {
  const hash = (resolved.event?.metadata as Record<string, unknown> | undefined)?.[STREAM_HASH];
  return typeof hash === 'string' ? hash : null;
}

function matches(streamId: string, prefixes: readonly string[] | undefined): boolean {
  if (streamId.startsWith('$')) return false;
  return !prefixes || prefixes.length === 0 || prefixes.some((p) => streamId.startsWith(p));
}

function isType(error: unknown, type: string): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: unknown }).type === type;
}

/** Unavailable, deadline exceeded, not leader, cancelled by the server: try again later. */
function isTransient(error: unknown): boolean {
  return ['unavailable', 'deadline-exceeded', 'not-leader', 'timeout', 'cancelled'].some((t) =>
    isType(error, t),
  );
}
