import { entryOf, type OpenedJourneyState } from '@carepath/domain';
import { currentStays } from '../model/journey-rows.model';
import { journeyProjection } from '../runtime/journey-projection';
import { flag, nullable, readModelTable, text, textOf } from '../runtime/read-model-table';
import { type UpstairsRow, withUsUpstairs } from './with-us-upstairs.model';

const OPEN_REFERRAL = new Set(['requested', 'received', 'accepted', 'in-progress']);
/** Outcomes the referring side must act on (docs/worklists.md, "Action required"). */
const NEEDS_ACTION = new Set(['rejected', 'expired']);

/** A referral still waiting on someone, as recorded (care times as the journey states them). */
export interface OpenReferralRow {
  readonly referralId: string;
  readonly journeyId: string;
  readonly patientId: string;
  readonly direction: string;
  readonly priority: string;
  readonly setting: string;
  readonly department: string;
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly status: string;
  readonly requestedAt: string;
  readonly deadline: string;
  /** Care time of the deadline reminder (ReferralDueSoon), when it was sent. */
  readonly dueSoonAt: string | null;
  readonly updatedAt: string;
}

export const openReferralsTable = readModelTable<OpenReferralRow>(
  'open_referrals',
  {
    referralId: text,
    journeyId: text,
    patientId: text,
    direction: text,
    priority: text,
    setting: text,
    department: text,
    fromInstitutionId: text,
    toInstitutionId: text,
    status: text,
    requestedAt: text,
    deadline: text,
    dueSoonAt: nullable(text),
    updatedAt: text,
  },
  {
    primaryKey: ['referralId'],
    indexes: {
      open_referrals_by_journey: ['journeyId'],
      open_referrals_to: ['toInstitutionId', 'status'],
      open_referrals_from: ['fromInstitutionId', 'status'],
    },
  },
);

/** A stay not yet ended (currentStays): in a bed, or away on leave (with the leave's start and whether the bed is held). */
export interface CurrentStayRow {
  readonly admissionId: string;
  readonly journeyId: string;
  readonly patientId: string;
  readonly institutionId: string;
  readonly wardId: string;
  readonly bedId: string | null;
  readonly extraBed: boolean;
  readonly status: 'in-bed' | 'on-leave';
  readonly admittedAt: string;
  readonly leaveStartedAt: string | null;
  readonly bedHeld: boolean | null;
}

export const currentStaysTable = readModelTable<CurrentStayRow>(
  'current_stays',
  {
    admissionId: text,
    journeyId: text,
    patientId: text,
    institutionId: text,
    wardId: text,
    bedId: nullable(text),
    extraBed: flag,
    status: textOf<CurrentStayRow['status']>(),
    admittedAt: text,
    leaveStartedAt: nullable(text),
    bedHeld: nullable(flag),
  },
  {
    primaryKey: ['admissionId'],
    indexes: {
      current_stays_by_journey: ['journeyId'],
      current_stays_by_institution: ['institutionId', 'status'],
    },
  },
);

/**
 * A rejected or expired referral nobody has acknowledged yet (ReferralOutcomeAcknowledged). A rejection that
 * redirected the referral is left out: the redirect carries the patient on, and is on the worklists itself.
 */
export interface ReferralOutcomeRow {
  readonly referralId: string;
  readonly journeyId: string;
  readonly patientId: string;
  readonly direction: string;
  readonly priority: string;
  readonly department: string;
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly status: 'rejected' | 'expired';
  readonly requestedAt: string;
  readonly deadline: string;
  /** Care time of the rejection or the expiry. */
  readonly outcomeAt: string;
  readonly rejectionReason: string | null;
  readonly escalatedToAllianceId: string | null;
}

export const referralOutcomesTable = readModelTable<ReferralOutcomeRow>(
  'referral_outcomes',
  {
    referralId: text,
    journeyId: text,
    patientId: text,
    direction: text,
    priority: text,
    department: text,
    fromInstitutionId: text,
    toInstitutionId: text,
    status: textOf<ReferralOutcomeRow['status']>(),
    requestedAt: text,
    deadline: text,
    outcomeAt: text,
    rejectionReason: nullable(text),
    escalatedToAllianceId: nullable(text),
  },
  {
    primaryKey: ['referralId'],
    indexes: {
      referral_outcomes_by_journey: ['journeyId'],
      referral_outcomes_from: ['fromInstitutionId'],
      referral_outcomes_alliance: ['escalatedToAllianceId'],
    },
  },
);

