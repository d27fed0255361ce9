import {
  type CommandMetadata,
  type Decider,
  type DomainEvent,
  type RecordedDomainEvent,
} from '@carepath/domain';
import {
  type AppendResult,
  type EventStore,
  type EventToAppend,
  FoldCache,
  timeOrderedId,
  type StoredEvent,
  WrongExpectedRevisionError,
} from '@carepath/event-store';
import { type CareWindow, checkCareWindow } from './care-window';
import { deriveId } from './idempotency';

/** Who acts, for whom, and in answer to what: everything of a command's metadata but its times. */
export interface Actor {
  readonly actorId: string;
  readonly actorRole: string;
  readonly institutionId: string;
  readonly correlationId: string;
  readonly causationId: string;
}

export interface WriteOptions {
  readonly streamId: string;
  /** The request's Idempotency-Key with the hash of what it asked; a retry replays the first answer. */
  readonly idempotency: { readonly key: string; readonly requestHash: string } | null;
  /** If-Match: the revision the client decided against; a conflict when the stream has moved on. */
  readonly expectedRevision: bigint | null;
  /** Every command but the one that starts a stream needs it to exist: the error to throw when it does not. */
  readonly missing?: () => Error;
  /**
   * The stream id was just drawn at random, so the stream holds nothing and is not read: the command is decided
   * on the initial state and the append still expects `no-stream`.
   */
  readonly fresh?: boolean;
}

export interface WriteOutcome {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly events: readonly { readonly id: string; readonly type: string; readonly revision: bigint }[];
  /** True when an Idempotency-Key matched an earlier write and nothing was appended. */
  readonly replayed: boolean;
}

/** The answer an earlier write with an Idempotency-Key gave: what a retry with that key replays. */
interface KeyedWrite {
  readonly requestHash: string;
  readonly events: readonly { readonly id: string; readonly type: string; readonly revision: bigint }[];
  readonly revision: bigint;
  readonly position: bigint;
}

/** The keyed writes of a stream written without an Idempotency-Key (most are): one shared empty map. */
const NO_KEYED_WRITES: ReadonlyMap<string, KeyedWrite> = new Map();

/** A stream folded up to a revision, with the keyed writes seen on the way. */
export interface FoldedStream<State> {
  readonly state: State;
  readonly revision: bigint | 'no-stream';
  readonly keyed: ReadonlyMap<string, KeyedWrite>;
}

/**
 * The one write path (docs/architecture.md): load the stream, fold it, decide, append with the expected
 * revision. Framework-free: the HTTP routes, the simulator and the processes all write through `handle`.
 */
export class WritePath {
  /**
   * Streams folded lately, most recent last. A stream is append-only, so a fold kept with its revision plus the
   * events after it (read on every load, usually none) equals a fold of the whole stream read now, whoever else
   * appended to it, in this process or another. It saves reading and folding a long journey twice per write (the
   * access check, then the decision) and again on the next write.
   */
  private readonly folds: FoldCache<FoldedStream<unknown>>;

  constructor(
    private readonly store: EventStore,
    private readonly clock: () => Date,
    private readonly window: CareWindow,
    /** How many folded streams to keep (0: none), and their weight at most (see FoldCache). */
    cache: { readonly entries: number; readonly bytes: number } = { entries: 0, bytes: 0 },
  ) {
    this.folds = new FoldCache(cache.bytes, cache.entries);
  }

  /** A command's metadata: its care time (an administrative act is done now) and when it is recorded. */
  metadata(actor: Actor, occurredAt?: string): CommandMetadata {
    const now = this.clock().toISOString();
    // Field by field rather than by a spread of `actor`: the spread cloned it on every command (a write's profile
    // showed it), and only these fields belong in the metadata whatever else the caller's object holds.
    return {
      actorId: actor.actorId,
      actorRole: actor.actorRole,
      institutionId: actor.institutionId,
      correlationId: actor.correlationId,
      causationId: actor.causationId,
      occurredAt: occurredAt ?? now,
      recordedAt: now,
    };
  }

  /** A care time the command carries besides its own (a past stay's discharge, a corrected time). */
  checkCareTime(field: string, value: string): void {
    checkCareWindow(field, value, this.clock(), this.window);
  }

