import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { JourneyState } from '@carepath/domain';
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
