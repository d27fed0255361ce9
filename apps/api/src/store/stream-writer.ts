import { Inject, Injectable } from '@nestjs/common';
import {
  type CommandMetadata,
  type DecidedEvent,
  type DomainEvent,
  parseCareTime,
  type RecordedDomainEvent,
} from '@carepath/domain';
import {
  type EventStore,
  type EventToAppend,
  type StoredEvent,
  WrongExpectedRevisionError,
} from '@carepath/event-store';
import { createHash, randomUUID } from 'node:crypto';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import {
  FieldException,
  IdempotencyKeyReusedException,
  RevisionConflictException,
} from '../common/http-errors';
import type { RequestContext } from '../common/request-context';
import { CLOCK, type Clock, EVENT_STORE } from './tokens';

export interface Decider<Command, Event extends DomainEvent, State> {
  readonly initialState: () => State;
  /** An event may carry its own care time (DecidedEvent): a whole past stay's discharge, say. */
  readonly decide: (command: Command, state: State) => DecidedEvent<Event>[];
  readonly evolve: (state: State, event: RecordedDomainEvent<Event>) => State;
  /** Stored type strings this decider folds; anything else in its stream is a bug, not data to skip. */
  readonly eventTypes: readonly string[];
}

export interface WriteRequest<Command, State> {
  readonly streamId: string;
  readonly ctx: RequestContext;
  /** Care time of the command (supplied by the client). */
  readonly occurredAt: string;
  /** What identifies "the same request" for Idempotency-Key replays: route and body. */
  readonly fingerprint: unknown;
  /** Throws (typically a 404) when the stream must already exist and does not. */
  readonly requireExisting?: () => Error;
  /**
   * The stream id was minted by this request from a random UUID, so the stream holds no events and is not read:
   * it starts from the decider's initial state, and the append still expects `no-stream`.
   */
  readonly fresh?: boolean;
  /** Resolves reference data and builds the domain command from the current state. */
  readonly buildCommand: (state: State, metadata: CommandMetadata) => Command | Promise<Command>;
}

export interface WriteOutcome {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly events: readonly { readonly id: string; readonly type: string; readonly revision: bigint }[];
  /** True when an Idempotency-Key matched an earlier write and nothing was appended. */
  readonly replayed: boolean;
}

/**
 * The one write path (brief, rule 3): load the stream, fold it, decide, append with the expected revision.
 * Idempotency lives in the stream itself (the key and a request hash ride in event metadata, event ids are
 * derived from them), so a replay is exactly as durable and atomic as the write it replays, on any store.
 */
@Injectable()
export class StreamWriter {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

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

  async execute<Command, Event extends DomainEvent, State>(
    decider: Decider<Command, Event, State>,
    request: WriteRequest<Command, State>,
  ): Promise<WriteOutcome> {
    const { streamId, ctx } = request;
    const now = this.clock();
    checkCareWindow('occurredAt', request.occurredAt, now, this.config);
    const requestHash = ctx.idempotencyKey ? hashRequest(request.fingerprint) : undefined;
    const { state, revision, stored } = request.fresh
      ? { state: decider.initialState(), revision: 'no-stream' as const, stored: [] }
      : await this.load(streamId, decider);

    if (ctx.idempotencyKey && requestHash) {
      const replay = findReplay(streamId, stored, ctx.idempotencyKey, requestHash);
      if (replay) return replay;
    }
    if (revision === 'no-stream' && request.requireExisting) throw request.requireExisting();
    if (ctx.ifMatch !== null && (revision === 'no-stream' || ctx.ifMatch !== revision)) {
      throw new RevisionConflictException(streamId, revision, String(ctx.ifMatch));
    }

    const metadata: CommandMetadata = {
      occurredAt: request.occurredAt,
      recordedAt: now.toISOString(),
      actorId: ctx.actorId,
      actorRole: ctx.actorRole,
      institutionId: ctx.institutionId,
      correlationId: ctx.correlationId,
      causationId: ctx.requestId,
    };
    const command = await request.buildCommand(state, metadata);
    const decided = decider.decide(command, state);
    const toAppend: EventToAppend[] = decided.map((event, index) => ({
      id:
        ctx.idempotencyKey && requestHash
          ? deriveEventId(ctx.idempotencyKey, requestHash, streamId, index)
          : randomUUID(),
      type: event.type,
      schemaVersion: 1,
      data: event.data as Readonly<Record<string, unknown>>,
      metadata: {
        ...metadata,
        occurredAt: event.occurredAt ?? metadata.occurredAt,
        ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey, requestHash } : {}),
      },
    }));

    try {
      const result = await this.store.append(streamId, toAppend, {
        expectedRevision: revision,
      });
      const events = toAppend.map((e, i) => ({
        id: e.id,
        type: e.type,
        revision: result.revisions[i] ?? result.nextExpectedRevision,
      }));
      return {
        streamId,
        revision: result.nextExpectedRevision,
        position: result.position,
        events,
        // A twin of this request, racing with the same Idempotency-Key, stored these very events first.
        replayed: result.duplicate === true,
      };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError && ctx.idempotencyKey && requestHash) {
        // A concurrent twin of this request may have won the race: answer with its result.
        const again = await this.store.readStream(streamId);
        const replay = findReplay(streamId, again, ctx.idempotencyKey, requestHash);
        if (replay) return replay;
      }
      throw error;
    }
  }
}

/**
 * A care time must parse and fall inside the plausible window (docs/robustness.md): not before the configured
 * earliest date, not beyond now plus the tolerated clock skew. A 400 naming the field otherwise.
 */
export function checkCareWindow(
  field: string,
  value: string,
  now: Date,
  config: Pick<AppConfig, 'careTimeNotBeforeMs' | 'futureSkewMs'>,
): number {
  const ms = parseCareTime(value);
  if (ms === null) throw new FieldException(field, 'must be an RFC 3339 date-time with an offset');
  if (ms > now.getTime() + config.futureSkewMs) throw new FieldException(field, 'must not be in the future');
  if (ms < config.careTimeNotBeforeMs) {
    throw new FieldException(
      field,
      `must not be before ${new Date(config.careTimeNotBeforeMs).toISOString()} (CARE_TIME_NOT_BEFORE)`,
    );
  }
  return ms;
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

function findReplay(
  streamId: string,
  stored: readonly StoredEvent[],
  key: string,
  requestHash: string,
): WriteOutcome | null {
  const matching = stored.filter((e) => e.metadata.idempotencyKey === key);
  const last = matching.at(-1);
  if (!last) return null;
  if (last.metadata.requestHash !== requestHash) throw new IdempotencyKeyReusedException();
  return { streamId, revision: last.revision, position: last.position, events: matching, replayed: true };
}

/** Canonical JSON (sorted keys) so the same body in another key order is the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function hashRequest(fingerprint: unknown): string {
  return createHash('sha256').update(canonicalJson(fingerprint)).digest('hex');
}

/** A UUID-shaped id derived from the key (RFC 4122 v5-style layout over SHA-256), stable across retries. */
export function deriveId(...parts: readonly string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function deriveEventId(key: string, requestHash: string, streamId: string, index: number): string {
  return deriveId('event', key, requestHash, streamId, String(index));
}
