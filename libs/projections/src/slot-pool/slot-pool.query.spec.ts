import fc from 'fast-check';
import { KEY_GROUPS } from '@carepath/domain';
import {
  slotBooking,
  slotRelease,
  tableRows,
  withMemoryDatabase,
} from '../../../../test/support/read-model-rows';
import type { Period } from '../model/period.model';
import type { SlotBookingRow, SlotReleaseRow } from '../model/slot-pool.model';
import { sqliteReader } from '../runtime/sql-reader';
import { institutionsTable, type InstitutionRow } from '../ward-occupancy/ward-occupancy.projection';
import { slotBookingsTable, slotReleasesTable } from './slot-pool.projection';
import { querySlotUse, type SlotUseFilter, slotUseFigures } from './slot-pool.query';

/*
 * The counts the database makes are those of slotUseFigures (docs/analytics.md, "Slot use"): random releases and
 * bookings of a few hospitals over some days, a few residents booked more than once (a person counts once per
 * hospital, signed when any booking named a contract, in every key group any booking recorded).
 */

const INSTITUTIONS: InstitutionRow[] = [
  { institutionId: 'HOSP-1', tier: 'tertiary', allianceId: 'A1', regionCode: '110105' },
  { institutionId: 'HOSP-2', tier: 'tertiary', allianceId: 'A2', regionCode: '110105' },
  { institutionId: 'HOSP-3', tier: 'secondary', allianceId: null, regionCode: '310112' },
];
const HOSPITALS = [...INSTITUTIONS.map((i) => i.institutionId), 'HOSP-UNREGISTERED'];
const DATES = ['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-15', '2026-03-31', '2026-04-01'];
const MARCH: Period = { from: '2026-03-01', to: '2026-04-01', key: '2026-03', unit: 'month' };

const session = fc.record({
  hospital: fc.nat({ max: HOSPITALS.length - 1 }),
  date: fc.constantFrom(...DATES),
});

const release = fc.record({ session, count: fc.nat({ max: 12 }) });

const booking = fc.record({
  session,
  resident: fc.nat({ max: 5 }),
  status: fc.constantFrom('booked' as const, 'cancelled' as const, 'attended' as const, 'no-show' as const),
  priority: fc.boolean(),
  contract: fc.option(fc.constantFrom('c-1', 'c-2')),
  groups: fc.subarray([...KEY_GROUPS], { maxLength: 3 }),
});

type ValueOf<A> = A extends fc.Arbitrary<infer V> ? V : never;

function rowsOf(
  releases: readonly ValueOf<typeof release>[],
  bookings: readonly ValueOf<typeof booking>[],
): { releases: SlotReleaseRow[]; bookings: SlotBookingRow[] } {
  return {
    releases: releases.map((r, i) =>
      slotRelease(HOSPITALS[r.session.hospital]!, r.session.date, `r-${i}`, r.count),
    ),
    bookings: bookings.map((b, i) =>
      slotBooking(HOSPITALS[b.session.hospital]!, b.session.date, {
        bookingId: `k-${i}`,
        residentId: `res-${b.resident}`,
        contractId: b.contract,
        signedDoctorId: b.contract === null ? null : 'doc-1',
        priority: b.priority,
        groups: b.groups,
        status: b.status,
        bookedAt: '2026-02-20T09:00:00+08:00',
      }),
    ),
  };
}

/** What the API answered before the database counted: slotUseFigures of each hospital's rows in the window. */
function modelRows(
  releases: readonly SlotReleaseRow[],
  bookings: readonly SlotBookingRow[],
  period: Period,
  filter: SlotUseFilter,
) {
  const alliance = (id: string) => INSTITUTIONS.find((i) => i.institutionId === id)?.allianceId ?? null;
  const kept = (r: { hospitalId: string; date: string }) =>
    r.date >= period.from &&
    r.date < period.to &&
    (filter.hospitalId === undefined || r.hospitalId === filter.hospitalId) &&
    (filter.allianceId === undefined || alliance(r.hospitalId) === filter.allianceId);
  const hospitals = [...new Set(releases.filter(kept).map((r) => r.hospitalId))].sort();
  return hospitals.map((hospitalId) => ({
    hospitalId,
    allianceId: alliance(hospitalId),
    ...slotUseFigures(
      releases.filter((r) => kept(r) && r.hospitalId === hospitalId).reduce((n, r) => n + r.count, 0),
      bookings.filter((b) => kept(b) && b.hospitalId === hospitalId),
    ),
  }));
}

describe('querySlotUse: the counts the database makes are those of slotUseFigures', () => {
  it('given any releases and bookings, then every hospital’s figures, whole or filtered, are the model’s', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(release, { maxLength: 12 }),
        fc.array(booking, { maxLength: 40 }),
        async (releaseValues, bookingValues) => {
          const { releases, bookings } = rowsOf(releaseValues, bookingValues);
          const tables = [
            tableRows(institutionsTable, INSTITUTIONS),
            tableRows(slotReleasesTable, releases),
            tableRows(slotBookingsTable, bookings),
          ];
          await withMemoryDatabase(tables, async (db) => {
            for (const filter of [{}, { hospitalId: 'HOSP-1' }, { allianceId: 'A2' }] as SlotUseFilter[]) {
              expect(await querySlotUse(sqliteReader(db), MARCH, filter)).toEqual(
                modelRows(releases, bookings, MARCH, filter),
              );
            }
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});
