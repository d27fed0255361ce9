import type { OpenedJourneyState } from '@carepath/domain';

/*
 * A journey as the ordered steps a coordinator reads: visits, referrals, stays (with leaves), surgery, rehab,
 * and how long the patient spent in each institution's beds. Built from the folded state, so corrected and
 * voided events are already taken into account.
 */

export type TimelineStepKind = 'visit' | 'referral' | 'stay' | 'leave' | 'surgery' | 'rehab-session';

export interface TimelineStep {
  readonly kind: TimelineStepKind;
  readonly at: string;
  readonly until: string | null;
  readonly institutionId: string;
  /** Referral: the receiving institution. */
  readonly toInstitutionId: string | null;
  readonly id: string;
  readonly detail: Readonly<Record<string, string | boolean | null>>;
  /** Hours from `at` to `until` (to `asOf` while still open), 2 decimals. */
  readonly hours: number | null;
}

export interface InstitutionTime {
  readonly institutionId: string;
  readonly firstAt: string;
  readonly lastAt: string;
  /** Hours in a bed there, excluding leave away from the bed. */
  readonly inpatientHours: number;
  readonly visits: number;
}

export interface JourneyTimeline {
  readonly journeyId: string;
  readonly status: string;
  readonly steps: TimelineStep[];
  readonly institutions: InstitutionTime[];
}

const hoursBetween = (from: string, to: string) =>
  Math.round(((Date.parse(to) - Date.parse(from)) / 3_600_000) * 100) / 100;

/** `asOf` (an instant from the caller) closes still-open stays for the hour counts. */
export function journeyTimeline(state: OpenedJourneyState, asOf: string): JourneyTimeline {
  const steps: TimelineStep[] = [];
  const step = (s: Omit<TimelineStep, 'hours'>) =>
    steps.push({
      ...s,
      hours:
        s.until === null && s.kind !== 'stay' && s.kind !== 'leave'
          ? null
          : hoursBetween(s.at, s.until ?? asOf),
    });
  for (const v of Object.values(state.visits)) {
    step({
      kind: 'visit',
      at: v.occurredAt,
      until: null,
      institutionId: v.institution.institutionId,
      toInstitutionId: null,
      id: v.visitId,
      detail: { visitType: v.visitType, diagnosisCode: v.diagnosisCode, referralId: v.referralId },
    });
  }
  for (const r of Object.values(state.referrals)) {
    step({
      kind: 'referral',
      at: r.requestedAt,
      until: r.decidedAt,
      institutionId: r.from.institutionId,
      toInstitutionId: r.to.institutionId,
      id: r.referralId,
      detail: {
        direction: r.direction,
        priority: r.priority,
        setting: r.setting,
        status: r.status,
        deadline: r.deadline,
        redirectedFromReferralId: r.redirectedFromReferralId,
      },
    });
  }
  const time = new Map<string, { first: string; last: string; ms: number; visits: number }>();
  const touch = (institutionId: string, at: string, end: string, ms: number, visit: boolean) => {
    const t = time.get(institutionId) ?? { first: at, last: end, ms: 0, visits: 0 };
    if (Date.parse(at) < Date.parse(t.first)) t.first = at;
    if (Date.parse(end) > Date.parse(t.last)) t.last = end;
    t.ms += ms;
    if (visit) t.visits++;
    time.set(institutionId, t);
  };
  for (const v of Object.values(state.visits))
    touch(v.institution.institutionId, v.occurredAt, v.occurredAt, 0, true);
  for (const a of Object.values(state.admissions)) {
    const end = a.dischargedAt ?? asOf;
    step({
      kind: 'stay',
      at: a.admittedAt,
      until: a.dischargedAt,
      institutionId: a.institutionId,
      toInstitutionId: null,
      id: a.admissionId,
      detail: {
        wardId: a.wardId,
        bedId: a.bedId,
        extraBed: a.extraBed,
        status: a.status,
        disposition: a.disposition,
        referralId: a.referralId,
      },
    });
    let away = 0;
    for (const [i, leave] of a.leaves.entries()) {
      step({
        kind: 'leave',
        at: leave.startedAt,
        until: leave.endedAt,
        institutionId: a.institutionId,
        toInstitutionId: null,
        id: `${a.admissionId}#leave-${i + 1}`,
        detail: { bedHeld: leave.bedHeld },
      });
      away += Date.parse(leave.endedAt ?? end) - Date.parse(leave.startedAt);
    }
    touch(a.institutionId, a.admittedAt, end, Date.parse(end) - Date.parse(a.admittedAt) - away, false);
  }
  for (const s of Object.values(state.surgeries)) {
    step({
      kind: 'surgery',
      at: s.occurredAt,
      until: null,
      institutionId: s.institutionId,
      toInstitutionId: null,
      id: s.surgeryId,
      detail: { procedureCode: s.procedureCode, admissionId: s.admissionId },
    });
  }
  for (const s of Object.values(state.rehabSessions)) {
    step({
      kind: 'rehab-session',
      at: s.occurredAt,
      until: null,
      institutionId: s.institutionId,
      toInstitutionId: null,
      id: s.sessionId,
      detail: { therapyCode: s.therapyCode, admissionId: s.admissionId },
    });
  }
  steps.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.kind.localeCompare(b.kind));
  return {
    journeyId: state.journeyId,
    status: state.status,
    steps,
    institutions: [...time.entries()]
      .map(([institutionId, t]) => ({
        institutionId,
        firstAt: t.first,
        lastAt: t.last,
        inpatientHours: Math.round((t.ms / 3_600_000) * 100) / 100,
        visits: t.visits,
      }))
      .sort((a, b) => Date.parse(a.firstAt) - Date.parse(b.firstAt)),
  };
}
