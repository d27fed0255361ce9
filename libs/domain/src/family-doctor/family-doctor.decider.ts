import type { InstitutionSnapshot } from '../journey/journey.events';
import { careTimeMs } from '../shared/care-time';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { RecordedDomainEvent } from '../shared/event';
import { requireActingInstitution } from './acting-institution';
import { addDays, addMonths, careDateOf, parseCalendarDate } from './calendar-date';
import type {
  ContractPolicy,
  FamilyDoctorContractCommand,
  SignFamilyDoctorContract,
} from './family-doctor.commands';
import {
  type ContractEndReason,
  FAMILY_DOCTOR_CONTRACT_EVENT_TYPES,
  type FamilyDoctorContractEvent,
} from './family-doctor.events';
import { type KeyGroup, keyGroupInconsistency } from './key-group';

/*
 * The family-doctor contract decider: one resident's contracts, one after another (docs/family-doctors.md,
 * "Contracts"). Contract dates are calendar dates; a command's date is the calendar date of its care time.
 */

/** Renewal opens 90 days before expiry: a CarePath choice (docs/family-doctors.md, "Contracts"). */
export const DEFAULT_CONTRACT_POLICY: ContractPolicy = { renewalWindowDays: 90 };

const CENTRE_ONLY = "Only the contract's community centre may do this.";

/** Terms are whole months, at most five years: longer is a data-entry error, not a contract. */
export const MAX_CONTRACT_TERM_MONTHS = 60;

export interface ContractRecord {
  readonly contractId: string;
  readonly residentId: string;
  readonly residenceRegion: string;
  readonly startDate: string;
  readonly expiresOn: string;
  readonly termMonths: number;
  /** Who held the contract from when, in date order: the panel of a doctor on a date follows it. */
  readonly holders: readonly {
    readonly from: string;
    readonly doctorId: string;
    readonly centre: InstitutionSnapshot;
  }[];
  readonly keyGroupHistory: readonly { readonly from: string; readonly keyGroups: readonly KeyGroup[] }[];
  readonly endedOn: string | null;
  readonly endReason: ContractEndReason | null;
}

export type FamilyDoctorContractState =
  | { readonly status: 'unsigned' }
  | {
      readonly status: 'signed';
      readonly residentId: string;
      /** The latest contract, in force or not. */
      readonly current: ContractRecord;
      readonly previous: readonly ContractRecord[];
      /** Care time of the latest change: the stream only moves forward in care time. */
      readonly lastChangeAt: string;
    };

export const initialFamilyDoctorContractState = (): FamilyDoctorContractState => ({ status: 'unsigned' });

/** The first day a contract no longer covers: its end if it was ended, else its expiry. */
export const coverageEndOf = (contract: ContractRecord): string => contract.endedOn ?? contract.expiresOn;

export const contractInForceOn = (contract: ContractRecord, date: string): boolean =>
  contract.startDate <= date && date < coverageEndOf(contract);

export type ContractStanding = 'none' | 'pending' | 'active' | 'expiring' | 'lapsed' | 'ended';

/**
 * Where the resident's latest contract stands on `date`. `expiring`: in force and inside the renewal window;
 * `lapsed`: it ran out without renewal (no event marks that: time alone does).
 */
export function contractStandingOn(
  state: FamilyDoctorContractState,
  date: string,
  policy: ContractPolicy = DEFAULT_CONTRACT_POLICY,
): ContractStanding {
  if (state.status === 'unsigned') return 'none';
  const c = state.current;
  if (date < c.startDate) return 'pending';
  if (c.endedOn !== null && date >= c.endedOn) return 'ended';
  if (date >= c.expiresOn) return 'lapsed';
  return date >= addDays(c.expiresOn, -policy.renewalWindowDays) ? 'expiring' : 'active';
}

/** A contract as a slot booking needs it: the reference data the shell passes into BookSlot. */
export interface SignedContractReference {
  readonly contractId: string;
  readonly doctorId: string;
  readonly centreId: string;
  readonly keyGroups: readonly KeyGroup[];
}

