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
  type JourneyEvent,
} from '@carepath/domain';
import type { EventStore, StoredEvent, Subscription } from '@carepath/event-store';
import { toDomainEvent } from '@carepath/write-path';
import { EVENT_STORE } from '../store/tokens';
import { JourneyReader } from '../journeys/journey.reader';

/** The streams this model follows; it waits for their head, not the whole log's (access records are elsewhere). */
const FOLLOWED = ['institution-', 'journey-'];

interface CensusEntry {
  readonly journeyId: string;
  readonly institutionId: string;
  readonly wardId: string;
  /** False while on leave: the patient is elsewhere (docs/domain.md, "Sequential ward (held beds)"). */
  readonly present: boolean;
}

/**
 * In-process reference data and live ward census, built only from stored events by a catch-up subscription
 * (so it survives restarts by rebuilding). The write path uses it for the institution list and for the
 * extra-bed (加床) flag on admissions. It is rebuilt from zero at start-up: fine for reference data and
 * current inpatients; the persisted ward-occupancy projection is the place for history and analytics.
 */
@Injectable()
export class LiveReferenceModel implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('reference-model');
  private readonly institutions = new Map<string, Extract<InstitutionState, { status: 'registered' }>>();
  private readonly census = new Map<string, CensusEntry>();
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

  /** Patients physically in the ward now. */
  occupiedBeds(institutionId: string, wardId: string): number {
    let n = 0;
    for (const entry of this.census.values()) {
      if (entry.present && entry.wardId === wardId && entry.institutionId === institutionId) n++;
    }
    return n;
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
    const event = stored as unknown as JourneyEvent;
    switch (event.type) {
      case 'PatientAdmitted':
        this.census.set(event.data.admissionId, {
          journeyId,
          institutionId: event.data.institution.institutionId,
          wardId: event.data.wardId,
          present: true,
        });
        return;
      case 'PatientMovedWard':
        return this.update(event.data.admissionId, { wardId: event.data.toWardId });
      case 'LeaveStarted':
        return this.update(event.data.admissionId, { present: false });
      case 'LeaveEnded':
        return this.update(event.data.admissionId, { present: true });
      case 'PatientDischarged':
        this.census.delete(event.data.admissionId);
        return;
      case 'EventEnteredInError':
      case 'EventCorrected':
        // Rare: recompute this journey's stays from its folded state, which honours corrections.
        return this.recomputeJourney(journeyId, stored.position);
      default:
        return;
    }
  }

  private update(admissionId: string, patch: Partial<CensusEntry>): void {
    const entry = this.census.get(admissionId);
    if (entry) this.census.set(admissionId, { ...entry, ...patch });
  }

  private async recomputeJourney(journeyId: string, upTo: bigint): Promise<void> {
    for (const [id, entry] of this.census) if (entry.journeyId === journeyId) this.census.delete(id);
    const { state } = await this.journeys.load(journeyId, { upToPosition: upTo });
    if (state.status === 'not-opened') return;
    for (const admission of Object.values(state.admissions)) {
      if (admission.status === 'discharged') continue;
      this.census.set(admission.admissionId, {
        journeyId,
        institutionId: admission.institutionId,
        wardId: admission.wardId,
        present: admission.status === 'in-bed',
      });
    }
  }

  private advance(position: bigint): void {
    if (position > this.position) this.position = position;
    const ready = this.waiters.filter((w) => w.position <= this.position);
    this.waiters = this.waiters.filter((w) => w.position > this.position);
    for (const w of ready) w.resolve();
  }
}
