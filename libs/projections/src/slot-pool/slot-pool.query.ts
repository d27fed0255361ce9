import { KEY_GROUPS, type KeyGroup } from '@carepath/domain';
import { keyGroupsOf } from '../model/family-doctor.model';
import { type Ratio, ratio } from '../model/local-treatment.model';
import type { Period } from '../model/period.model';
import { releaseOffer, type SlotBookingRow } from '../model/slot-pool.model';
import { inOneSnapshot, type SqlReader } from '../runtime/sql-reader';
import { slotBookingsTable, slotReleasesTable } from './slot-pool.projection';

/** Text in code-point order, as SQLite sorts it: PostgreSQL's ORDER BY follows the database's collation. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface AvailableSlotsFilter {
  readonly date: string;
  readonly department?: string;
  readonly hospitalId?: string;
  readonly allianceId?: string;
}

/** A session a family doctor can book now, with what its open releases offer. */
export interface AvailableSession {
  readonly blockId: string;
  readonly hospitalId: string;
  readonly allianceId: string | null;
  readonly department: string;
  readonly clinicianGrade: string;
  readonly date: string;
  readonly startTime: string;
  readonly startsAt: string;
  /** Free slots in open releases: what a priority resident can book. */
  readonly free: number;
  /** Of `free`, held for priority residents now. */
  readonly heldForPriority: number;
  /** What a resident without priority can book now (`free − heldForPriority`). */
  readonly general: number;
}

/**
 * Sessions on a date with a slot to book at `at` (docs/family-doctors.md, "Release window and priority"), by
 * department, hospital and the hospital's alliance (from its registration). Only releases whose window is open
 * count; sessions with nothing free are left out.
 */
export async function queryAvailableSlots(
  reader: SqlReader,
  filter: AvailableSlotsFilter,
  at: number,
): Promise<AvailableSession[]> {
  const where = [
    'r.date = @date',
    filter.department !== undefined ? 'r.department = @department' : null,
    filter.hospitalId !== undefined ? 'r.hospital_id = @hospitalId' : null,
    filter.allianceId !== undefined ? 'i.alliance_id = @allianceId' : null,
    'r.opens_at_ms <= @at AND r.closes_at_ms > @at AND r.booked < r.count',
  ].filter((w) => w !== null);
  const rows = (
    (await reader.all(
      `SELECT r.*, i.alliance_id AS hospital_alliance FROM slot_releases r
       LEFT JOIN institutions i ON i.institution_id = r.hospital_id
       WHERE ${where.join(' AND ')} ORDER BY r.starts_at, r.hospital_id, r.block_id`,
      {
        date: filter.date,
        department: filter.department ?? null,
        hospitalId: filter.hospitalId ?? null,
        allianceId: filter.allianceId ?? null,
        at,
      },
    )) as Record<string, unknown>[]
  ).sort(
    (a, b) =>
      byText(String(a.starts_at), String(b.starts_at)) ||
      byText(String(a.hospital_id), String(b.hospital_id)) ||
      byText(String(a.block_id), String(b.block_id)),
  );
  const sessions = new Map<string, AvailableSession>();
  for (const raw of rows) {
    const r = slotReleasesTable.read(raw);
    const offer = releaseOffer(r, at);
    const known = sessions.get(r.blockId);
    sessions.set(r.blockId, {
      blockId: r.blockId,
      hospitalId: r.hospitalId,
      allianceId: typeof raw.hospital_alliance === 'string' ? raw.hospital_alliance : null,
      department: r.department,
      clinicianGrade: r.clinicianGrade,
      date: r.date,
      startTime: r.startTime,
      startsAt: r.startsAt,
      free: (known?.free ?? 0) + offer.free,
      heldForPriority: (known?.heldForPriority ?? 0) + offer.heldForPriority,
      general: (known?.general ?? 0) + offer.general,
    });
  }
  return [...sessions.values()].filter((s) => s.free > 0);
}

export interface DoctorBooking extends Omit<SlotBookingRow, 'keyGroups' | 'doctorId'> {
  readonly keyGroups: readonly KeyGroup[];
}

