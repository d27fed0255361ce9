import {
  type CurrentStayRow,
  currentStaysTable,
  type OpenReferralRow,
  openReferralsTable,
} from './worklist.projection';
import type Database from 'better-sqlite3';

export interface WorklistReferral extends Omit<OpenReferralRow, 'updatedAt'> {
  readonly overdue: boolean;
}

export type WorklistStay = Omit<CurrentStayRow, 'institutionId' | 'status'>;

export interface Worklist {
  readonly institutionId: string;
  /** Sent to this institution, awaiting its decision, most urgent deadline first. */
  readonly incomingReferrals: WorklistReferral[];
  /** Sent by this institution, awaiting the other side. */
  readonly outgoingReferrals: WorklistReferral[];
  readonly inpatients: WorklistStay[];
  /** Away from a bed here (sequential ward), usually upstairs for surgery. */
  readonly onLeave: WorklistStay[];
  /** Downward transfers accepted by this institution, the patient not yet arrived. */
  readonly expectedDownwardTransfers: WorklistReferral[];
}

const referral =
  (now: number) =>
  (stored: unknown): WorklistReferral => {
    const { updatedAt: _updatedAt, ...r } = openReferralsTable.read(stored);
    return {
      ...r,
      overdue: (r.status === 'requested' || r.status === 'received') && Date.parse(r.deadline) < now,
    };
  };

const stay = (stored: unknown): WorklistStay => {
  const { institutionId: _institutionId, status: _status, ...s } = currentStaysTable.read(stored);
  return s;
};

const byDeadline = (a: WorklistReferral, b: WorklistReferral) =>
  Date.parse(a.deadline) - Date.parse(b.deadline);
const byTime = (field: 'admittedAt' | 'leaveStartedAt') => (a: WorklistStay, b: WorklistStay) =>
  Date.parse(a[field] ?? '') - Date.parse(b[field] ?? '');

/**
 * `now` decides the overdue flag; it comes from the caller's clock, not from the read model. `openBeds` gives each
 * ward's open beds now: who is on an extra bed (加床) is derived from the census now, not frozen when the admission
 * was recorded (a late entry or a discharge changes it; docs/care-time.md, "Derived facts follow care time").
 */
export function queryWorklist(
  db: Database.Database,
  institutionId: string,
  now: number,
  openBeds: (wardId: string) => number | undefined = () => undefined,
): Worklist {
  const toReferral = referral(now);
  const refs = (sql: string) => db.prepare(sql).all(institutionId).map(toReferral).sort(byDeadline);
  const stays = (status: string) =>
    db
      .prepare('SELECT * FROM current_stays WHERE institution_id = ? AND status = ?')
      .all(institutionId, status)
      .map(stay);
  return {
    institutionId,
    incomingReferrals: refs(
      "SELECT * FROM open_referrals WHERE to_institution_id = ? AND status IN ('requested', 'received')",
    ),
    outgoingReferrals: refs(
      "SELECT * FROM open_referrals WHERE from_institution_id = ? AND status IN ('requested', 'received')",
    ),
    inpatients: onExtraBeds(stays('in-bed').sort(byTime('admittedAt')), openBeds),
    onLeave: stays('on-leave').sort(byTime('leaveStartedAt')),
    expectedDownwardTransfers: refs(
      "SELECT * FROM open_referrals WHERE to_institution_id = ? AND direction = 'down' AND status = 'accepted'",
    ),
  };
}

/**
 * In each ward, the patients beyond its open beds are on extra beds: the last admitted, since a ward fills its
 * open beds first. Without a bed count for the ward, the flag recorded at admission stands.
 */
function onExtraBeds(
  inpatients: WorklistStay[],
  openBeds: (wardId: string) => number | undefined,
): WorklistStay[] {
  const seen = new Map<string, number>();
  return inpatients.map((s) => {
    const open = openBeds(s.wardId);
    const rank = (seen.get(s.wardId) ?? 0) + 1;
    seen.set(s.wardId, rank);
    return open === undefined ? s : { ...s, extraBed: rank > open };
  });
}
