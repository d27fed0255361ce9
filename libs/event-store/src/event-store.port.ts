import type { ChainVerification } from './audit/hash-chain';

/**
 * The event-store port: what CarePath needs from any event store (embedded SQLite, EventStoreDB).
 * Every adapter passes the same contract suite (test/contract/event-store.contract.ts).
 *
 * Revisions are per stream, 0-based (the first event of a stream has revision 0n).
 * Positions are global, strictly increasing in commit order; the embedded store makes them gap-free from 1n,
 * other adapters may leave gaps. Both are bigint end to end.
 */

/** JSON-serialisable event as written. `type` is the stored type string and never changes. */
export interface EventToAppend {
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface StoredEvent extends EventToAppend {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
}

/**
 * - bigint: the stream's current revision must equal it;
 * - 'no-stream': the stream must not exist;
 * - 'stream-exists': it must exist;
 * - 'any': no check.
 */
export type ExpectedRevision = bigint | 'no-stream' | 'stream-exists' | 'any';

export interface AppendResult {
  readonly streamId: string;
  /** The stream's revision after the append: the last event's revision. */
  readonly nextExpectedRevision: bigint;
  /** Global position of the last appended event. */
  readonly position: bigint;
  /** Revisions of each appended event, in order. */
  readonly revisions: readonly bigint[];
  /** True when every event was already stored by an identical earlier append (a racing retry): nothing was written. */
  readonly duplicate?: boolean;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual revision, or 'no-stream'. */
    readonly actual: bigint | 'no-stream',
  ) {
    super(`Stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/** Some, but not all, of the appended event ids already exist: neither a retry nor a fresh append. */
export class DuplicateEventIdError extends Error {
  constructor(
    readonly streamId: string,
    readonly eventId: string,
  ) {
    super(`Event ${eventId} already exists (stream ${streamId}) and the batch is not an exact retry`);
    this.name = 'DuplicateEventIdError';
  }
}

/** The store cannot serve now (down, not leader, timed out); the caller may retry later. */
export class EventStoreUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
    this.name = 'EventStoreUnavailableError';
  }
}

/** The append is larger than the store accepts in one write. */
export class AppendTooLargeError extends Error {
  constructor(
    readonly streamId: string,
    readonly maxBytes: number | null,
  ) {
    super(
      `Append to ${streamId} exceeds the store's maximum append size${maxBytes ? ` (${maxBytes} bytes)` : ''}`,
    );
    this.name = 'AppendTooLargeError';
  }
}

/** Selects streams by prefix, e.g. `journey-` or `institution-` (a category in EventStoreDB terms). */
export interface StreamFilter {
  readonly streamPrefixes: readonly string[];
}

export interface ReadStreamOptions {
  /** First revision to read (inclusive). Default 0n. */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events with position strictly greater than this; 0n reads from the start. */
  readonly after: bigint;
  readonly maxCount: number;
  readonly filter?: StreamFilter;
  /**
   * Only the streams of one partition (streamPartition): readers of every partition of a count together read each
   * event once, and each stream whole and in order, in one of them. Lets several threads share a reading of the log.
   */
  readonly partition?: StreamPartition;
}

export interface StreamPartition {
  readonly index: number;
  readonly count: number;
}

/**
 * The partition of `count` a stream belongs to: the code point of the last character of its id, modulo `count`.
 * Stream ids end in random characters (UUIDs), so partitions come out even; an id never changes, nor does its
 * partition. The embedded store computes the same in SQL (unicode(substr(stream_id, -1)) % count).
 */
export function streamPartition(streamId: string, count: number): number {
  let last = streamId.codePointAt(streamId.length - 1) ?? 0;
  // A character outside the BMP ends in a low surrogate: take the whole code point, as SQLite does.
  if (last >= 0xdc00 && last <= 0xdfff && streamId.length > 1)
    last = streamId.codePointAt(streamId.length - 2)!;
  return last % count;
}

export interface ReadAllPage {
  readonly events: readonly StoredEvent[];
  /** Resume point for the next page: the last position examined (may pass filtered-out events). */
  readonly lastPosition: bigint;
  /** True when no event after lastPosition existed at read time. */
  readonly isEnd: boolean;
}

export interface SubscriptionHandler {
  /** Receives pages in log order. The next page is delivered only after the returned promise settles. */
  onEvents(events: readonly StoredEvent[], lastPosition: bigint): Promise<void> | void;
  /** Called each time the subscription has delivered everything in the log (after catch-up, and after each live page). */
  onCaughtUp?(position: bigint): void;
  /** A handler or store failure ends the subscription and is reported here. */
  onError?(error: unknown): void;
}

export interface SubscribeOptions {
  readonly after: bigint;
  readonly filter?: StreamFilter;
  readonly pageSize?: number;
}

export interface Subscription {
  /** Stops delivery; resolves once no handler call is in flight. */
  stop(): Promise<void>;
}

export interface EventStoreHealth {
  readonly status: 'up' | 'down';
  readonly kind: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

export interface EventStore {
  /**
   * Appends atomically with optimistic concurrency. Retrying an append whose event ids are exactly the ids
   * already stored at the end of the stream (same order) returns the original result and writes nothing.
   * Throws WrongExpectedRevisionError, DuplicateEventIdError, or EventStoreUnavailableError.
   */
  append(
    streamId: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;

  /** Events of one stream in revision order; an empty array when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;

  /** The current revision of a stream, or 'no-stream'. */
  streamRevision(streamId: string): Promise<bigint | 'no-stream'>;

  /** One page of the global log in position order. */
  readAll(options: ReadAllOptions): Promise<ReadAllPage>;

  /**
   * Position of the last event in the log (0n when empty); with a filter, of the last event of those streams,
   * which is what a filtered subscriber can wait for (other streams' positions may never be reported to it).
   */
  headPosition(filter?: StreamFilter): Promise<bigint>;

  /** Catch-up subscription: pages from `after`, then live pages as events are appended. */
  subscribeToAll(options: SubscribeOptions, handler: SubscriptionHandler): Subscription;

  health(): Promise<EventStoreHealth>;

  /** Recomputes the tamper-evidence chain (issue 5); stores without one leave this out. */
  verifyChain?(): Promise<ChainVerification>;

  close(): Promise<void>;
}