/** The resident's contract in force on `date`, with the doctor and key groups of that date, or null. */
export function signedContractOn(
  state: FamilyDoctorContractState,
  date: string,
): SignedContractReference | null {
  if (state.status === 'unsigned' || !contractInForceOn(state.current, date)) return null;
  const c = state.current;
  const holder = lastFrom(c.holders, date);
  const groups = lastFrom(c.keyGroupHistory, date);
  if (!holder || !groups) return null;
  return {
    contractId: c.contractId,
    doctorId: holder.doctorId,
    centreId: holder.centre.institutionId,
    keyGroups: groups.keyGroups,
  };
}

const lastFrom = <T extends { readonly from: string }>(entries: readonly T[], date: string): T | undefined =>
  entries.filter((e) => e.from <= date).at(-1);

export function decideFamilyDoctorContract(
  command: FamilyDoctorContractCommand,
  state: FamilyDoctorContractState,
): FamilyDoctorContractEvent[] {
  const at = command.metadata.occurredAt;
  const date = careDateOf(at);
  if (state.status === 'signed' && careTimeMs(at) < careTimeMs(state.lastChangeAt)) {
    // A contract's history is short and every step depends on the one before; a late entry that would slip in
    // before a recorded change is refused rather than refolded (docs/family-doctors.md, "Contracts").
    throw new DomainError(
      'CONTRACT_CHANGE_OUT_OF_ORDER',
      'This happens before the latest recorded change of the contract; correct the record in order.',
      { occurredAt: at, lastChangeAt: state.lastChangeAt },
    );
  }
  if (command.type === 'SignFamilyDoctorContract') return sign(command, state, date);

  const contract = contractNamed(state, command.data.contractId);
  const holder = contract.holders.at(-1)!;
  if (command.type === 'TransferFamilyDoctorContract') {
    requireActingInstitution(
      command.metadata,
      [holder.centre.institutionId, command.data.toCentre.institutionId],
      CENTRE_ONLY,
    );
  } else {
    requireActingInstitution(command.metadata, [holder.centre.institutionId], CENTRE_ONLY);
  }
  if (date < contract.startDate) {
    throw new DomainError('BEFORE_CONTRACT_START', 'This happens before the contract starts.', {
      date,
      startDate: contract.startDate,
    });
  }
  if (!contractInForceOn(contract, date)) {
    throw new DomainError('CONTRACT_NOT_ACTIVE', 'The contract is no longer in force on this date.', {
      date,
      coverageEnd: coverageEndOf(contract),
    });
  }
  const { contractId, residentId } = contract;
  switch (command.type) {
    case 'RenewFamilyDoctorContract': {
      const { termMonths, policy } = command.data;
      requireTerm(termMonths);
      if (
        !Number.isInteger(policy.renewalWindowDays) ||
        policy.renewalWindowDays < 0 ||
        policy.renewalWindowDays > 366
      ) {
        throw new DomainError('CONTRACT_POLICY_INVALID', 'The renewal window must be 0 to 366 whole days.', {
          renewalWindowDays: policy.renewalWindowDays,
        });
      }
      const opensOn = addDays(contract.expiresOn, -policy.renewalWindowDays);
      if (date < opensOn) {
        throw new DomainError('CONTRACT_RENEWAL_TOO_EARLY', 'Renewal opens closer to the expiry date.', {
          date,
          renewalOpensOn: opensOn,
          expiresOn: contract.expiresOn,
        });
      }
      return [
        {
          type: 'FamilyDoctorContractRenewed',
          data: {
            contractId,
            residentId,
            renewedFrom: contract.expiresOn,
            termMonths,
            expiresOn: addMonths(contract.expiresOn, termMonths),
          },
        },
      ];
    }
    case 'TransferFamilyDoctorContract': {
      const { toDoctorId, toCentre } = command.data;
      if (toDoctorId === holder.doctorId) {
        throw new DomainError(
          'CONTRACT_TRANSFER_SAME_DOCTOR',
          'The resident is already signed with this doctor.',
          {
            doctorId: toDoctorId,
          },
        );
      }
      requireCommunity(toCentre);
      return [
        {
          type: 'FamilyDoctorContractTransferred',
          data: {
            contractId,
            residentId,
            fromDoctorId: holder.doctorId,
            fromCentreId: holder.centre.institutionId,
            toDoctorId,
            toCentre,
            effectiveOn: date,
          },
        },
      ];
    }
    case 'ChangeResidentKeyGroups': {
      const keyGroups = requireKeyGroups(command.data.keyGroups);
      const previousKeyGroups = contract.keyGroupHistory.at(-1)!.keyGroups;
      if (sameGroups(keyGroups, previousKeyGroups)) {
        throw new DomainError('KEY_GROUPS_UNCHANGED', 'The resident already has exactly these key groups.');
      }
      return [
        {
          type: 'ResidentKeyGroupsChanged',
          data: { contractId, residentId, keyGroups, previousKeyGroups, effectiveOn: date },
        },
      ];
    }
    case 'EndFamilyDoctorContract':
      return [
        {
          type: 'FamilyDoctorContractEnded',
          data: {
            contractId,
            residentId,
            doctorId: holder.doctorId,
            centreId: holder.centre.institutionId,
            reason: command.data.reason,
            endedOn: date,
          },
        },
      ];
  }
}

