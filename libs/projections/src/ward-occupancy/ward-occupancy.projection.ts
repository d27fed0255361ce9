import type Database from 'better-sqlite3';
import { journeyStays } from '../model/journey-rows.model';
import { journeyProjection } from '../runtime/journey-projection';
import { parseCareTime } from '@carepath/domain';

/** Stays as census segments, wards and their bed counts over care time (docs/domain.md, bed occupancy). */
export const wardOccupancyProjection = journeyProjection({
  name: 'ward-occupancy',
  version: 1,
  schema: `
    CREATE TABLE IF NOT EXISTS institutions (institution_id TEXT PRIMARY KEY, tier TEXT NOT NULL, alliance_id TEXT, region_code TEXT NOT NULL) STRICT;
    CREATE TABLE IF NOT EXISTS wards (institution_id TEXT NOT NULL, ward_id TEXT NOT NULL, specialty TEXT NOT NULL, PRIMARY KEY (institution_id, ward_id)) STRICT;
    CREATE TABLE IF NOT EXISTS bed_counts (event_id TEXT PRIMARY KEY, institution_id TEXT NOT NULL, ward_id TEXT NOT NULL, from_ms INTEGER NOT NULL, open_beds INTEGER NOT NULL) STRICT;
    CREATE TABLE IF NOT EXISTS stays (
      admission_id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, institution_id TEXT NOT NULL, admitted_ward_id TEXT NOT NULL,
      current_ward_id TEXT NOT NULL, admitted_at INTEGER NOT NULL, discharged_at INTEGER, extra_bed INTEGER NOT NULL, status TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS stays_by_journey ON stays (journey_id);
    CREATE TABLE IF NOT EXISTS segments (
      journey_id TEXT NOT NULL, admission_id TEXT NOT NULL, institution_id TEXT NOT NULL, ward_id TEXT NOT NULL,
      kind TEXT NOT NULL, bed_held INTEGER NOT NULL, from_ms INTEGER NOT NULL, to_ms INTEGER
    ) STRICT;
    CREATE INDEX IF NOT EXISTS segments_by_journey ON segments (journey_id);
    CREATE INDEX IF NOT EXISTS segments_by_ward ON segments (institution_id, ward_id, from_ms);
  `,
  tables: ['stays', 'segments'],
  derive: (state, journeyId) => {
    const { stays, segments } = journeyStays(state);
    return [
      stays.map((s) => [
        s.admissionId,
        journeyId,
        s.institutionId,
        s.admittedWardId,
        s.currentWardId,
        s.admittedAt,
        s.dischargedAt,
        s.extraBed ? 1 : 0,
        s.status,
      ]),
      segments.map((s) => [
        journeyId,
        s.admissionId,
        s.institutionId,
        s.wardId,
        s.kind,
        s.bedHeld ? 1 : 0,
        s.from,
        s.to,
      ]),
    ];
  },
  institutions: (db: Database.Database) => {
    const upsertInstitution = db.prepare(
      'INSERT INTO institutions VALUES (?, ?, ?, ?) ON CONFLICT(institution_id) DO UPDATE SET tier = excluded.tier, alliance_id = excluded.alliance_id, region_code = excluded.region_code',
    );
    const upsertWard = db.prepare('INSERT OR REPLACE INTO wards VALUES (?, ?, ?)');
    const insertBedCount = db.prepare('INSERT OR IGNORE INTO bed_counts VALUES (?, ?, ?, ?, ?)');
    const deleteBedCount = db.prepare('DELETE FROM bed_counts WHERE event_id = ?');
    // A voided opening takes its ward out, unless a bed count of it still stands.
    const deleteWard = db.prepare(
      'DELETE FROM wards WHERE institution_id = ?1 AND ward_id = ?2 AND NOT EXISTS (SELECT 1 FROM bed_counts WHERE institution_id = ?1 AND ward_id = ?2)',
    );
    return (event) => {
      const d = event.data as Record<string, unknown>;
      switch (event.type) {
        case 'InstitutionRegistered':
          upsertInstitution.run(d.institutionId, d.tier, d.allianceId ?? null, d.regionCode);
          return;
        case 'WardOpened':
        case 'WardBedCountChanged': {
          // Open bed-days follow the bed count over care time (docs/domain.md), so it lands on its occurredAt. One an
          // older version stored unreadable counts nowhere: the institution's fold holds it until it is voided.
          const from = parseCareTime(event.metadata.occurredAt);
          if (from === null) return;
          if (event.type === 'WardOpened') upsertWard.run(d.institutionId, d.wardId, d.specialty);
          insertBedCount.run(event.id, d.institutionId, d.wardId, from, d.openBeds);
          return;
        }
        case 'InstitutionEventEnteredInError':
          // Deletes by the voided event's id: applying the void twice, or before a rebuild, ends the same.
          deleteBedCount.run(d.targetEventId);
          if (d.targetType === 'WardOpened') deleteWard.run(d.institutionId, d.wardId);
          return;
        default:
          throw new Error(`unknown institution event type ${event.type}`);
      }
    };
  },
});
