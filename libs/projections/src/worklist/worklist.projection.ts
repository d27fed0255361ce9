import { entryOf } from '@carepath/domain';
import { currentStays } from '../model/journey-rows.model';
import { journeyProjection } from '../runtime/journey-projection';
import { flag, nullable, readModelTable, text, textOf } from '../runtime/read-model-table';

const OPEN_REFERRAL = new Set(['requested', 'received', 'accepted', 'in-progress']);

/** A referral still waiting on someone, as recorded (care times as the journey states them). */
export interface OpenReferralRow {
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
  readonly updatedAt: string;
}

export const openReferralsTable = readModelTable<OpenReferralRow>(
  'open_referrals',
  {
    referralId: text,
    journeyId: text,
    direction: text,
    priority: text,
    setting: text,
    department: text,
    fromInstitutionId: text,
    toInstitutionId: text,
    status: text,
    requestedAt: text,
    deadline: text,
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

/** What coordinators act on: open referrals and current stays, per institution. */
export const worklistProjection = journeyProjection({
  name: 'worklist',
  // 2: current stays are the stay fold's open placements (currentStays), no longer the admissions' status.
  version: 2,
  tables: [openReferralsTable, currentStaysTable],
  derive: (state, journeyId) => [
    Object.values(state.referrals)
      .filter((r) => OPEN_REFERRAL.has(r.status))
      .map((r) => ({
        referralId: r.referralId,
        journeyId,
        direction: r.direction,
        priority: r.priority,
        setting: r.setting,
        department: r.department,
        fromInstitutionId: r.from.institutionId,
        toInstitutionId: r.to.institutionId,
        status: r.status,
        requestedAt: r.requestedAt,
        deadline: r.deadline,
        updatedAt: r.updatedAt,
      })),
    currentStays(state, journeyId).flatMap((placement) => {
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
    }),
  ],
});
