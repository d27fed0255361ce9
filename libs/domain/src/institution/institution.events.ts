import type { DomainEvent } from '../shared/event';
import type { Tier } from '../shared/tier';

/** Reference data is event-sourced too: open bed-days follow bed counts over time (docs/analytics.md, "Open bed-days"). */
export type InstitutionRegistered = DomainEvent<
  'InstitutionRegistered',
  {
    institutionId: string;
    name: string;
    tier: Tier;
    /** The medical alliance (医联体 / 医共体) this institution belongs to; null when none. */
    allianceId: string | null;
    /** District or county code: the unit of in-region treatment rates. */
    regionCode: string;
  }
>;

export type WardOpened = DomainEvent<
  'WardOpened',
  { institutionId: string; wardId: string; specialty: string; openBeds: number }
>;

export type WardBedCountChanged = DomainEvent<
  'WardBedCountChanged',
  { institutionId: string; wardId: string; openBeds: number; previousOpenBeds: number }
>;

/**
 * A ward fact recorded in error (or stored by an older version with a care time that cannot be read) is voided,
 * never deleted: the fold skips it from then on (docs/robustness.md, repair inside the model).
 */
export type InstitutionEventEnteredInError = DomainEvent<
  'InstitutionEventEnteredInError',
  {
    institutionId: string;
    targetEventId: string;
    targetType: 'WardOpened' | 'WardBedCountChanged';
    wardId: string;
    reason: 'wrong-entry' | 'unreadable-care-time' | 'duplicate';
  }
>;

export type InstitutionEvent =
  InstitutionRegistered | WardOpened | WardBedCountChanged | InstitutionEventEnteredInError;
export type InstitutionEventType = InstitutionEvent['type'];

export const INSTITUTION_EVENT_TYPES: readonly InstitutionEventType[] = [
  'InstitutionRegistered',
  'WardOpened',
  'WardBedCountChanged',
  'InstitutionEventEnteredInError',
];

export const INSTITUTION_ERROR_REASONS = ['wrong-entry', 'unreadable-care-time', 'duplicate'] as const;
