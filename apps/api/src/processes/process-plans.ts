import {
  type FollowUpBasis,
  formatInOffset,
  type InstitutionSnapshot,
  type JourneyCommand,
  type SignedContractReference,
} from '@carepath/domain';
import type { ProcessActionRow, ProcessKind } from '@carepath/projections';
import type { ProcessConfig } from '@carepath/runtime';
import { deriveId } from '@carepath/write-path';

/*
 * What each process does with a due row, decided from the row, the institutions and the resident's contract: plain
 * functions, so the choice of centre, the care time and the follow-up window are specified without the app.
 */

export const PROCESS_NAMES = ['referral-deadlines', 'transfer-proposals', 'discharge-follow-ups'] as const;
export type ProcessName = (typeof PROCESS_NAMES)[number];

export const PROCESS_OF: Readonly<Record<ProcessKind, ProcessName>> = {
  'referral-reminder': 'referral-deadlines',
  'referral-expiry': 'referral-deadlines',
  'transfer-proposal': 'transfer-proposals',
  'follow-up': 'discharge-follow-ups',
};

export const DAY_MS = 86_400_000;

/** A command for the journey, with the care time it is recorded at; the shell adds who acts and when it records. */
export interface PlannedAct {
  readonly command: { readonly type: JourneyCommand['type']; readonly data: Record<string, unknown> };
  readonly occurredAt: string;
}

/** Nothing to do for this row, and why (counted as skipped in GET /processes). */
export interface Skip {
  readonly skip: string;
}

/**
 * The idempotency key of a process act: one per kind and subject, whenever and however often the process runs.
 * With it, a retry after a crash between the append and anything after it is a replay, never a second act.
 */
export const processKey = (row: Pick<ProcessActionRow, 'kind' | 'subjectId'>): string =>
  `process:${row.kind}:${row.subjectId}`;

/** The care time of an act: its due time, never ahead of the clock. */
export function actTime(dueMs: number, nowMs: number, offsetMinutes: number): string {
  return formatInOffset(Math.min(dueMs, nowMs), offsetMinutes);
}

export function planReminder(
  row: ProcessActionRow,
  dueMs: number,
  nowMs: number,
  offset: number,
): PlannedAct {
  return {
    command: { type: 'RemindReferral', data: { referralId: row.subjectId } },
    occurredAt: actTime(dueMs, nowMs, offset),
  };
}

/**
 * Expiry at the deadline itself (the decider refuses one before it), escalated to the alliance both sides share,
 * or else to the receiving side's alliance (docs/domain.md, "Escalation").
 */
export function planExpiry(row: ProcessActionRow): PlannedAct {
  const shared =
    row.institutionAllianceId !== null && row.institutionAllianceId === row.counterpartAllianceId
      ? row.institutionAllianceId
      : null;
  return {
    command: {
      type: 'ExpireReferral',
      data: { referralId: row.subjectId, escalateToAllianceId: shared ?? row.counterpartAllianceId ?? null },
    },
    occurredAt: row.deadline ?? row.startAt,
  };
}

/**
 * A community centre of `allianceId`, chosen the same way on every run: the journey's referring centre when it is
 * one of them, then one in the patient's residence region, then the lowest id.
 */
export function allianceCentre(
  institutions: readonly InstitutionSnapshot[],
  allianceId: string | null,
  row: Pick<ProcessActionRow, 'referringCentreId' | 'residenceRegion'>,
): InstitutionSnapshot | null {
  if (allianceId === null) return null;
  const centres = institutions
    .filter((i) => i.tier === 'community' && i.allianceId === allianceId)
    .sort((a, b) => (a.institutionId < b.institutionId ? -1 : a.institutionId > b.institutionId ? 1 : 0));
  return (
    centres.find((c) => c.institutionId === row.referringCentreId) ??
    centres.find((c) => c.regionCode === row.residenceRegion) ??
    centres[0] ??
    null
  );
}

/**
 * The downward transfer proposal (docs/domain.md, "Downward transfer proposals"): to the centre of the family
 * doctor the patient is signed with on the day, else to a community centre of the hospital's alliance.
 */
export function planProposal(
  row: ProcessActionRow,
  dueMs: number,
  nowMs: number,
  offset: number,
  institutions: readonly InstitutionSnapshot[],
  contract: SignedContractReference | null,
): PlannedAct | Skip {
  const occurredAt = actTime(dueMs, nowMs, offset);
  const signedCentre = contract
    ? institutions.find((i) => i.institutionId === contract.centreId && i.tier === 'community')
    : undefined;
  const to = signedCentre ?? allianceCentre(institutions, row.institutionAllianceId, row);
  if (!to) return { skip: 'no community centre: no signed doctor, none in the hospital’s alliance' };
  const signed = signedCentre !== undefined && contract !== null;
  return {
    command: {
      type: 'ProposeDownwardTransfer',
      data: {
        proposalId: deriveId('proposal', row.subjectId),
        surgeryId: row.subjectId,
        to,
        basis: signed ? 'signed-doctor' : 'alliance-centre',
        signedDoctorId: signed ? contract.doctorId : null,
      },
    },
    occurredAt,
  };
}

/**
 * The follow-up owed at a discharge home or to rehab: by the signed doctor's centre; else the rehab destination
 * when it is a community centre, the discharging centre when it is one, or the journey's referring centre; else a
 * centre of the discharging institution's alliance. Due within the priority days after surgery in the stay or for
 * a resident in a key group, the standard days otherwise.
 */
export function planFollowUp(
  row: ProcessActionRow,
  config: Pick<ProcessConfig, 'followUpDays' | 'followUpPriorityDays'>,
  offset: number,
  institutions: readonly InstitutionSnapshot[],
  contract: SignedContractReference | null,
): PlannedAct | Skip {
  const community = (id: string | null) =>
    id === null ? undefined : institutions.find((i) => i.institutionId === id && i.tier === 'community');
  const signedCentre = contract ? community(contract.centreId) : undefined;
  const owedBy =
    signedCentre ??
    community(row.counterpartId) ??
    community(row.institutionId) ??
    community(row.referringCentreId) ??
    allianceCentre(institutions, row.institutionAllianceId, row);
  if (!owedBy) return { skip: 'no community centre to owe the follow-up' };
  const basis: FollowUpBasis = row.afterSurgery
    ? 'after-surgery'
    : contract !== null && contract.keyGroups.length > 0
      ? 'key-group'
      : 'standard';
  const days = basis === 'standard' ? config.followUpDays : config.followUpPriorityDays;
  return {
    command: {
      type: 'OweFollowUp',
      data: {
        followUpId: deriveId('follow-up', row.subjectId),
        admissionId: row.subjectId,
        owedBy,
        signedDoctorId: signedCentre && contract ? contract.doctorId : null,
        dueBy: formatInOffset(row.startMs + days * DAY_MS, offset),
        basis,
      },
    },
    // At the discharge itself: the follow-up is owed from then, whenever the process got to it.
    occurredAt: row.startAt,
  };
}
