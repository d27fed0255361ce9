import type { InstitutionSnapshot } from '../journey/journey.events';
import type { DomainEvent } from '../shared/event';
import type { KeyGroup } from './key-group';

/*
 * Family-doctor contract events (家庭医生签约): one stream per resident, `family-doctor-contract-<residentId>`,
 * holding every contract that resident has signed, one after another (docs/family-doctors.md, "Stream
 * boundaries"). Payloads hold the pseudonymous resident id and codes only: no names, no birth dates. Dates are
 * calendar dates (`YYYY-MM-DD`), copied into the data so that panels and coverage read them without metadata; the
 * centre is a snapshot as it was at the time, like the journey's institutions.
 */

export const CONTRACT_END_REASONS = ['resident-withdrew', 'moved-away', 'deceased', 'other'] as const;
export type ContractEndReason = (typeof CONTRACT_END_REASONS)[number];

export type FamilyDoctorContractSigned = DomainEvent<
  'FamilyDoctorContractSigned',
  {
    contractId: string;
    residentId: string;
    /** The resident's district or county: the denominator of coverage is that region's resident population. */
    residenceRegion: string;
    doctorId: string;
    centre: InstitutionSnapshot;
    startDate: string;
    termMonths: number;
    /** The first day the contract no longer covers: startDate plus the term. */
    expiresOn: string;
    keyGroups: readonly KeyGroup[];
  }
>;

export type FamilyDoctorContractRenewed = DomainEvent<
  'FamilyDoctorContractRenewed',
  { contractId: string; residentId: string; renewedFrom: string; termMonths: number; expiresOn: string }
>;

export type FamilyDoctorContractTransferred = DomainEvent<
  'FamilyDoctorContractTransferred',
  {
    contractId: string;
    residentId: string;
    fromDoctorId: string;
    fromCentreId: string;
    toDoctorId: string;
    toCentre: InstitutionSnapshot;
    /** From this date the new doctor holds the contract; the term does not change. */
    effectiveOn: string;
  }
>;

export type ResidentKeyGroupsChanged = DomainEvent<
  'ResidentKeyGroupsChanged',
  {
    contractId: string;
    residentId: string;
    keyGroups: readonly KeyGroup[];
    previousKeyGroups: readonly KeyGroup[];
    effectiveOn: string;
  }
>;

export type FamilyDoctorContractEnded = DomainEvent<
  'FamilyDoctorContractEnded',
  {
    contractId: string;
    residentId: string;
    doctorId: string;
    centreId: string;
    reason: ContractEndReason;
    /** The first day the contract no longer covers. */
    endedOn: string;
  }
>;

export type FamilyDoctorContractEvent =
  | FamilyDoctorContractSigned
  | FamilyDoctorContractRenewed
  | FamilyDoctorContractTransferred
  | ResidentKeyGroupsChanged
  | FamilyDoctorContractEnded;
export type FamilyDoctorContractEventType = FamilyDoctorContractEvent['type'];

export const FAMILY_DOCTOR_CONTRACT_EVENT_TYPES: readonly FamilyDoctorContractEventType[] = [
  'FamilyDoctorContractSigned',
  'FamilyDoctorContractRenewed',
  'FamilyDoctorContractTransferred',
  'ResidentKeyGroupsChanged',
  'FamilyDoctorContractEnded',
];

export const familyDoctorContractStreamId = (residentId: string): string =>
  `family-doctor-contract-${residentId}`;
