import {
  type CareProcessFilter,
  type FollowUpGroup,
  type HeldBedRule,
  type ProposalGroup,
  queryFollowUps,
  queryTransferProposals,
  type OccupancyFilter,
  type OccupancyGroup,
  type Period,
  type PeriodUnit,
  queryDownwardTransferKpi,
  queryLocalTreatmentByAlliance,
  queryLocalTreatmentByRegion,
  queryReferralVolume,
  queryWardOccupancy,
  type ReferralFilter,
  type ReferralGroup,
  type SqlReader,
} from '@carepath/projections';

/**
 * An analytics query as data, so that it can be sent to a heavy-work thread (a function cannot cross threads): the
 * thread opens the read model's file on a connection of its own and runs it there (issue 15).
 */
export type AnalyticsQuery =
  | {
      readonly query: 'ward-occupancy';
      readonly period: Period;
      readonly filter: OccupancyFilter;
      readonly groupBy: OccupancyGroup;
      readonly timeZone: string;
      readonly heldBedRule: HeldBedRule;
    }
  | {
      readonly query: 'referral-volume';
      readonly period: Period;
      readonly filter: ReferralFilter;
      readonly groupBy: readonly ReferralGroup[];
      readonly timeZone: string;
      readonly unit: PeriodUnit;
    }
  | {
      readonly query: 'downward-kpi';
      readonly year: string;
      readonly institutionId: string | undefined;
      readonly timeZone: string;
    }
  | {
      readonly query: 'transfer-proposals';
      readonly period: Period;
      readonly filter: CareProcessFilter;
      readonly groupBy: readonly ProposalGroup[];
      readonly timeZone: string;
      readonly unit: PeriodUnit;
    }
  | {
      readonly query: 'follow-ups';
      readonly period: Period;
      readonly filter: CareProcessFilter;
      readonly groupBy: readonly FollowUpGroup[];
      readonly timeZone: string;
      readonly unit: PeriodUnit;
      /** Epoch ms overdue is judged at: now, or the asOf instant. */
      readonly at: number;
    }
  | {
      readonly query: 'local-treatment';
      readonly period: Period;
      readonly groupBy: 'region' | 'alliance';
      readonly region: string | undefined;
      readonly allianceId: string | undefined;
      readonly timeZone: string;
    };

/** The projection whose read model answers a query. */
export function projectionOf(q: AnalyticsQuery): 'ward-occupancy' | 'referral-volume' | 'local-treatment' {
  switch (q.query) {
    case 'ward-occupancy':
      return 'ward-occupancy';
    case 'referral-volume':
    case 'downward-kpi':
    case 'transfer-proposals':
    case 'follow-ups':
      return 'referral-volume';
    case 'local-treatment':
      return 'local-treatment';
  }
}

export function runAnalyticsQuery(reader: SqlReader, q: AnalyticsQuery): Promise<unknown[]> {
  switch (q.query) {
    case 'ward-occupancy':
      return queryWardOccupancy(reader, q.period, q.filter, q.groupBy, {
        timeZone: q.timeZone,
        heldBedRule: q.heldBedRule,
      });
    case 'referral-volume':
      return queryReferralVolume(reader, q.period, q.filter, q.groupBy, {
        timeZone: q.timeZone,
        unit: q.unit,
      });
    case 'downward-kpi':
      return queryDownwardTransferKpi(reader, q.year, q.institutionId, q.timeZone);
    case 'transfer-proposals':
      return queryTransferProposals(reader, q.period, q.filter, q.groupBy, {
        timeZone: q.timeZone,
        unit: q.unit,
      });
    case 'follow-ups':
      return queryFollowUps(reader, q.period, q.filter, q.groupBy, {
        timeZone: q.timeZone,
        unit: q.unit,
        at: q.at,
      });
    case 'local-treatment':
      return q.groupBy === 'region'
        ? queryLocalTreatmentByRegion(reader, q.period, q.region, q.timeZone)
        : queryLocalTreatmentByAlliance(reader, q.period, q.allianceId, q.timeZone);
  }
}
