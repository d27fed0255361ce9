import fc from 'fast-check';
import { tableRows, withMemoryDatabase } from '../../../../test/support/read-model-rows';
import { localTreatmentFigures, ratio, type VisitRow } from '../model/local-treatment.model';
import { parsePeriod } from '../model/period.model';
import { type SqlReader, sqliteReader } from '../runtime/sql-reader';
import { visitsTable } from './local-treatment.projection';
import { queryLocalTreatmentByAlliance, queryLocalTreatmentByRegion } from './local-treatment.query';

const REGIONS = ['110105', '310112', '510811'];
const MARCH = parsePeriod({ period: '2026-03' });
const IN_MARCH = Date.parse('2026-03-10T02:00:00Z');

const visit = fc.record<VisitRow>({
  visitId: fc.uuid(),
  journeyId: fc.constant('j'),
  residenceRegion: fc.constantFrom(...REGIONS),
  institutionId: fc.constantFrom('CHC-1', 'HOSP-1'),
  tier: fc.constantFrom('community', 'secondary', 'tertiary'),
  institutionRegion: fc.constantFrom(...REGIONS),
  allianceId: fc.constantFrom(null, 'A1', 'A2'),
  visitType: fc.constantFrom('outpatient', 'emergency'),
  // Some fall outside March: the window must leave them out.
  occurredAt: fc.integer({ min: IN_MARCH - 40 * 86_400_000, max: IN_MARCH + 40 * 86_400_000 }),
});

const inMarch = (v: VisitRow) =>
  v.occurredAt >= Date.parse('2026-02-28T16:00:00Z') && v.occurredAt < Date.parse('2026-03-31T16:00:00Z');

/** Checks `check` over any visits in a database, given the reader and the visits of March. */
const forAnyVisits = (check: (reader: SqlReader, month: VisitRow[]) => Promise<void>) =>
  fc.assert(
    fc.asyncProperty(fc.uniqueArray(visit, { selector: (v) => v.visitId, maxLength: 60 }), (visits) =>
      withMemoryDatabase([tableRows(visitsTable, visits)], (db) =>
        check(sqliteReader(db), visits.filter(inMarch)),
      ),
    ),
    { numRuns: 60 },
  );

describe('local-treatment queries: the sums the database counts are those of localTreatmentFigures', () => {
  it('given any visits, then each region’s three rates equal the rule applied to the month’s visits', async () => {
    await forAnyVisits(async (reader, month) => {
      const seen = [...new Set(month.flatMap((v) => [v.institutionRegion, v.residenceRegion]))].sort();
      const all = await queryLocalTreatmentByRegion(reader, MARCH, undefined, 'Asia/Shanghai');
      expect(all).toEqual(seen.map((code) => ({ regionCode: code, ...localTreatmentFigures(code, month) })));
      for (const code of REGIONS) {
        expect(await queryLocalTreatmentByRegion(reader, MARCH, code, 'Asia/Shanghai')).toEqual([
          { regionCode: code, ...localTreatmentFigures(code, month) },
        ]);
      }
    });
  });

  it('given any visits, then an alliance’s community share counts its visits and their community part', async () => {
    await forAnyVisits(async (reader, month) => {
      const share = (id: string) => {
        const mine = month.filter((v) => v.allianceId === id);
        return ratio(mine.filter((v) => v.tier === 'community').length, mine.length);
      };
      const seen = [...new Set(month.flatMap((v) => (v.allianceId ? [v.allianceId] : [])))].sort();
      expect(await queryLocalTreatmentByAlliance(reader, MARCH, undefined, 'Asia/Shanghai')).toEqual(
        seen.map((id) => ({ allianceId: id, communityShare: share(id) })),
      );
      expect(await queryLocalTreatmentByAlliance(reader, MARCH, 'A9', 'Asia/Shanghai')).toEqual([
        { allianceId: 'A9', communityShare: ratio(0, 0) },
      ]);
    });
  });
});
