import Database from 'better-sqlite3';
import { inCoverageKeyGroup, type KeyGroup } from '@carepath/domain';
import {
  type ContractSegment,
  deriveStay,
  type Fact,
  keyGroupsText,
  type ReadModelTable,
  type SlotBookingRow,
  type SlotReleaseRow,
  type StaySegment,
  type StaySummary,
} from '@carepath/projections';

/*
 * Rows of the analytics read models as the query specs make them: the libs' property specs check a query's SQL in
 * SQLite against the model's functions, test/contract/census-queries-postgres.spec.ts checks PostgreSQL against
 * SQLite, and both build the same rows from their random values.
 */

/** A table and its rows, typed together when made by `tableRows`. */
export interface TableRows {
  readonly table: ReadModelTable<any>;
  readonly rows: readonly unknown[];
}

export const tableRows = <R>(table: ReadModelTable<R>, rows: readonly R[]): TableRows => ({ table, rows });

/** An in-memory SQLite database with the tables of `contents` made and filled; the caller closes it. */
export function memoryDatabase(contents: readonly TableRows[]): Database.Database {
  const db = new Database(':memory:');
  for (const { table, rows } of contents) {
    db.exec(table.create);
    const insert = db.prepare(table.insert);
    for (const row of rows) insert.run(table.encode(row));
  }
  return db;
}

/** `use` on memoryDatabase(contents), closed after whatever `use` does. */
export async function withMemoryDatabase<T>(
  contents: readonly TableRows[],
  use: (db: Database.Database) => Promise<T>,
): Promise<T> {
  const db = memoryDatabase(contents);
  try {
    return await use(db);
  } finally {
    db.close();
  }
}

/** A fact a planned admission goes on with, `after` milliseconds after the one before (less than 0: dated back). */
export interface PlannedFact {
  readonly after: number;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** An admission to a ward at `at` (epoch milliseconds), and the facts that follow it. */
export interface PlannedAdmission {
  readonly institutionId: string;
  readonly wardId: string;
  readonly at: number;
  /** PatientAdmitted's data besides the admission, its institution and ward. */
  readonly admitted: Readonly<Record<string, unknown>>;
  readonly then: readonly PlannedFact[];
}

/**
 * The stays and segments deriveStay makes of each journey's planned admissions (journey `j-<j>`, its admissions
 * `adm-<j>-<n>`); an admission whose facts make no stay adds nothing.
 */
export function derivedStays(journeys: readonly (readonly PlannedAdmission[])[]): {
  stays: StaySummary[];
  segments: StaySegment[];
} {
  const stays: StaySummary[] = [];
  const segments: StaySegment[] = [];
  let seq = 0;
  journeys.forEach((admissions, j) =>
    admissions.forEach((a, n) => {
      const admissionId = `adm-${j}-${n}`;
      let at = a.at;
      const fact = (type: string, data: Readonly<Record<string, unknown>>): Fact => ({
        eventId: `e-${++seq}`,
        type,
        occurredAt: new Date(at).toISOString(),
        data: { admissionId, ...data },
        voided: false,
      });
      const facts = [
        fact('PatientAdmitted', {
          institution: { institutionId: a.institutionId },
          wardId: a.wardId,
          ...a.admitted,
        }),
      ];
      for (const next of a.then) {
        at += next.after;
        facts.push(fact(next.type, next.data));
      }
      const stay = deriveStay(`j-${j}`, facts);
      if (stay) {
        stays.push(stay.summary);
        segments.push(...stay.segments);
      }
    }),
  );
  return { stays, segments };
}

/** A session's place and time as the slot rows copy them: a chief's cardiology clinic at 08:30 on `date`. */
const slotSession = (hospitalId: string, date: string) => ({
  blockId: `b-${hospitalId}-${date}`,
  hospitalId,
  department: 'cardiology',
  clinicianGrade: 'chief',
  date,
  startsAt: `${date}T08:30:00+08:00`,
});

/** `count` slots released for the session, none reserved for priority residents, none booked yet. */
export const slotRelease = (
  hospitalId: string,
  date: string,
  releaseId: string,
  count: number,
): SlotReleaseRow => ({
  ...slotSession(hospitalId, date),
  releaseId,
  startTime: '08:30',
  count,
  reservedCount: 0,
  booked: 0,
  priorityBooked: 0,
  opensAtMs: 0,
  priorityUntilMs: 0,
  closesAtMs: 0,
});

/** A booking of release r-0 for the session, made by doctor doc-1 of CHC-1 and last changed when it was made. */
export const slotBooking = (
  hospitalId: string,
  date: string,
  booking: Pick<
    SlotBookingRow,
    'bookingId' | 'residentId' | 'contractId' | 'signedDoctorId' | 'priority' | 'status' | 'bookedAt'
  > & { readonly groups: readonly KeyGroup[] },
): SlotBookingRow => {
  const { groups, ...fields } = booking;
  return {
    ...slotSession(hospitalId, date),
    ...fields,
    releaseId: 'r-0',
    doctorId: 'doc-1',
    centreId: 'CHC-1',
    keyGroups: keyGroupsText(groups),
    updatedAt: booking.bookedAt,
  };
};

/** A contract's segment signed with doctor doc-1, in the key groups `groups`. */
export const contractSegment = (
  segment: Omit<ContractSegment, 'doctorId' | 'keyGroups' | 'inKeyGroup'> & {
    readonly groups: readonly KeyGroup[];
  },
): ContractSegment => {
  const { groups, ...fields } = segment;
  return {
    ...fields,
    doctorId: 'doc-1',
    keyGroups: keyGroupsText(groups),
    inKeyGroup: inCoverageKeyGroup(groups),
  };
};