/** A family doctor's bookings for sessions in [from, to), by session time. */
export async function queryDoctorBookings(
  reader: SqlReader,
  doctorId: string,
  window: { readonly from: string; readonly to: string },
): Promise<DoctorBooking[]> {
  const rows = await reader.all(
    `SELECT * FROM slot_bookings b WHERE b.doctor_id = @doctorId AND b.date >= @from AND b.date < @to
     ORDER BY b.date, b.starts_at, b.booking_id`,
    { doctorId, from: window.from, to: window.to },
  );
  return rows
    .map((raw) => {
      const { doctorId: _, keyGroups, ...booking } = slotBookingsTable.read(raw);
      return { ...booking, keyGroups: keyGroupsOf(keyGroups) };
    })
    .sort(
      (a, b) => byText(a.date, b.date) || byText(a.startsAt, b.startsAt) || byText(a.bookingId, b.bookingId),
    );
}

export interface SlotUseFilter {
  readonly hospitalId?: string;
  readonly allianceId?: string;
}

export interface SlotUseFigures {
  /** Slots used (booked and not cancelled: attended, missed or still to come) ÷ slots released. */
  readonly utilisation: Ratio;
  /** No-shows ÷ bookings closed by the hospital (attended or no-show). */
  readonly noShowRate: Ratio;
  /** Bookings that took a slot held for priority ÷ slots used. */
  readonly priorityShare: Ratio;
  /** People booked who were signed with a family doctor ÷ people booked. */
  readonly signedShare: Ratio;
  /** For each key group, people booked in it ÷ people booked (a person may be in several). */
  readonly keyGroupShare: Readonly<Record<KeyGroup, Ratio>>;
}

export interface SlotUseRow extends SlotUseFigures {
  readonly hospitalId: string;
  readonly allianceId: string | null;
}

/** The counts slot use is made of: bookings and the people they booked, so a database can make them. */
export interface SlotUseCounts {
  readonly released: number;
  /** Bookings not cancelled. */
  readonly used: number;
  /** Of those, attended or no-show. */
  readonly closed: number;
  readonly noShows: number;
  /** Used bookings that took a slot held for priority. */
  readonly priority: number;
  /** People with a used booking. */
  readonly people: number;
  /** Of them, people any of whose used bookings named their family-doctor contract. */
  readonly signedPeople: number;
  /** For each key group, people any of whose used bookings recorded it. */
  readonly keyGroupPeople: Readonly<Record<KeyGroup, number>>;
}

/** Slot use's ratios from its counts (docs/analytics.md, "Slot use"). */
export function slotUseFiguresOf(c: SlotUseCounts): SlotUseFigures {
  return {
    utilisation: ratio(c.used, c.released),
    noShowRate: ratio(c.noShows, c.closed),
    priorityShare: ratio(c.priority, c.used),
    signedShare: ratio(c.signedPeople, c.people),
    keyGroupShare: Object.fromEntries(
      KEY_GROUPS.map((g) => [g, ratio(c.keyGroupPeople[g], c.people)]),
    ) as Record<KeyGroup, Ratio>,
  };
}

/**
 * Slot use by hospital for sessions dated in the period (docs/analytics.md, "Slot use"). A person is counted once
 * per hospital however many sessions they were booked into, in every key group any of their bookings recorded.
 */
export function slotUseFigures(
  released: number,
  bookings: readonly Pick<
    SlotBookingRow,
    'residentId' | 'status' | 'priority' | 'contractId' | 'keyGroups'
  >[],
): SlotUseFigures {
  const used = bookings.filter((b) => b.status !== 'cancelled');
  const closed = used.filter((b) => b.status === 'attended' || b.status === 'no-show');
  const people = new Map<string, { signed: boolean; groups: Set<string> }>();
  for (const b of used) {
    const person = people.get(b.residentId) ?? { signed: false, groups: new Set<string>() };
    person.signed ||= b.contractId !== null;
    for (const g of keyGroupsOf(b.keyGroups)) person.groups.add(g);
    people.set(b.residentId, person);
  }
  const everyone = [...people.values()];
  return slotUseFiguresOf({
    released,
    used: used.length,
    closed: closed.length,
    noShows: closed.filter((b) => b.status === 'no-show').length,
    priority: used.filter((b) => b.priority).length,
    people: everyone.length,
    signedPeople: everyone.filter((p) => p.signed).length,
    keyGroupPeople: Object.fromEntries(
      KEY_GROUPS.map((g) => [g, everyone.filter((p) => p.groups.has(g)).length]),
    ) as Record<KeyGroup, number>,
  });
}

