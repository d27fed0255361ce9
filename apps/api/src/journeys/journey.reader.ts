import { Inject, Injectable } from '@nestjs/common';
import {
  DomainError,
  evolveJourney,
  journeyDecider,
  initialJourneyState,
  JOURNEY_EVENT_TYPES,
  type JourneyEvent,
  type JourneyState,
  journeyStreamId,
  unreadableFacts,
} from '@carepath/domain';
import type { EventStore, StoredEvent } from '@carepath/event-store';
import { ResourceNotFoundException } from '../common/http-errors';
import { toDomainEvent, WritePath } from '@carepath/write-path';
import { EVENT_STORE } from '../store/tokens';

export const journeyNotFound = (journeyId: string) =>
  new ResourceNotFoundException('JOURNEY_NOT_FOUND', `Unknown journey ${journeyId}`);

/** The journey as it stands now, through the write path's cache of recent folds: for checks before a write. */
export async function currentJourney(
  writePath: WritePath,
  journeyId: string,
): Promise<{ state: JourneyState; revision: bigint }> {
  const { state, revision } = await writePath.current(journeyStreamId(journeyId), journeyDecider);
  if (revision === 'no-stream') throw journeyNotFound(journeyId);
  return { state, revision };
}

/** Reads a journey's stream and folds it; the only place journey state is rebuilt for reading. */
@Injectable()
export class JourneyReader {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async load(
    journeyId: string,
    options: { upToPosition?: bigint; asOf?: string } = {},
  ): Promise<{ state: JourneyState; revision: bigint | 'no-stream'; events: StoredEvent[] }> {
    const all = await this.store.readStream(journeyStreamId(journeyId));
    // asOf: what CarePath had recorded by then (recordedAt), the view an auditor replays (issue 5).
    const asOf = options.asOf === undefined ? null : Date.parse(options.asOf);
    const events = all.filter(
      (e) =>
        (options.upToPosition === undefined || e.position <= options.upToPosition) &&
        (asOf === null || Date.parse(String(e.metadata.recordedAt)) <= asOf),
    );
    const state = events.reduce(
      (s, e) => evolveJourney(s, toDomainEvent<JourneyEvent>(e, JOURNEY_EVENT_TYPES)),
      initialJourneyState(),
    );
    const last = events.at(-1);
    return { state, revision: last ? last.revision : 'no-stream', events };
  }

  async get(
    journeyId: string,
    options: { asOf?: string } = {},
  ): Promise<{ state: JourneyState; revision: bigint; events: StoredEvent[] }> {
    const loaded = await this.load(journeyId, options);
    if (loaded.revision === 'no-stream') throw journeyNotFound(journeyId);
    return { ...loaded, revision: loaded.revision };
  }

  /**
   * A journey whose care can be read: one holding a fact an older version stored with an unreadable care time
   * answers JOURNEY_NEEDS_REPAIR naming it, since no state or timeline built around it can be right. Its history
   * (`get`) stays readable, so the fact can be found and voided or corrected.
   */
  async getReadable(
    journeyId: string,
  ): Promise<{ state: JourneyState; revision: bigint; events: StoredEvent[] }> {
    const loaded = await this.get(journeyId);
    const unreadable = unreadableFacts(loaded.state)[0];
    if (unreadable) {
      throw new DomainError(
        'JOURNEY_NEEDS_REPAIR',
        'An event of this journey has a care time that cannot be read: enter it in error or correct it first.',
        { journeyId, eventId: unreadable.eventId, eventType: unreadable.type },
      );
    }
    return loaded;
  }
}
