import { Injectable } from '@nestjs/common';
import {
  evolveInstitution,
  initialInstitutionState,
  INSTITUTION_EVENT_TYPES,
  type InstitutionEvent,
  type InstitutionSnapshot,
  type InstitutionState,
  institutionStreamId,
  type WardSnapshot,
} from '@carepath/domain';
import { ResourceNotFoundException } from '../common/http-errors';
import { StreamWriter } from '../store/stream-writer';
import { LiveReferenceModel } from './live-reference.model';

export type RegisteredInstitution = Extract<InstitutionState, { status: 'registered' }>;

export const institutionDecider = {
  initialState: initialInstitutionState,
  evolve: evolveInstitution,
  eventTypes: INSTITUTION_EVENT_TYPES,
};

/**
 * Resolves institutions and wards for the write path from their own streams, so a command never acts on
 * reference data older than its own request.
 */
@Injectable()
export class InstitutionDirectory {
  constructor(
    private readonly writer: StreamWriter,
    private readonly live: LiveReferenceModel,
  ) {}

  async find(institutionId: string): Promise<{ state: InstitutionState; revision: bigint | 'no-stream' }> {
    const { state, revision } = await this.writer.load<InstitutionEvent, InstitutionState>(
      institutionStreamId(institutionId),
      institutionDecider,
    );
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
    return state;
  }

  async snapshot(institutionId: string, field?: string): Promise<InstitutionSnapshot> {
    return toSnapshot(await this.get(institutionId, field));
  }

  /** A ward with its live occupancy, which decides the extra-bed flag (加床). */
  async ward(institution: RegisteredInstitution, wardId: string): Promise<WardSnapshot> {
    const ward = institution.wards[wardId];
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
