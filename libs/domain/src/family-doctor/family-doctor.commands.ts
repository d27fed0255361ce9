import type { InstitutionSnapshot } from '../journey/journey.events';
import type { CommandMetadata } from '../shared/event';
import type { ContractEndReason } from './family-doctor.events';

/*
 * Family-doctor contract commands. The contract id, the centre's snapshot and the policy in force are resolved by
 * the application shell and passed in, so the decider stays pure. The acting institution (metadata.institutionId)
 * is the family doctor's centre; care time is metadata.occurredAt.
 */

type Command<Type extends string, Data extends object> = Readonly<{
  type: Type;
  data: Readonly<Data>;
  metadata: CommandMetadata;
}>;

/** When a contract may be renewed (docs/family-doctors.md, "Contracts"). */
export interface ContractPolicy {
  /** Renewal opens this many days before the contract expires, and closes when it expires. */
  readonly renewalWindowDays: number;
}

export type SignFamilyDoctorContract = Command<
  'SignFamilyDoctorContract',
  {
    contractId: string;
    residentId: string;
    residenceRegion: string;
    doctorId: string;
    centre: InstitutionSnapshot;
    startDate: string;
    /** Usually 12: contracts are signed for a year. */
    termMonths: number;
    /** Codes of KEY_GROUPS; validated by the decider. */
    keyGroups: readonly string[];
  }
>;

export type RenewFamilyDoctorContract = Command<
  'RenewFamilyDoctorContract',
  { contractId: string; termMonths: number; policy: ContractPolicy }
>;

export type TransferFamilyDoctorContract = Command<
  'TransferFamilyDoctorContract',
  { contractId: string; toDoctorId: string; toCentre: InstitutionSnapshot }
>;

export type ChangeResidentKeyGroups = Command<
  'ChangeResidentKeyGroups',
  { contractId: string; keyGroups: readonly string[] }
>;

export type EndFamilyDoctorContract = Command<
  'EndFamilyDoctorContract',
  { contractId: string; reason: ContractEndReason }
>;

export type FamilyDoctorContractCommand =
  | SignFamilyDoctorContract
  | RenewFamilyDoctorContract
  | TransferFamilyDoctorContract
  | ChangeResidentKeyGroups
  | EndFamilyDoctorContract;