function sign(
  command: SignFamilyDoctorContract,
  state: FamilyDoctorContractState,
  date: string,
): FamilyDoctorContractEvent[] {
  const d = command.data;
  if (parseCalendarDate(d.startDate) === null) {
    throw new DomainError('CONTRACT_DATE_INVALID', 'The start date is not a calendar date (YYYY-MM-DD).', {
      startDate: String(d.startDate),
    });
  }
  requireTerm(d.termMonths);
  const keyGroups = requireKeyGroups(d.keyGroups);
  requireCommunity(d.centre);
  requireActingInstitution(command.metadata, [d.centre.institutionId], CENTRE_ONLY);
  if (d.startDate < date) {
    throw new DomainError('CONTRACT_START_BEFORE_SIGNING', 'A contract cannot start before it is signed.', {
      startDate: d.startDate,
      signedOn: date,
    });
  }
  if (state.status === 'signed') {
    if (state.residentId !== d.residentId) {
      throw new DomainError('CONTRACT_RESIDENT_MISMATCH', "This stream holds another resident's contracts.");
    }
    if ([state.current, ...state.previous].some((c) => c.contractId === d.contractId)) {
      throw new DomainError('DUPLICATE_ID', 'This contract id is already used for this resident.', {
        id: d.contractId,
      });
    }
    // One contract at a time: a new one starts no earlier than the day the current one ends or expires.
    const coverageEnd = coverageEndOf(state.current);
    if (d.startDate < coverageEnd) {
      throw new DomainError(
        'CONTRACT_OVERLAP',
        'The resident already has a contract covering this start date.',
        {
          contractId: state.current.contractId,
          coverageEnd,
        },
      );
    }
  }
  return [
    {
      type: 'FamilyDoctorContractSigned',
      data: {
        contractId: d.contractId,
        residentId: d.residentId,
        residenceRegion: d.residenceRegion,
        doctorId: d.doctorId,
        centre: d.centre,
        startDate: d.startDate,
        termMonths: d.termMonths,
        expiresOn: addMonths(d.startDate, d.termMonths),
        keyGroups,
      },
    },
  ];
}

function contractNamed(state: FamilyDoctorContractState, contractId: string): ContractRecord {
  if (state.status === 'signed') {
    if (state.current.contractId === contractId) return state.current;
    if (state.previous.some((c) => c.contractId === contractId)) {
      throw new DomainError('CONTRACT_NOT_ACTIVE', 'This contract has been followed by another one.', {
        contractId,
      });
    }
  }
  throw new DomainError('CONTRACT_NOT_FOUND', 'No such contract for this resident.', { contractId });
}

