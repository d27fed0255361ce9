import { journeyStays } from '../model/journey-rows.model';
import type { BedCountChange, SegmentKind, StaySegment, StaySummary } from '../model/ward-occupancy.model';
import { journeyProjection } from '../runtime/journey-projection';
import { flag, integer, named, nullable, readModelTable, text, textOf } from '../runtime/read-model-table';
import { parseCareTime } from '@carepath/domain';

/** Stays as census segments, wards and their bed counts over care time (docs/analytics.md, "Bed-use rate"). */
export const staysTable = readModelTable<StaySummary>(
  'stays',
  {
    admissionId: text,
    journeyId: text,
    institutionId: text,
    admittedWardId: text,
    currentWardId: text,
    admittedAt: integer,
    dischargedAt: nullable(integer),
    extraBed: flag,
    status: textOf<StaySummary['status']>(),
  },
  { primaryKey: ['admissionId'], indexes: { stays_by_journey: ['journeyId'] } },
);

export const segmentsTable = readModelTable<StaySegment>(
  'segments',
  {
    journeyId: text,
    admissionId: text,
    institutionId: text,
    wardId: text,
    kind: textOf<SegmentKind>(),
    bedHeld: flag,
    from: named('from_ms', integer),
    to: named('to_ms', nullable(integer)),
  },
  { indexes: { segments_by_journey: ['journeyId'], segments_by_ward: ['institutionId', 'wardId', 'from'] } },
);

export interface InstitutionRow {
  readonly institutionId: string;
  readonly tier: string;
  readonly allianceId: string | null;
  readonly regionCode: string;
}

export const institutionsTable = readModelTable<InstitutionRow>(
  'institutions',
  { institutionId: text, tier: text, allianceId: nullable(text), regionCode: text },
  { primaryKey: ['institutionId'] },
);

export interface WardRow {
  readonly institutionId: string;
  readonly wardId: string;
  readonly specialty: string;
}

export const wardsTable = readModelTable<WardRow>(
  'wards',
  { institutionId: text, wardId: text, specialty: text },
  { primaryKey: ['institutionId', 'wardId'] },
);

/** A ward's open beds from a care time on; the event that said so is its key, so a void takes exactly it out. */
export interface BedCountRow extends BedCountChange {
  readonly eventId: string;
  readonly institutionId: string;
  readonly wardId: string;
}

export const bedCountsTable = readModelTable<BedCountRow>(
  'bed_counts',
  {
    eventId: text,
    institutionId: text,
    wardId: text,
    from: named('from_ms', integer),
    openBeds: integer,
  },
  { primaryKey: ['eventId'] },
);

/** Stays as census segments, wards and their bed counts over care time (docs/analytics.md, "Bed-use rate"). */
export const wardOccupancyProjection = journeyProjection({
  name: 'ward-occupancy',
  version: 1,
  referenceTables: [institutionsTable, wardsTable, bedCountsTable],
  tables: [staysTable, segmentsTable],
  derive: (state, journeyId) => {
    const { stays, segments } = journeyStays(state, journeyId);
    return [stays, segments];
  },
  institutions: (writes) => {
    return (event) => {
      const d = event.data as Record<string, unknown>;
      switch (event.type) {
        case 'InstitutionRegistered':
          writes.upsert(institutionsTable, {
            institutionId: String(d.institutionId),
            tier: String(d.tier),
            allianceId: typeof d.allianceId === 'string' ? d.allianceId : null,
            regionCode: String(d.regionCode),
          });
          return;
        case 'WardOpened':
        case 'WardBedCountChanged': {
          // Open bed-days follow the bed count over care time (docs/analytics.md), so it lands on its occurredAt. One an
          // older version stored unreadable counts nowhere: the institution's fold holds it until it is voided.
          const from = parseCareTime(event.metadata.occurredAt);
          if (from === null) return;
          const ward = { institutionId: String(d.institutionId), wardId: String(d.wardId) };
          if (event.type === 'WardOpened') {
            writes.upsert(wardsTable, { ...ward, specialty: String(d.specialty) });
          }
          writes.insertIgnore(bedCountsTable, {
            eventId: event.id,
            ...ward,
            from,
            openBeds: Number(d.openBeds),
          });
          return;
        }
        case 'InstitutionEventEnteredInError':
          // Deletes by the voided event's id: applying the void twice, or before a rebuild, ends the same.
          writes.delete(bedCountsTable, { event_id: String(d.targetEventId) });
          // A voided opening takes its ward out, unless a bed count of it still stands.
          if (d.targetType === 'WardOpened') {
            writes.delete(
              wardsTable,
              { institution_id: String(d.institutionId), ward_id: String(d.wardId) },
              bedCountsTable,
            );
          }
          return;
        default:
          throw new Error(`unknown institution event type ${event.type}`);
      }
    };
  },
});
