import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { journeyValidAt, type JourneyState } from '@carepath/domain';
import { journeyTimeline, type JourneyTimeline } from '@carepath/projections';
import { CLOCK, type Clock } from '../store/tokens';
import { HeavyWork } from '../work/heavy-work.service';
import { journeyNotFound, JourneyReader } from './journey.reader';

export interface JourneyView {
  readonly journeyId: string;
  readonly revision: number;
  /** Present when the view is historical: what was recorded by `asOf`, in care as of `validAt`. */
  readonly asOf?: string;
  readonly validAt?: string;
  readonly state: JourneyState;
}

export interface TimeTravel {
  /** Only events recorded at or before this instant (what the system knew then). */
  readonly asOf?: string;
  /** The state in care at this instant, every correction known (as of `asOf`) applied. */
  readonly validAt?: string;
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
  constructor(
    readonly journeyId: string,
    readonly travel: TimeTravel = {},
  ) {
    super();
  }
}

export class GetJourneyHistoryQuery extends Query<{
  journeyId: string;
  revision: number;
  asOf?: string;
  events: JourneyHistoryEntry[];
}> {
  constructor(
    readonly journeyId: string,
    readonly asOf?: string,
  ) {
    super();
  }
}

@QueryHandler(GetJourneyQuery)
export class GetJourneyHandler implements IQueryHandler<GetJourneyQuery, JourneyView> {
  constructor(
    private readonly reader: JourneyReader,
    private readonly work: HeavyWork,
  ) {}

  async execute({ journeyId, travel }: GetJourneyQuery): Promise<JourneyView> {
    if (travel.asOf) {
      // A replay: in a heavy-work thread within its budget (issue 15), `validAt` applied there too.
      const replay = await this.work.journeyAsOf(journeyId, travel.asOf, 'state', travel.validAt);
      if (replay.revision === 'no-stream') throw journeyNotFound(journeyId);
      return {
        journeyId,
        revision: Number(replay.revision),
        asOf: travel.asOf,
        ...(travel.validAt ? { validAt: travel.validAt } : {}),
        state: replay.state as JourneyState,
      };
    }
    const { state, revision } = await this.reader.getReadable(journeyId);
    return {
      journeyId,
      revision: Number(revision),
      ...(travel.asOf ? { asOf: travel.asOf } : {}),
      ...(travel.validAt ? { validAt: travel.validAt } : {}),
      state: travel.validAt ? journeyValidAt(state, travel.validAt) : state,
    };
  }
}

@QueryHandler(GetJourneyHistoryQuery)
export class GetJourneyHistoryHandler implements IQueryHandler<GetJourneyHistoryQuery> {
  constructor(
    private readonly reader: JourneyReader,
    private readonly work: HeavyWork,
  ) {}

  /** The history exactly as stored, corrections and entered-in-error events included, never hidden. */
  async execute({ journeyId, asOf }: GetJourneyHistoryQuery) {
    const { events, revision } = asOf ? await this.replay(journeyId, asOf) : await this.reader.get(journeyId);
    // Corrections and voids are shown on the events they amend, never by hiding anything.
    const amendedBy = new Map<string, { correctedBy: string[]; enteredInErrorBy: string | null }>();
    for (const e of events) {
      if (e.type !== 'EventCorrected' && e.type !== 'EventEnteredInError') continue;
      const target = String(e.data.targetEventId);
      const entry = amendedBy.get(target) ?? { correctedBy: [], enteredInErrorBy: null };
      if (e.type === 'EventCorrected') entry.correctedBy.push(e.id);
      else entry.enteredInErrorBy = e.id;
      amendedBy.set(target, entry);
    }
    return {
      journeyId,
      revision: Number(revision),
      ...(asOf ? { asOf } : {}),
      events: events.map((e) => ({
        ...(amendedBy.has(e.id) ? { amendedBy: amendedBy.get(e.id) } : {}),
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

  /** The stream as recorded by `asOf`, read in a heavy-work thread within its budget (issue 15). */
  private async replay(journeyId: string, asOf: string) {
    const replay = await this.work.journeyAsOf(journeyId, asOf, 'events');
    if (replay.revision === 'no-stream' || !replay.events) throw journeyNotFound(journeyId);
    return { events: replay.events, revision: replay.revision };
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
    const { state } = await this.reader.getReadable(journeyId);
    if (state.status === 'not-opened')
      throw new Error('unreachable: a stream exists but the journey is not opened');
    return journeyTimeline(state, this.clock().toISOString());
  }
}
