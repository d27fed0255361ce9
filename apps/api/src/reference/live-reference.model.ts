import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  evolveInstitution,
  initialInstitutionState,
  INSTITUTION_EVENT_TYPES,
  type InstitutionEvent,
  type InstitutionState,
} from '@carepath/domain';
import type { EventStore, StoredEvent, Subscription } from '@carepath/event-store';
import { occupiedNow, type Placement, placeEvent, refoldPlacements } from '@carepath/projections';
import { toDomainEvent } from '@carepath/write-path';
import { EVENT_STORE } from '../store/tokens';
import { JourneyReader } from '../journeys/journey.reader';

/** The streams this model follows; it waits for their head, not the whole log's (access records are elsewhere). */
const FOLLOWED = ['institution-', 'journey-'];

/**
 * In-process reference data and live ward census, built only from stored events by a catch-up subscription
 * (so it survives restarts by rebuilding). The write path uses it for the institution list and for the
 * extra-bed (加床) flag on admissions. It is rebuilt from zero at start-up: fine for reference data and
 * current inpatients; the persisted ward-occupancy projection is the place for history and analytics.
 *
 * Who is in a bed is the stay fold's (placeEvent, currentStays in @carepath/projections), the same the worklist
 * and the ward-occupancy census use: events are taken in one step at a time in log order, and a journey whose log
 * order is not its care order here (a late entry, a correction, a void) is placed again from its folded state.
 */
@Injectable()
export class LiveReferenceModel implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('reference-model');
  private readonly institutions = new Map<string, Extract<InstitutionState, { status: 'registered' }>>();
  /** Each stay not yet ended, by admission id: where its patient is. */
  private readonly census = new Map<string, Placement>();
  private position = 0n;
  private waiters: { position: bigint; resolve: () => void }[] = [];
  private subscription: Subscription | null = null;
  private failure: unknown = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly journeys: JourneyReader,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.store.subscribeToAll(
      { after: 0n, filter: { streamPrefixes: FOLLOWED }, pageSize: 1000 },
      {
        onEvents: (events, lastPosition) => this.apply(events, lastPosition),
        onCaughtUp: (position) => this.advance(position),
        onError: (error) => {
          this.failure = error;
          this.logger.error({ msg: 'reference model stopped', error: String(error) });
        },
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  get status(): { position: string; institutions: number; inpatients: number; healthy: boolean } {
    return {
      position: this.position.toString(),
      institutions: this.institutions.size,
      inpatients: this.census.size,
      healthy: this.failure === null,
    };
  }

  /** Resolves once every event up to `position` has been applied: read-your-writes without sleeping. */
  async reach(position: bigint): Promise<void> {
    if (this.failure) throw new Error('reference model is stopped');
    if (this.position >= position) return;
    await new Promise<void>((resolve) => this.waiters.push({ position, resolve }));
  }

  async catchUpWithLog(): Promise<void> {
    await this.reach(await this.store.headPosition({ streamPrefixes: FOLLOWED }));
  }

  listInstitutions(): Extract<InstitutionState, { status: 'registered' }>[] {
    return [...this.institutions.values()].sort((a, b) => a.institutionId.localeCompare(b.institutionId));
  }

  /** Patients in the ward's beds now, by the census's rule for where they are (`physical`: in a bed there). */
  occupiedBeds(institutionId: string, wardId: string): number {
    const inWard: Placement[] = [];
    for (const placement of this.census.values()) {
      if (placement.wardId === wardId && placement.institutionId === institutionId) inWard.push(placement);
    }
    return occupiedNow(inWard, 'physical');
  }

  private async apply(events: readonly StoredEvent[], lastPosition: bigint): Promise<void> {
    for (const stored of events) {
      if (stored.streamId.startsWith('institution-')) this.applyInstitution(stored);
      else await this.applyJourney(stored);
    }
    this.advance(lastPosition);
  }

  private applyInstitution(stored: StoredEvent): void {
    const event = toDomainEvent<InstitutionEvent>(stored, INSTITUTION_EVENT_TYPES);
    const id = event.data.institutionId;
    const next = evolveInstitution(this.institutions.get(id) ?? initialInstitutionState(), event);
    if (next.status === 'registered') this.institutions.set(id, next);
  }

  private async applyJourney(stored: StoredEvent): Promise<void> {
    const journeyId = stored.streamId.slice('journey-'.length);
    const at = Date.parse(String(stored.metadata.occurredAt));
    if (placeEvent(this.census, journeyId, stored, at) === 'placed') return;
    // Rare (a late entry, a correction, a void): place this journey's stays from its folded state, in care order.
    const { state } = await this.journeys.load(journeyId, { upToPosition: stored.position });
    refoldPlacements(this.census, journeyId, state.status === 'not-opened' ? null : state);
  }

  private advance(position: bigint): void {
    if (position > this.position) this.position = position;
    const ready = this.waiters.filter((w) => w.position <= this.position);
    this.waiters = this.waiters.filter((w) => w.position > this.position);
    for (const w of ready) w.resolve();
  }
}
