import { parseCareTime } from '../shared/care-time';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { RecordedDomainEvent } from '../shared/event';
import { emptyIdRecord, entryOf, type IdRecord, withEntry } from '../shared/id-record';
import type { Tier } from '../shared/tier';
import type { InstitutionCommand } from './institution.commands';
import {
  INSTITUTION_EVENT_TYPES,
  type InstitutionEvent,
  type WardBedCountChanged,
  type WardOpened,
} from './institution.events';

export interface WardState {
  readonly wardId: string;
  readonly specialty: string;
  readonly openBeds: number;
  /** Bed counts over time, in care time: open bed-days are computed from these (docs/analytics.md, "Open bed-days"). */
  readonly bedCountHistory: readonly { readonly from: string; readonly openBeds: number }[];
}

/**
 * A ward fact as it now stands. `unreadable`: an older version stored it with a care time that does not parse; it
 * shapes no ward and the institution needs repair until it is voided (docs/robustness.md).
 */
export interface InstitutionFact {
  readonly eventId: string;
  readonly type: 'WardOpened' | 'WardBedCountChanged';
  readonly occurredAt: string;
  readonly data: WardOpened['data'] | WardBedCountChanged['data'];
  readonly status: 'as-recorded' | 'entered-in-error' | 'unreadable';
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
      /** Ward facts in log order, voided ones kept: the wards are their fold. */
      readonly facts: readonly InstitutionFact[];
    };

export const initialInstitutionState = (): InstitutionState => ({ status: 'unregistered' });

/** Ward facts whose care time cannot be read: until they are voided, the institution needs repair. */
export function unreadableInstitutionFacts(state: InstitutionState): readonly InstitutionFact[] {
  return state.status === 'registered' ? state.facts.filter((f) => f.status === 'unreadable') : [];
}

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
  if (command.type === 'MarkInstitutionEventEnteredInError') {
    const { targetEventId, reason } = command.data;
    const target = state.facts.find((f) => f.eventId === targetEventId);
    if (!target) {
      throw new DomainError('EVENT_NOT_FOUND', 'No such ward event at this institution.', {
        eventId: targetEventId,
      });
    }
    if (target.status === 'entered-in-error') {
      throw new DomainError('EVENT_ALREADY_ENTERED_IN_ERROR', 'This event is already entered in error.', {
        eventId: targetEventId,
      });
    }
    return [
      {
        type: 'InstitutionEventEnteredInError',
        data: {
          institutionId: state.institutionId,
          targetEventId,
          targetType: target.type,
          wardId: target.data.wardId,
          reason,
        },
      },
    ];
  }
  const unreadable = unreadableInstitutionFacts(state)[0];
  if (unreadable) {
    throw new DomainError(
      'INSTITUTION_NEEDS_REPAIR',
      'A ward event of this institution has a care time that cannot be read: enter it in error first.',
      { eventId: unreadable.eventId, eventType: unreadable.type },
    );
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
      // Who and where need no care time, so even an unreadable one registers (and the institution can be repaired).
      return { status: 'registered', ...event.data, wards: emptyIdRecord(), facts: [] };
    case 'WardOpened':
    case 'WardBedCountChanged': {
      if (state.status !== 'registered') return state;
      const fact: InstitutionFact = {
        eventId: event.id,
        type: event.type,
        occurredAt: event.metadata.occurredAt,
        data: event.data,
        status: parseCareTime(event.metadata.occurredAt) === null ? 'unreadable' : 'as-recorded',
      };
      const facts = [...state.facts, fact];
      if (fact.status === 'unreadable') return { ...state, facts };
      return { ...state, facts, wards: applyWardFact(state.wards, fact) };
    }
    case 'InstitutionEventEnteredInError': {
      if (state.status !== 'registered') return state;
      const facts = state.facts.map((f): InstitutionFact =>
        f.eventId === event.data.targetEventId ? { ...f, status: 'entered-in-error' } : f,
      );
      return { ...state, facts, wards: foldWards(facts) };
    }
  }
}

function foldWards(facts: readonly InstitutionFact[]): IdRecord<WardState> {
  return facts.reduce(
    (wards, fact) => (fact.status === 'as-recorded' ? applyWardFact(wards, fact) : wards),
    emptyIdRecord<WardState>(),
  );
}

function applyWardFact(wards: IdRecord<WardState>, fact: InstitutionFact): IdRecord<WardState> {
  const { wardId, openBeds } = fact.data;
  const ward = entryOf(wards, wardId);
  if (fact.type === 'WardOpened') {
    if (ward) return wards;
    const { specialty } = fact.data as WardOpened['data'];
    return withEntry(wards, wardId, {
      wardId,
      specialty,
      openBeds,
      bedCountHistory: [{ from: fact.occurredAt, openBeds }],
    });
  }
  if (!ward) return wards;
  return withEntry(wards, wardId, {
    ...ward,
    openBeds,
    bedCountHistory: [...ward.bedCountHistory, { from: fact.occurredAt, openBeds }],
  });
}

export const institutionStreamId = (institutionId: string): string => `institution-${institutionId}`;

/** The institution stream's behaviour, as the write path and the institution directory fold it. */
export const institutionDecider: Decider<InstitutionCommand, InstitutionEvent, InstitutionState> = {
  initialState: initialInstitutionState,
  decide: decideInstitution,
  evolve: evolveInstitution,
  eventTypes: INSTITUTION_EVENT_TYPES,
};