export const upstairsTable = readModelTable<UpstairsRow>(
  'with_us_upstairs',
  {
    journeyId: text,
    institutionId: text,
    patientId: text,
    referralId: text,
    department: text,
    priority: text,
    referredToInstitutionId: text,
    acceptedAt: text,
    whereInstitutionId: text,
    admitted: flag,
    stayStatus: nullable(textOf<'in-bed' | 'on-leave'>()),
    wardId: nullable(text),
    since: text,
    returnReferralId: nullable(text),
  },
  {
    primaryKey: ['journeyId', 'institutionId'],
    indexes: { with_us_upstairs_by_institution: ['institutionId'] },
  },
);

/** A proposed downward transfer still open: the holding hospital decides, the community centre expects. */
export interface TransferProposalRow {
  readonly proposalId: string;
  readonly journeyId: string;
  readonly patientId: string;
  readonly admissionId: string;
  readonly surgeryId: string;
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly basis: string;
  readonly signedDoctorId: string | null;
  readonly proposedAt: string;
}

export const transferProposalsTable = readModelTable<TransferProposalRow>(
  'transfer_proposals',
  {
    proposalId: text,
    journeyId: text,
    patientId: text,
    admissionId: text,
    surgeryId: text,
    fromInstitutionId: text,
    toInstitutionId: text,
    basis: text,
    signedDoctorId: nullable(text),
    proposedAt: text,
  },
  {
    primaryKey: ['proposalId'],
    indexes: {
      transfer_proposals_by_journey: ['journeyId'],
      transfer_proposals_from: ['fromInstitutionId'],
      transfer_proposals_to: ['toInstitutionId'],
    },
  },
);

/** A follow-up still owed after a discharge (done ones leave); overdue is judged at read time. */
export interface FollowUpRow {
  readonly followUpId: string;
  readonly journeyId: string;
  readonly patientId: string;
  readonly admissionId: string;
  readonly dischargedAt: string;
  readonly owedByInstitutionId: string;
  readonly signedDoctorId: string | null;
  readonly dueBy: string;
  readonly basis: string;
}

export const followUpsTable = readModelTable<FollowUpRow>(
  'follow_ups',
  {
    followUpId: text,
    journeyId: text,
    patientId: text,
    admissionId: text,
    dischargedAt: text,
    owedByInstitutionId: text,
    signedDoctorId: nullable(text),
    dueBy: text,
    basis: text,
  },
  {
    primaryKey: ['followUpId'],
    indexes: {
      follow_ups_by_journey: ['journeyId'],
      follow_ups_owed_by: ['owedByInstitutionId'],
    },
  },
);

/** Patient search (GET /journeys?patientId=): a pseudonymous patient id's journeys. */
export interface PatientJourneyRow {
  readonly journeyId: string;
  readonly patientId: string;
  readonly status: 'open' | 'closed';
  readonly openedAt: string;
  readonly closedAt: string | null;
}

export const patientJourneysTable = readModelTable<PatientJourneyRow>(
  'patient_journeys',
  {
    journeyId: text,
    patientId: text,
    status: textOf<PatientJourneyRow['status']>(),
    openedAt: text,
    closedAt: nullable(text),
  },
  { primaryKey: ['journeyId'], indexes: { patient_journeys_by_patient: ['patientId'] } },
);

/** What coordinators act on, per institution (docs/worklists.md). */
export const worklistProjection = journeyProjection({
  name: 'worklist',
  // 3: referral rows carry the patient and the reminder; outcomes to act on, "with us upstairs", open transfer
  // proposals, owed follow-ups and the patient index are new tables (issue 20).
  version: 3,
  tables: [
    openReferralsTable,
    currentStaysTable,
    referralOutcomesTable,
    upstairsTable,
    transferProposalsTable,
    followUpsTable,
    patientJourneysTable,
  ],
  derive: (state, journeyId) => [
    openReferrals(state, journeyId),
    stays(state, journeyId),
    outcomes(state, journeyId),
    withUsUpstairs(state, journeyId),
    proposals(state, journeyId),
    followUps(state, journeyId),
    [
      {
        journeyId,
        patientId: state.patientId,
        status: state.status,
        openedAt: state.openedAt,
        closedAt: state.closedAt,
      },
    ],
  ],
});