function requireTerm(termMonths: number): void {
  if (!Number.isInteger(termMonths) || termMonths < 1 || termMonths > MAX_CONTRACT_TERM_MONTHS) {
    throw new DomainError(
      'CONTRACT_TERM_INVALID',
      `The term must be 1 to ${MAX_CONTRACT_TERM_MONTHS} whole months.`,
      {
        termMonths,
      },
    );
  }
}

function requireCommunity(centre: InstitutionSnapshot): void {
  if (centre.tier !== 'community') {
    throw new DomainError('CONTRACT_CENTRE_NOT_COMMUNITY', 'Family doctors work at community centres.', {
      institutionId: centre.institutionId,
      tier: centre.tier,
    });
  }
}

function requireKeyGroups(groups: readonly string[]): readonly KeyGroup[] {
  const problem = Array.isArray(groups) ? keyGroupInconsistency(groups) : 'key groups are not a list';
  if (problem !== null) throw new DomainError('KEY_GROUPS_INVALID', `Key groups: ${problem}.`);
  return [...(groups as readonly KeyGroup[])].sort();
}

const sameGroups = (a: readonly KeyGroup[], b: readonly KeyGroup[]): boolean =>
  a.length === b.length && a.every((g) => b.includes(g));

export function evolveFamilyDoctorContract(
  state: FamilyDoctorContractState,
  event: RecordedDomainEvent<FamilyDoctorContractEvent>,
): FamilyDoctorContractState {
  const lastChangeAt = event.metadata.occurredAt;
  if (event.type === 'FamilyDoctorContractSigned') {
    const d = event.data;
    const contract: ContractRecord = {
      contractId: d.contractId,
      residentId: d.residentId,
      residenceRegion: d.residenceRegion,
      startDate: d.startDate,
      expiresOn: d.expiresOn,
      termMonths: d.termMonths,
      holders: [{ from: d.startDate, doctorId: d.doctorId, centre: d.centre }],
      keyGroupHistory: [{ from: d.startDate, keyGroups: d.keyGroups }],
      endedOn: null,
      endReason: null,
    };
    return state.status === 'signed'
      ? { ...state, current: contract, previous: [...state.previous, state.current], lastChangeAt }
      : { status: 'signed', residentId: d.residentId, current: contract, previous: [], lastChangeAt };
  }
  if (state.status !== 'signed' || state.current.contractId !== event.data.contractId) return state;
  const current = applyChange(state.current, event);
  return { ...state, current, lastChangeAt };
}

function applyChange(contract: ContractRecord, event: FamilyDoctorContractEvent): ContractRecord {
  switch (event.type) {
    case 'FamilyDoctorContractSigned':
      return contract;
    case 'FamilyDoctorContractRenewed':
      return { ...contract, expiresOn: event.data.expiresOn, termMonths: event.data.termMonths };
    case 'FamilyDoctorContractTransferred':
      return {
        ...contract,
        holders: [
          ...contract.holders,
          { from: event.data.effectiveOn, doctorId: event.data.toDoctorId, centre: event.data.toCentre },
        ],
      };
    case 'ResidentKeyGroupsChanged':
      return {
        ...contract,
        keyGroupHistory: [
          ...contract.keyGroupHistory,
          { from: event.data.effectiveOn, keyGroups: event.data.keyGroups },
        ],
      };
    case 'FamilyDoctorContractEnded':
      return { ...contract, endedOn: event.data.endedOn, endReason: event.data.reason };
  }
}

/** A resident's contract stream, as the write path and every reader fold it. */
export const familyDoctorContractDecider: Decider<
  FamilyDoctorContractCommand,
  FamilyDoctorContractEvent,
  FamilyDoctorContractState
> = {
  initialState: initialFamilyDoctorContractState,
  decide: decideFamilyDoctorContract,
  evolve: evolveFamilyDoctorContract,
  eventTypes: FAMILY_DOCTOR_CONTRACT_EVENT_TYPES,
};
