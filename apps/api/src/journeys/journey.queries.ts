import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import type { JourneyState } from '@carepath/domain';
import { journeyTimeline, type JourneyTimeline } from '@carepath/projections';
import { CLOCK, type Clock } from '../store/tokens';
import { JourneyReader } from './journey.reader';

export interface JourneyView {
  readonly journeyId: string;
  readonly revision: number;
  readonly state: JourneyState;
}

export interface JourneyHistoryEntry {
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly revision: number;
  readonly position: number;
  readonly data: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export class GetJourneyQuery extends Query<JourneyView> {
  constructor(readonly journeyId: string) {
    super();
  }
}

export class GetJourneyHistoryQuery extends Query<{
  journeyId: string;
  revision: number;
  events: JourneyHistoryEntry[];
}> {
  constructor(readonly journeyId: string) {
    super();
  }
}

@QueryHandler(GetJourneyQuery)
export class GetJourneyHandler implements IQueryHandler<GetJourneyQuery, JourneyView> {
  constructor(private readonly reader: JourneyReader) {}

  async execute({ journeyId }: GetJourneyQuery): Promise<JourneyView> {
    const { state, revision } = await this.reader.get(journeyId);
    return { journeyId, revision: Number(revision), state };
  }
}

@QueryHandler(GetJourneyHistoryQuery)
export class GetJourneyHistoryHandler implements IQueryHandler<GetJourneyHistoryQuery> {
  constructor(private readonly reader: JourneyReader) {}

  /** The history exactly as stored, corrections and entered-in-error events included, never hidden. */
  async execute({ journeyId }: GetJourneyHistoryQuery) {
    const { events, revision } = await this.reader.get(journeyId);
    return {
      journeyId,
      revision: Number(revision),
      events: events.map((e) => ({
        id: e.id,
        type: e.type,
        schemaVersion: e.schemaVersion,
        revision: Number(e.revision),
        position: Number(e.position),
        data: e.data,
        metadata: e.metadata,
      })),
    };
  }
}

export class GetJourneyTimelineQuery extends Query<JourneyTimeline> {
  constructor(readonly journeyId: string) {
    super();
  }
}

@QueryHandler(GetJourneyTimelineQuery)
export class GetJourneyTimelineHandler implements IQueryHandler<GetJourneyTimelineQuery, JourneyTimeline> {
  constructor(
    private readonly reader: JourneyReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Folded from the journey's own stream: always current, corrections applied. Open stays count up to now. */
  async execute({ journeyId }: GetJourneyTimelineQuery): Promise<JourneyTimeline> {
    const { state } = await this.reader.get(journeyId);
    if (state.status === 'not-opened')
      throw new Error('unreachable: a stream exists but the journey is not opened');
    return journeyTimeline(state, this.clock().toISOString());
  }
}
