import { Injectable } from '@nestjs/common';
import {
  DomainError,
  entryOf,
  institutionDecider,
  type InstitutionEvent,
  type InstitutionSnapshot,
  type InstitutionState,
  institutionStreamId,
  unreadableInstitutionFacts,
  type WardSnapshot,
} from '@carepath/domain';
import { ResourceNotFoundException } from '../common/http-errors';
import { WritePath } from '@carepath/write-path';
import { LiveReferenceModel } from './live-reference.model';

export type RegisteredInstitution = Extract<InstitutionState, { status: 'registered' }>;

/**
 * Resolves institutions and wards for the write path from their own streams, so a command never acts on
 * reference data older than its own request.
 *
 * Every lookup reads the stream at the time of the request, but only past the revision folded last time: each
 * institution's state is kept with the revision it was folded up to, and the events after it (usually none) are
 * read and folded on. The stream is append-only, so the result equals a fold of the whole stream read now, in any
 * process and on any store, whoever else appends to it.
 */
@Injectable()
export class InstitutionDirectory {
  private readonly folded = new Map<
    string,
    { readonly state: InstitutionState; readonly revision: bigint }
  >();

  constructor(
    private readonly writePath: WritePath,
    private readonly live: LiveReferenceModel,
  ) {}

  async find(institutionId: string): Promise<{ state: InstitutionState; revision: bigint | 'no-stream' }> {
    const known = this.folded.get(institutionId);
    const { state, revision } = await this.writePath.load<InstitutionEvent, InstitutionState>(
      institutionStreamId(institutionId),
      institutionDecider,
      known,
    );
    // Lookups may finish out of order (an asynchronous store): keep the furthest fold.
    if (revision !== 'no-stream' && revision > (this.folded.get(institutionId)?.revision ?? -1n)) {
      this.folded.set(institutionId, { state, revision });
    }
    return { state, revision };
  }

  async get(institutionId: string, field = 'institutionId'): Promise<RegisteredInstitution> {
    const { state } = await this.find(institutionId);
    if (state.status !== 'registered') {
      throw new ResourceNotFoundException(
        'INSTITUTION_NOT_FOUND',
        `Unknown institution in ${field}: ${institutionId}`,
      );
    }
    // Only this institution is held up until its bad ward fact is voided; every other one works on.
    const unreadable = unreadableInstitutionFacts(state)[0];
    if (unreadable) {
      throw new DomainError(
        'INSTITUTION_NEEDS_REPAIR',
        `Institution ${institutionId} has a ward event whose care time cannot be read: enter it in error first.`,
        { institutionId, eventId: unreadable.eventId, eventType: unreadable.type },
      );
    }
    return state;
  }

  async snapshot(institutionId: string, field?: string): Promise<InstitutionSnapshot> {
    return toSnapshot(await this.get(institutionId, field));
  }

  /** A ward with its live occupancy, which decides the extra-bed flag (加床). */
  async ward(institution: RegisteredInstitution, wardId: string): Promise<WardSnapshot> {
    const ward = entryOf(institution.wards, wardId);
    if (!ward) {
      throw new ResourceNotFoundException(
        'WARD_NOT_FOUND',
        `Unknown ward ${wardId} at institution ${institution.institutionId}`,
      );
    }
    await this.live.catchUpWithLog();
    return {
      institutionId: institution.institutionId,
      wardId,
      openBeds: ward.openBeds,
      occupiedBeds: this.live.occupiedBeds(institution.institutionId, wardId),
    };
  }
}

export function toSnapshot(institution: RegisteredInstitution): InstitutionSnapshot {
  return {
    institutionId: institution.institutionId,
    tier: institution.tier,
    allianceId: institution.allianceId,
    regionCode: institution.regionCode,
  };
}