/** A booking that holds its slot: attended, missed or still to come. */
const USED = "x.status <> 'cancelled'";

/*
 * The counts of slotUseFigures per hospital, made by the database (slot-pool.query.spec.ts holds them to it): a
 * person is one resident id, counted once per hospital by COUNT(DISTINCT); key_groups is ' a b ' (codes of lower-case
 * letters, digits and hyphens: nothing LIKE reads as a wildcard), so a code between spaces is a whole code.
 */
const BOOKING_COUNTS = `
  CAST(SUM(CASE WHEN ${USED} THEN 1 ELSE 0 END) AS BIGINT) AS used,
  CAST(SUM(CASE WHEN x.status IN ('attended', 'no-show') THEN 1 ELSE 0 END) AS BIGINT) AS closed,
  CAST(SUM(CASE WHEN x.status = 'no-show' THEN 1 ELSE 0 END) AS BIGINT) AS no_shows,
  CAST(SUM(CASE WHEN ${USED} AND x.priority = 1 THEN 1 ELSE 0 END) AS BIGINT) AS priority,
  COUNT(DISTINCT CASE WHEN ${USED} THEN x.resident_id END) AS people,
  COUNT(DISTINCT CASE WHEN ${USED} AND x.contract_id IS NOT NULL THEN x.resident_id END) AS signed_people,
  ${KEY_GROUPS.map(
    (g, i) =>
      `COUNT(DISTINCT CASE WHEN ${USED} AND x.key_groups LIKE '% ${g} %' THEN x.resident_id END) AS g${i}`,
  ).join(',\n  ')}`;

/**
 * Slot use by hospital for sessions dated in the period: slotUseFigures of each hospital's releases and bookings,
 * counted by the database, so only a row per hospital comes back whatever the period or the bookings.
 */
export async function querySlotUse(
  reader: SqlReader,
  period: Period,
  filter: SlotUseFilter = {},
): Promise<SlotUseRow[]> {
  const where = [
    'x.date >= @from AND x.date < @to',
    filter.hospitalId !== undefined ? 'x.hospital_id = @hospitalId' : null,
    filter.allianceId !== undefined ? 'i.alliance_id = @allianceId' : null,
  ]
    .filter((w) => w !== null)
    .join(' AND ');
  const params = {
    from: period.from,
    to: period.to,
    hospitalId: filter.hospitalId ?? null,
    allianceId: filter.allianceId ?? null,
  };
  // A hospital has one alliance (its registration's), so grouping by both is grouping by the hospital; PostgreSQL
  // sums BIGINTs as NUMERIC, cast back to an integer.
  const [released, counted] = await inOneSnapshot(reader, (snapshot) =>
    Promise.all([
      snapshot.all(
        `SELECT x.hospital_id AS hospital, i.alliance_id AS alliance, CAST(SUM(x.count) AS BIGINT) AS released
       FROM slot_releases x LEFT JOIN institutions i ON i.institution_id = x.hospital_id
       WHERE ${where} GROUP BY x.hospital_id, i.alliance_id`,
        params,
      ) as Promise<{ hospital: string; alliance: string | null; released: unknown }[]>,
      snapshot.all(
        `SELECT x.hospital_id AS hospital, ${BOOKING_COUNTS}
       FROM slot_bookings x LEFT JOIN institutions i ON i.institution_id = x.hospital_id
       WHERE ${where} GROUP BY x.hospital_id`,
        params,
      ) as Promise<({ hospital: string } & Record<string, unknown>)[]>,
    ]),
  );
  const byHospital = new Map(counted.map((row) => [row.hospital, row]));
  const count = (value: unknown): number => Number(value ?? 0);
  return released
    .sort((a, b) => byText(a.hospital, b.hospital))
    .map((h) => {
      const row = byHospital.get(h.hospital);
      return {
        hospitalId: h.hospital,
        allianceId: h.alliance,
        ...slotUseFiguresOf({
          released: count(h.released),
          used: count(row?.used),
          closed: count(row?.closed),
          noShows: count(row?.no_shows),
          priority: count(row?.priority),
          people: count(row?.people),
          signedPeople: count(row?.signed_people),
          keyGroupPeople: Object.fromEntries(KEY_GROUPS.map((g, i) => [g, count(row?.[`g${i}`])])) as Record<
            KeyGroup,
            number
          >,
        }),
      };
    });
}