function openReferrals(state: OpenedJourneyState, journeyId: string): OpenReferralRow[] {
  return Object.values(state.referrals)
    .filter((r) => OPEN_REFERRAL.has(r.status))
    .map((r) => ({
      referralId: r.referralId,
      journeyId,
      patientId: state.patientId,
      direction: r.direction,
      priority: r.priority,
      setting: r.setting,
      department: r.department,
      fromInstitutionId: r.from.institutionId,
      toInstitutionId: r.to.institutionId,
      status: r.status,
      requestedAt: r.requestedAt,
      deadline: r.deadline,
      dueSoonAt: r.dueSoonAt ?? null,
      updatedAt: r.updatedAt,
    }));
}

function stays(state: OpenedJourneyState, journeyId: string): CurrentStayRow[] {
  return currentStays(state, journeyId).flatMap((placement) => {
    const a = entryOf(state.admissions, placement.admissionId);
    if (!a) return [];
    const away = placement.kind === 'on-leave';
    return [
      {
        admissionId: a.admissionId,
        journeyId,
        patientId: state.patientId,
        institutionId: placement.institutionId,
        wardId: placement.wardId,
        bedId: a.bedId,
        extraBed: a.extraBed,
        status: placement.kind,
        admittedAt: a.admittedAt,
        leaveStartedAt: away ? (a.leaves.at(-1)?.startedAt ?? null) : null,
        bedHeld: away ? placement.bedHeld : null,
      },
    ];
  });
}

function outcomes(state: OpenedJourneyState, journeyId: string): ReferralOutcomeRow[] {
  return Object.values(state.referrals)
    .filter(
      (r) =>
        NEEDS_ACTION.has(r.status) &&
        (r.acknowledgedAt ?? null) === null &&
        !(r.status === 'rejected' && r.redirectReferralId !== null),
    )
    .map((r) => ({
      referralId: r.referralId,
      journeyId,
      patientId: state.patientId,
      direction: r.direction,
      priority: r.priority,
      department: r.department,
      fromInstitutionId: r.from.institutionId,
      toInstitutionId: r.to.institutionId,
      status: r.status as ReferralOutcomeRow['status'],
      requestedAt: r.requestedAt,
      deadline: r.deadline,
      outcomeAt: r.updatedAt,
      rejectionReason: r.rejectionReason,
      escalatedToAllianceId: r.escalatedToAllianceId ?? null,
    }));
}

// `?? {}`: a state cached from before issue 20 has no proposals or follow-ups (contract: empty records).
function proposals(state: OpenedJourneyState, journeyId: string): TransferProposalRow[] {
  return Object.values(state.proposals ?? {})
    .filter((p) => p.status === 'open')
    .map((p) => ({
      proposalId: p.proposalId,
      journeyId,
      patientId: state.patientId,
      admissionId: p.admissionId,
      surgeryId: p.surgeryId,
      fromInstitutionId: p.from.institutionId,
      toInstitutionId: p.to.institutionId,
      basis: p.basis,
      signedDoctorId: p.signedDoctorId,
      proposedAt: p.proposedAt,
    }));
}

function followUps(state: OpenedJourneyState, journeyId: string): FollowUpRow[] {
  return Object.values(state.followUps ?? {})
    .filter((f) => f.status === 'owed')
    .map((f) => ({
      followUpId: f.followUpId,
      journeyId,
      patientId: state.patientId,
      admissionId: f.admissionId,
      dischargedAt: f.dischargedAt,
      owedByInstitutionId: f.owedBy.institutionId,
      signedDoctorId: f.signedDoctorId,
      dueBy: f.dueBy,
      basis: f.basis,
    }));
}
