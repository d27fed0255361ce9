import { localDate, periodKey, type PeriodUnit, startOfLocalDay } from '../model/care-calendar';
import type { Period } from '../model/period.model';
import {
  type FollowUpFigures,
  followUpFigures,
  type FollowUpOutcomeRow,
  type ProposalOutcomeRow,
  type TransferProposalFigures,
  transferProposalFigures,
} from '../model/referral-volume.model';
import type { SqlReader } from '../runtime/sql-reader';
import { followUpOutcomesTable, proposalOutcomesTable } from './referral-volume.projection';

/*
 * The care processes' outcomes beside the referral volume (docs/analytics.md, "Transfer proposals" and "Follow-up
 * completion"): proposals counted in the period they were made, follow-ups in the period of the discharge that owed
 * them, each grouped by institution, alliance, period or basis.
 */

export const PROPOSAL_GROUPS = ['fromInstitution', 'toInstitution', 'alliance', 'period', 'basis'] as const;
export type ProposalGroup = (typeof PROPOSAL_GROUPS)[number];
export const FOLLOW_UP_GROUPS = ['institution', 'alliance', 'period', 'basis'] as const;
export type FollowUpGroup = (typeof FOLLOW_UP_GROUPS)[number];

export interface CareProcessFilter {
  /** Proposals from or to this institution; follow-ups owed by it. */
  readonly institutionId?: string;
  /** Proposals with either side in this alliance; follow-ups owed by a centre in it. */
  readonly allianceId?: string;
}

export interface GroupedFigures<F> {
  readonly group: Readonly<Record<string, string | null>>;
  readonly figures: F;
}

interface QueryOptions {
  readonly timeZone: string;
  readonly unit: PeriodUnit;
}

function grouped<R, F>(
  rows: readonly R[],
  keyOf: (row: R) => Record<string, string | null>,
  figures: (rows: readonly R[]) => F,
): GroupedFigures<F>[] {
  const buckets = new Map<string, { group: Record<string, string | null>; rows: R[] }>();
  for (const row of rows) {
    const group = keyOf(row);
    const key = JSON.stringify(group);
    const bucket = buckets.get(key) ?? { group, rows: [] };
    bucket.rows.push(row);
    buckets.set(key, bucket);
  }
  return [...buckets.values()]
    .map((b) => ({ group: b.group, figures: figures(b.rows) }))
    .sort((a, b) => JSON.stringify(a.group).localeCompare(JSON.stringify(b.group)));
}

/** Which alliance a proposal counts for: the shared one, or `cross-alliance`, as for referrals. */
const allianceOf = (from: string | null, to: string | null) =>
  from !== null && from === to ? from : 'cross-alliance';

/** Proposals made in the period, by the requested groups, with their outcomes. */
export async function queryTransferProposals(
  reader: SqlReader,
  period: Period,
  filter: CareProcessFilter,
  groupBy: readonly ProposalGroup[],
  options: QueryOptions,
): Promise<GroupedFigures<TransferProposalFigures>[]> {
  // CAST: PostgreSQL types a parameter at its first use, and `@name IS NULL` alone says nothing of the type.
  const stored = await reader.all(
    `SELECT * FROM proposal_outcomes WHERE proposed_at >= @start AND proposed_at < @end
       AND (CAST(@institutionId AS TEXT) IS NULL OR from_institution_id = @institutionId OR to_institution_id = @institutionId)
       AND (CAST(@allianceId AS TEXT) IS NULL OR from_alliance_id = @allianceId OR to_alliance_id = @allianceId)`,
    window(period, filter, options.timeZone),
  );
  const rows = stored.map((row) => proposalOutcomesTable.read(row));
  return grouped(
    rows,
    (r: ProposalOutcomeRow) => {
      const key: Record<string, string | null> = {};
      for (const g of groupBy) {
        if (g === 'fromInstitution') key.fromInstitutionId = r.fromInstitutionId;
        if (g === 'toInstitution') key.toInstitutionId = r.toInstitutionId;
        if (g === 'alliance') key.allianceId = allianceOf(r.fromAllianceId, r.toAllianceId);
        if (g === 'period') key.period = periodKey(localDate(r.proposedAt, options.timeZone), options.unit);
        if (g === 'basis') key.basis = r.basis;
      }
      return key;
    },
    transferProposalFigures,
  );
}

/**
 * Follow-ups owed for discharges in the period, by the requested groups, as they stand at `at` (epoch ms: now, or
 * the asOf instant), which decides which are overdue and which not yet due.
 */
export async function queryFollowUps(
  reader: SqlReader,
  period: Period,
  filter: CareProcessFilter,
  groupBy: readonly FollowUpGroup[],
  options: QueryOptions & { readonly at: number },
): Promise<GroupedFigures<FollowUpFigures>[]> {
  const stored = await reader.all(
    `SELECT * FROM follow_up_outcomes WHERE discharged_at >= @start AND discharged_at < @end
       AND (CAST(@institutionId AS TEXT) IS NULL OR owed_by_institution_id = @institutionId)
       AND (CAST(@allianceId AS TEXT) IS NULL OR owed_by_alliance_id = @allianceId)`,
    window(period, filter, options.timeZone),
  );
  const rows = stored.map((row) => followUpOutcomesTable.read(row));
  return grouped(
    rows,
    (r: FollowUpOutcomeRow) => {
      const key: Record<string, string | null> = {};
      for (const g of groupBy) {
        if (g === 'institution') key.owedByInstitutionId = r.owedByInstitutionId;
        if (g === 'alliance') key.allianceId = r.owedByAllianceId;
        if (g === 'period') key.period = periodKey(localDate(r.dischargedAt, options.timeZone), options.unit);
        if (g === 'basis') key.basis = r.basis;
      }
      return key;
    },
    (rs) => followUpFigures(rs, options.at),
  );
}

function window(period: Period, filter: CareProcessFilter, timeZone: string) {
  return {
    start: startOfLocalDay(period.from, timeZone),
    end: startOfLocalDay(period.to, timeZone),
    institutionId: filter.institutionId ?? null,
    allianceId: filter.allianceId ?? null,
  };
}