  /**
   * Reads a stream and folds it; given `from` (the state folded up to a revision), only the events after it are
   * read and folded onto it. `stored` holds the events read.
   */
  async load<Event extends DomainEvent, State>(
    streamId: string,
    decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve' | 'eventTypes'>,
    from?: { readonly state: State; readonly revision: bigint },
  ): Promise<{ state: State; revision: bigint | 'no-stream'; stored: StoredEvent[] }> {
    const stored = await this.store.readStream(streamId, from ? { fromRevision: from.revision + 1n } : {});
    const state = stored.reduce(
      (s, e) => decider.evolve(s, toDomainEvent<Event>(e, decider.eventTypes)),
      from ? from.state : decider.initialState(),
    );
    const last = stored.at(-1);
    return { state, revision: last ? last.revision : (from?.revision ?? 'no-stream'), stored };
  }

  /** The stream folded now, through the cache of recent folds (see `folds`). */
  async current<Event extends DomainEvent, State>(
    streamId: string,
    decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve' | 'eventTypes'>,
  ): Promise<FoldedStream<State>> {
    const cached = this.folds.get(streamId) as FoldedStream<State> | undefined;
    const from =
      cached && cached.revision !== 'no-stream'
        ? { state: cached.state, revision: cached.revision }
        : undefined;
    const { state, revision, stored } = await this.load(streamId, decider, from);
    const folded: FoldedStream<State> = { state, revision, keyed: keyedWrites(cached?.keyed, stored) };
    this.remember(streamId, folded);
    return folded;
  }

  /**
   * After an append at the expected revision, the stream is what was folded plus what was appended: kept so, the
   * next write on it reads nothing (the store knows the stream's end) and folds nothing. A visit read and folded its
   * journey's last event again, among the largest items of a profile of the request thread at saturation
   * (docs/benchmarks.md, "HTTP commands"). The events are folded as a load would read them back: their data and metadata through JSON.
   */
  private rememberAppended<Event extends DomainEvent, State>(
    decider: Pick<Decider<unknown, Event, State>, 'evolve' | 'eventTypes'>,
    before: FoldedStream<State>,
    appended: readonly EventToAppend[],
    result: AppendResult,
  ): void {
    if (!this.folds.keeps()) return;
    const stored: StoredEvent[] = appended.map((e, i) => ({
      ...e,
      data: JSON.parse(JSON.stringify(e.data)) as StoredEvent['data'],
      metadata: JSON.parse(JSON.stringify(e.metadata)) as StoredEvent['metadata'],
      streamId: result.streamId,
      revision: result.revisions[i] ?? result.nextExpectedRevision,
      // Only the last event's position is kept (the answer to a replay); a store need not number a batch in a row.
      position: result.position,
    }));
    this.remember(result.streamId, {
      state: stored.reduce(
        (s, e) => decider.evolve(s, toDomainEvent<Event>(e, decider.eventTypes)),
        before.state,
      ),
      revision: result.nextExpectedRevision,
      keyed: keyedWrites(before.keyed, stored),
    });
  }

  private remember(streamId: string, folded: FoldedStream<unknown>): void {
    if (folded.revision === 'no-stream') return;
    this.folds.set(streamId, folded, Number(folded.revision) + 1);
  }

