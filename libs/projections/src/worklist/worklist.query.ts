import type Database from 'better-sqlite3';

export interface WorklistReferral {
  readonly referralId: string;
  readonly journeyId: string;
  readonly direction: string;
  readonly priority: string;
  readonly setting: string;
  readonly department: string;
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly status: string;
  readonly requestedAt: string;
  readonly deadline: string;
  readonly overdue: boolean;
}

export interface WorklistStay {
  readonly admissionId: string;
  readonly journeyId: string;
  readonly patientId: string;
  readonly wardId: string;
  readonly bedId: string | null;
  readonly extraBed: boolean;
  readonly admittedAt: string;
  readonly leaveStartedAt: string | null;
  readonly bedHeld: boolean | null;
}

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
  (r: Record<string, unknown>): WorklistReferral => ({
    referralId: r.referral_id as string,
    journeyId: r.journey_id as string,
    direction: r.direction as string,
    priority: r.priority as string,
    setting: r.setting as string,
    department: r.department as string,
    fromInstitutionId: r.from_institution_id as string,
    toInstitutionId: r.to_institution_id as string,
    status: r.status as string,
    requestedAt: r.requested_at as string,
    deadline: r.deadline as string,
    overdue: (r.status === 'requested' || r.status === 'received') && Date.parse(r.deadline as string) < now,
  });

const stay = (r: Record<string, unknown>): WorklistStay => ({
  admissionId: r.admission_id as string,
  journeyId: r.journey_id as string,
  patientId: r.patient_id as string,
  wardId: r.ward_id as string,
  bedId: (r.bed_id as string | null) ?? null,
  extraBed: r.extra_bed === 1,
  admittedAt: r.admitted_at as string,
  leaveStartedAt: (r.leave_started_at as string | null) ?? null,
  bedHeld: r.bed_held === null || r.bed_held === undefined ? null : r.bed_held === 1,
});

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
  const refs = (sql: string) =>
    (db.prepare(sql).all(institutionId) as Record<string, unknown>[]).map(toReferral).sort(byDeadline);
  const stays = (status: string) =>
    (
      db
        .prepare('SELECT * FROM current_stays WHERE institution_id = ? AND status = ?')
        .all(institutionId, status) as Record<string, unknown>[]
    ).map(stay);
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
