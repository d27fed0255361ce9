import type { CommandMetadata } from '../shared/event';
import type { Tier } from '../shared/tier';

export type RegisterInstitution = Readonly<{
  type: 'RegisterInstitution';
  data: { institutionId: string; name: string; tier: Tier; allianceId: string | null; regionCode: string };
  metadata: CommandMetadata;
}>;

export type OpenWard = Readonly<{
  type: 'OpenWard';
  data: { institutionId: string; wardId: string; specialty: string; openBeds: number };
  metadata: CommandMetadata;
}>;

export type ChangeWardBedCount = Readonly<{
  type: 'ChangeWardBedCount';
  data: { institutionId: string; wardId: string; openBeds: number };
  metadata: CommandMetadata;
}>;

export type MarkInstitutionEventEnteredInError = Readonly<{
  type: 'MarkInstitutionEventEnteredInError';
  data: {
    institutionId: string;
    targetEventId: string;
    reason: 'wrong-entry' | 'unreadable-care-time' | 'duplicate';
  };
  metadata: CommandMetadata;
}>;

export type InstitutionCommand =
  RegisterInstitution | OpenWard | ChangeWardBedCount | MarkInstitutionEventEnteredInError;
