import { DomainError } from '../shared/domain-error';
import type { RecordedDomainEvent } from '../shared/event';
import { emptyIdRecord, entryOf, type IdRecord, withEntry } from '../shared/id-record';
import type { Tier } from '../shared/tier';
import type { InstitutionCommand } from './institution.commands';
import type { InstitutionEvent } from './institution.events';

export interface WardState {
  readonly wardId: string;
  readonly specialty: string;
  readonly openBeds: number;
  /** Bed counts over time, in care time: open bed-days are computed from these (domain.md). */
  readonly bedCountHistory: readonly { readonly from: string; readonly openBeds: number }[];
}

export type InstitutionState =
  | { readonly status: 'unregistered' }
  | {
      readonly status: 'registered';
      readonly institutionId: string;
      readonly name: string;
      readonly tier: Tier;
      readonly allianceId: string | null;
      readonly regionCode: string;
      readonly wards: IdRecord<WardState>;
    };

export const initialInstitutionState = (): InstitutionState => ({ status: 'unregistered' });

export function decideInstitution(command: InstitutionCommand, state: InstitutionState): InstitutionEvent[] {
  if (command.type === 'RegisterInstitution') {
    if (state.status === 'registered') {
      throw new DomainError('INSTITUTION_ALREADY_REGISTERED', 'This institution is already registered.', {
        institutionId: command.data.institutionId,
      });
    }
    return [{ type: 'InstitutionRegistered', data: { ...command.data } }];
  }
  if (state.status !== 'registered') {
    throw new DomainError('INSTITUTION_NOT_REGISTERED', 'Register the institution first.', {
      institutionId: command.data.institutionId,
    });
  }
  switch (command.type) {
    case 'OpenWard': {
      if (entryOf(state.wards, command.data.wardId)) {
        throw new DomainError('WARD_ALREADY_OPENED', 'A ward with this id is already open here.', {
          wardId: command.data.wardId,
        });
      }
      return [{ type: 'WardOpened', data: { ...command.data } }];
    }
    case 'ChangeWardBedCount': {
      const ward = entryOf(state.wards, command.data.wardId);
      if (!ward) {
        throw new DomainError('WARD_NOT_FOUND', 'No such ward at this institution.', {
          wardId: command.data.wardId,
        });
      }
      if (ward.openBeds === command.data.openBeds) {
        throw new DomainError('BED_COUNT_UNCHANGED', 'The ward already has this many open beds.', {
          openBeds: ward.openBeds,
        });
      }
      return [
        {
          type: 'WardBedCountChanged',
          data: { ...command.data, previousOpenBeds: ward.openBeds },
        },
      ];
    }
  }
}

export function evolveInstitution(
  state: InstitutionState,
  event: RecordedDomainEvent<InstitutionEvent>,
): InstitutionState {
  switch (event.type) {
    case 'InstitutionRegistered':
      return { status: 'registered', ...event.data, wards: emptyIdRecord() };
    case 'WardOpened': {
      if (state.status !== 'registered') return state;
      const { wardId, specialty, openBeds } = event.data;
      const ward: WardState = {
        wardId,
        specialty,
        openBeds,
        bedCountHistory: [{ from: event.metadata.occurredAt, openBeds }],
      };
      return { ...state, wards: withEntry(state.wards, wardId, ward) };
    }
    case 'WardBedCountChanged': {
      if (state.status !== 'registered') return state;
      const ward = entryOf(state.wards, event.data.wardId);
      if (!ward) return state;
      const updated: WardState = {
        ...ward,
        openBeds: event.data.openBeds,
        bedCountHistory: [
          ...ward.bedCountHistory,
          { from: event.metadata.occurredAt, openBeds: event.data.openBeds },
        ],
      };
      return { ...state, wards: withEntry(state.wards, ward.wardId, updated) };
    }
  }
}

export const institutionStreamId = (institutionId: string): string => `institution-${institutionId}`;
