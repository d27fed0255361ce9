import { inOneSnapshot, type SqlReader } from '../runtime/sql-reader';
import { followUpsTable, referralOutcomesTable, transferProposalsTable } from './worklist.projection';
import { decodeCursor, instant, page, type SortKey } from './worklist-page';

export const ACTION_KINDS = [
  'referral-rejected',
  'referral-expired',
  'escalation',
  'follow-up-overdue',
  'transfer-proposal',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** What clears an item (docs/worklists.md, "Action required"); `await-decision`: the other side's to take. */
export const ACTIONS = ['acknowledge', 'complete-follow-up', 'accept-or-decline', 'await-decision'] as const;
export type Action = (typeof ACTIONS)[number];

/** One thing waiting on this institution: ids, the care times it is about, and what clears it. */
export interface ActionItem {
  readonly kind: ActionKind;
  readonly journeyId: string;
  readonly patientId: string;
  readonly referralId: string | null;
  readonly proposalId: string | null;
  readonly followUpId: string | null;
  readonly admissionId: string | null;
  /** Care time it became this institution's to act on: the rejection, the expiry, the due date, the proposal. */
  readonly at: string;
  readonly fromInstitutionId: string | null;
  readonly toInstitutionId: string | null;
  readonly priority: string | null;
  readonly department: string | null;
  readonly requestedAt: string | null;
  readonly deadline: string | null;
  readonly rejectionReason: string | null;
  readonly escalatedToAllianceId: string | null;
  readonly dischargedAt: string | null;
  readonly dueBy: string | null;
  readonly action: Action;
  /** The route that clears it (method and path), null when it is the other side's to clear. */
  readonly clearedBy: string | null;
}

export interface ActionRequired {
  readonly institutionId: string;
  readonly at: string;
  readonly items: ActionItem[];
  /** The next page's cursor, or null at the end. */
  readonly next: string | null;
}

export interface ActionRequiredFilter {
  readonly kind?: ActionKind | undefined;
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

const NONE = {
  referralId: null,
  proposalId: null,
  followUpId: null,
  admissionId: null,
  fromInstitutionId: null,
  toInstitutionId: null,
  priority: null,
  department: null,
  requestedAt: null,
  deadline: null,
  rejectionReason: null,
  escalatedToAllianceId: null,
  dischargedAt: null,
  dueBy: null,
} as const;

/**
 * The action-required list of an institution, oldest first. `allianceId`: its alliance, whose escalations it sees
 * when `escalations` (coordinators only); `now` (the caller's clock) decides which follow-ups are overdue.
 */
export async function queryActionRequired(
  reader: SqlReader,
  institutionId: string,
  options: { allianceId: string | null; escalations: boolean; now: number },
  filter: ActionRequiredFilter = {},
): Promise<ActionRequired> {
  const params = { institutionId, allianceId: options.allianceId };
  // One snapshot: an item cleared by a commit is gone from every list or from none.
  const [outcomes, escalated, followUps, proposals] = await inOneSnapshot(reader, (snapshot) =>
    Promise.all([
      snapshot.all('SELECT * FROM referral_outcomes WHERE from_institution_id = @institutionId', params),
      // The referrer sees its own escalated referral once, as expired (with the alliance it went to).
      options.escalations && options.allianceId !== null
        ? snapshot.all(
            'SELECT * FROM referral_outcomes WHERE escalated_to_alliance_id = @allianceId AND from_institution_id <> @institutionId',
            params,
          )
        : [],
      snapshot.all('SELECT * FROM follow_ups WHERE owed_by_institution_id = @institutionId', params),
      snapshot.all(
        'SELECT * FROM transfer_proposals WHERE from_institution_id = @institutionId OR to_institution_id = @institutionId',
        params,
      ),
    ]),
  );
  const items: ActionItem[] = [];
  const outcome = (row: unknown, kind: ActionKind) => {
    const r = referralOutcomesTable.read(row);
    items.push({
      ...NONE,
      kind,
      journeyId: r.journeyId,
      patientId: r.patientId,
      referralId: r.referralId,
      at: r.outcomeAt,
      fromInstitutionId: r.fromInstitutionId,
      toInstitutionId: r.toInstitutionId,
      priority: r.priority,
      department: r.department,
      requestedAt: r.requestedAt,
      deadline: r.deadline,
      rejectionReason: r.rejectionReason,
      escalatedToAllianceId: r.escalatedToAllianceId,
      action: 'acknowledge',
      clearedBy: `POST /journeys/${r.journeyId}/referrals/${r.referralId}/acknowledge`,
    });
  };
  for (const row of outcomes)
    outcome(
      row,
      (row as { status: string }).status === 'rejected' ? 'referral-rejected' : 'referral-expired',
    );
  for (const row of escalated) outcome(row, 'escalation');
  for (const row of followUps) {
    const f = followUpsTable.read(row);
    if (!(Date.parse(f.dueBy) < options.now)) continue;
    items.push({
      ...NONE,
      kind: 'follow-up-overdue',
      journeyId: f.journeyId,
      patientId: f.patientId,
      followUpId: f.followUpId,
      admissionId: f.admissionId,
      at: f.dueBy,
      dischargedAt: f.dischargedAt,
      dueBy: f.dueBy,
      action: 'complete-follow-up',
      clearedBy: `POST /journeys/${f.journeyId}/follow-ups/${f.followUpId}/complete`,
    });
  }
  for (const row of proposals) {
    const p = transferProposalsTable.read(row);
    const deciding = p.fromInstitutionId === institutionId;
    items.push({
      ...NONE,
      kind: 'transfer-proposal',
      journeyId: p.journeyId,
      patientId: p.patientId,
      proposalId: p.proposalId,
      admissionId: p.admissionId,
      at: p.proposedAt,
      fromInstitutionId: p.fromInstitutionId,
      toInstitutionId: p.toInstitutionId,
      action: deciding ? 'accept-or-decline' : 'await-decision',
      clearedBy: deciding ? `POST /journeys/${p.journeyId}/proposals/${p.proposalId}/{accept,decline}` : null,
    });
  }
  const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, ['action-required']);
  const served = page(
    'action-required',
    items.filter((i) => filter.kind === undefined || i.kind === filter.kind),
    itemKey,
    cursor?.after,
    filter.limit,
  );
  return { institutionId, at: new Date(options.now).toISOString(), items: served.rows, next: served.next };
}

const itemKey = (i: ActionItem): SortKey => [
  instant(i.at),
  i.kind,
  i.referralId ?? i.proposalId ?? i.followUpId ?? '',
];