  async handle<Command extends { readonly metadata: CommandMetadata }, Event extends DomainEvent, State>(
    decider: Decider<Command, Event, State>,
    command: Command,
    options: WriteOptions,
  ): Promise<WriteOutcome> {
    const { streamId, idempotency } = options;
    checkCareWindow('occurredAt', command.metadata.occurredAt, this.clock(), this.window);
    const { state, revision, keyed } = options.fresh
      ? {
          state: decider.initialState(),
          revision: 'no-stream' as const,
          keyed: NO_KEYED_WRITES,
        }
      : await this.current(streamId, decider);

    if (idempotency) {
      const replay = replayOf(streamId, keyed, idempotency);
      if (replay) return replay;
    }
    if (revision === 'no-stream' && options.missing) throw options.missing();
    if (
      options.expectedRevision !== null &&
      (revision === 'no-stream' || options.expectedRevision !== revision)
    ) {
      throw new WrongExpectedRevisionError(streamId, options.expectedRevision, revision);
    }

    const toAppend: EventToAppend[] = decider.decide(command, state).map((event, index) => ({
      id: idempotency
        ? deriveId('event', idempotency.key, idempotency.requestHash, streamId, String(index))
        : timeOrderedId(),
      type: event.type,
      schemaVersion: 1,
      data: event.data as Readonly<Record<string, unknown>>,
      metadata: {
        ...command.metadata,
        occurredAt: event.occurredAt ?? command.metadata.occurredAt,
        ...(idempotency ? { idempotencyKey: idempotency.key, requestHash: idempotency.requestHash } : {}),
      },
    }));

    try {
      const result = await this.store.append(streamId, toAppend, { expectedRevision: revision });
      // A twin's events (a duplicate) were stored by another request, whose write remembers them. A stream just
      // started is not kept: most are not written again soon (POST /journeys spent more keeping them than it saved).
      if (result.duplicate !== true && !options.fresh)
        this.rememberAppended(decider, { state, revision, keyed }, toAppend, result);
      return {
        streamId,
        revision: result.nextExpectedRevision,
        position: result.position,
        events: toAppend.map((e, i) => ({
          id: e.id,
          type: e.type,
          revision: result.revisions[i] ?? result.nextExpectedRevision,
        })),
        // A twin of this request, racing with the same Idempotency-Key, stored these very events first.
        replayed: result.duplicate === true,
      };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError && idempotency) {
        // A concurrent twin of this request may have won the race: answer with its result.
        const replay = replayOf(streamId, (await this.current(streamId, decider)).keyed, idempotency);
        if (replay) return replay;
      }
      throw error;
    }
  }
}

/** A key sent again with another request: replaying would answer a question that was not asked (422). */
export class IdempotencyKeyReusedError extends Error {
  constructor() {
    super('This Idempotency-Key was already used with a different request');
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** Maps a stored event to the core's shape; an unknown type in a known stream is a bug and must stop the fold. */
export function toDomainEvent<Event extends DomainEvent>(
  stored: StoredEvent,
  knownTypes: readonly string[],
): RecordedDomainEvent<Event> {
  if (!knownTypes.includes(stored.type)) {
    throw new Error(`Unknown event type ${stored.type} at ${stored.streamId}@${stored.revision}`);
  }
  return {
    id: stored.id,
    type: stored.type,
    data: stored.data,
    metadata: stored.metadata,
  } as unknown as RecordedDomainEvent<Event>;
}

function replayOf(
  streamId: string,
  keyed: ReadonlyMap<string, KeyedWrite>,
  idempotency: { readonly key: string; readonly requestHash: string },
): WriteOutcome | null {
  const earlier = keyed.get(idempotency.key);
  if (!earlier) return null;
  if (earlier.requestHash !== idempotency.requestHash) throw new IdempotencyKeyReusedError();
  return {
    streamId,
    revision: earlier.revision,
    position: earlier.position,
    events: earlier.events,
    replayed: true,
  };
}

/** The keyed writes of a stream: those known before, and those of the events read after them. */
function keyedWrites(
  before: ReadonlyMap<string, KeyedWrite> | undefined,
  stored: readonly StoredEvent[],
): ReadonlyMap<string, KeyedWrite> {
  let keyed = before ?? NO_KEYED_WRITES;
  let copied = false;
  for (const e of stored) {
    const key = e.metadata.idempotencyKey;
    if (typeof key !== 'string') continue;
    if (!copied) {
      keyed = new Map(keyed);
      copied = true;
    }
    const earlier = keyed.get(key);
    const event = { id: e.id, type: e.type, revision: e.revision };
    (keyed as Map<string, KeyedWrite>).set(key, {
      requestHash: String(e.metadata.requestHash),
      events:
        earlier && earlier.requestHash === e.metadata.requestHash ? [...earlier.events, event] : [event],
      revision: e.revision,
      position: e.position,
    });
  }
  return keyed;
}
