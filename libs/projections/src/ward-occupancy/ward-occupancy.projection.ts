import type Database from 'better-sqlite3';
import { journeyStays } from '../model/journey-rows.model';
import { journeyProjection } from '../runtime/journey-projection';

/** Stays as census segments, wards and their bed counts over care time (domain.md, bed occupancy). */
export const wardOccupancyProjection = journeyProjection({
  name: 'ward-occupancy',
  version: 1,
  withInstitutions: true,
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
  rows: (db: Database.Database) => {
    const deleteStays = db.prepare('DELETE FROM stays WHERE journey_id = ?');
    const deleteSegments = db.prepare('DELETE FROM segments WHERE journey_id = ?');
    const insertStay = db.prepare('INSERT INTO stays VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const insertSegment = db.prepare('INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const upsertInstitution = db.prepare(
      'INSERT INTO institutions VALUES (?, ?, ?, ?) ON CONFLICT(institution_id) DO UPDATE SET tier = excluded.tier, alliance_id = excluded.alliance_id, region_code = excluded.region_code',
    );
    const upsertWard = db.prepare('INSERT OR REPLACE INTO wards VALUES (?, ?, ?)');
    const insertBedCount = db.prepare('INSERT OR IGNORE INTO bed_counts VALUES (?, ?, ?, ?, ?)');
    return {
      replaceJourney(journeyId, state, fresh) {
        if (!fresh) deleteStays.run(journeyId);
        if (!fresh) deleteSegments.run(journeyId);
        if (!state) return;
        const { stays, segments } = journeyStays(state);
        for (const s of stays) {
          insertStay.run(
            s.admissionId,
            journeyId,
            s.institutionId,
            s.admittedWardId,
            s.currentWardId,
            s.admittedAt,
            s.dischargedAt,
            s.extraBed ? 1 : 0,
            s.status,
          );
        }
        for (const s of segments) {
          insertSegment.run(
            journeyId,
            s.admissionId,
            s.institutionId,
            s.wardId,
            s.kind,
            s.bedHeld ? 1 : 0,
            s.from,
            s.to,
          );
        }
      },
      institutionEvent(event) {
        const d = event.data as Record<string, unknown>;
        switch (event.type) {
          case 'InstitutionRegistered':
            upsertInstitution.run(d.institutionId, d.tier, d.allianceId ?? null, d.regionCode);
            return;
          case 'WardOpened':
            upsertWard.run(d.institutionId, d.wardId, d.specialty);
            insertBedCount.run(
              event.id,
              d.institutionId,
              d.wardId,
              Date.parse(String(event.metadata.occurredAt)),
              d.openBeds,
            );
            return;
          case 'WardBedCountChanged':
            // Open bed-days follow the bed count over care time (domain.md), so it lands on its occurredAt.
            insertBedCount.run(
              event.id,
              d.institutionId,
              d.wardId,
              Date.parse(String(event.metadata.occurredAt)),
              d.openBeds,
            );
            return;
          default:
            throw new Error(`unknown institution event type ${event.type}`);
        }
      },
    };
  },
});
