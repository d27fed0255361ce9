import { Controller, Get, Headers, Inject, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { parsePeriod, type Period, PeriodError, queryLiveCensus } from '@carepath/projections';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { FieldException } from '../common/http-errors';
import type { HeaderReply } from '../common/write-response';
import { ProjectionsService } from '../projections/projections.service';
import { CLOCK, type Clock } from '../store/tokens';
import { HeavyWork } from '../work/heavy-work.service';
import { type AnalyticsQuery, projectionOf, runAnalyticsQuery } from './analytics-query';
import {
  DownwardKpiDto,
  FollowUpsDto,
  TransferProposalsDto,
  LiveCensusDto,
  LocalTreatmentDto,
  ReferralVolumeDto,
  WardOccupancyDto,
} from './analytics-response.dto';
import { respond } from './csv';
import {
  DownwardKpiQueryDto,
  FollowUpsQueryDto,
  TransferProposalsQueryDto,
  LiveCensusQueryDto,
  LocalTreatmentQueryDto,
  ReferralVolumeQueryDto,
  WardOccupancyQueryDto,
} from './analytics.dto';

function period(query: { period?: string; from?: string; to?: string }): Period {
  try {
    return parsePeriod(query);
  } catch (error) {
    if (error instanceof PeriodError) throw new FieldException(error.field, error.message);
    throw error;
  }
}

/**
 * Indicator read models (docs/analytics.md); every figure comes from the projections, never the log.
 */
@ApiTags('analytics')
@ApiProduces('application/json', 'text/csv')
@Controller()
export class AnalyticsController {
  constructor(
    private readonly projections: ProjectionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly work: HeavyWork,
  ) {}

  @Get('analytics/ward-occupancy')
  @ApiOkResponse({ type: WardOccupancyDto })
  @ApiOperation({ summary: 'Bed-use rate by midnight census, open bed-days, turnover, average stay' })
  async wardOccupancy(
    @Query() q: WardOccupancyQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const p = period(q);
    const groupBy = q.groupBy ?? 'ward';
    const options = { timeZone: this.config.censusTimeZone, heldBedRule: this.config.heldBedRule };
    const filter = { institutionId: q.institutionId, wardId: q.wardId, allianceId: q.allianceId };
    const { rows, asOf } = await this.read(
      { query: 'ward-occupancy', period: p, filter, groupBy, ...options },
      q.asOf,
    );
    return respond(accept, reply, q.format, { period: p, groupBy, ...options, ...asOf }, rows);
  }

  @Get('analytics/ward-occupancy/live')
  @ApiOkResponse({ type: LiveCensusDto })
  @ApiOperation({ summary: 'Census now: occupied, open beds, extra beds, on leave, rate, per ward' })
  async liveCensus(
    @Query() q: LiveCensusQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const now = this.clock();
    const { heldBedRule } = this.config;
    const rows = await queryLiveCensus(this.projections.sql('ward-occupancy'), q, now.getTime(), heldBedRule);
    return respond(accept, reply, q.format, { at: now.toISOString(), heldBedRule }, rows);
  }

  @Get('analytics/referrals')
  @ApiOkResponse({ type: ReferralVolumeDto })
  @ApiOperation({
    summary:
      'Referral person-times by direction, setting, institution, alliance, period; outcomes; time to decision',
  })
  async referrals(
    @Query() q: ReferralVolumeQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const p = period(q);
    const groupBy = q.groupBy ?? ['direction'];
    const unit = q.unit ?? p.unit ?? 'month';
    const filter = {
      direction: q.direction,
      setting: q.setting,
      institutionId: q.institutionId,
      allianceId: q.allianceId,
    };
    const { rows, asOf } = await this.read(
      {
        query: 'referral-volume',
        period: p,
        filter,
        groupBy,
        timeZone: this.config.censusTimeZone,
        unit,
      },
      q.asOf,
    );
    return respond(
      accept,
      reply,
      q.format,
      { period: p, groupBy, unit: groupBy.includes('period') ? unit : null, ...asOf },
      rows,
    );
  }

  @Get('analytics/referrals/transfer-proposals')
  @ApiOkResponse({ type: TransferProposalsDto })
  @ApiOperation({
    summary:
      'Downward transfer proposals made, accepted, declined by reason, lapsed and open, by institution, alliance, period',
  })
  async transferProposals(
    @Query() q: TransferProposalsQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const p = period(q);
    const groupBy = q.groupBy ?? ['fromInstitution'];
    const unit = q.unit ?? p.unit ?? 'month';
    const { rows, asOf } = await this.read(
      {
        query: 'transfer-proposals',
        period: p,
        filter: { institutionId: q.institutionId, allianceId: q.allianceId },
        groupBy,
        timeZone: this.config.censusTimeZone,
        unit,
      },
      q.asOf,
    );
    const meta = { period: p, groupBy, unit: groupBy.includes('period') ? unit : null, ...asOf };
    return respond(accept, reply, q.format, meta, rows);
  }

  @Get('analytics/referrals/follow-ups')
  @ApiOkResponse({ type: FollowUpsDto })
  @ApiOperation({
    summary: 'Discharge follow-ups owed, done in time, done late, overdue; the completion rate',
  })
  async followUps(
    @Query() q: FollowUpsQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const p = period(q);
    const groupBy = q.groupBy ?? ['institution'];
    const unit = q.unit ?? p.unit ?? 'month';
    // Overdue is judged when the figure is reported: now, or the asOf instant of a replay.
    const at = q.asOf ? Date.parse(q.asOf) : this.clock().getTime();
    const { rows, asOf } = await this.read(
      {
        query: 'follow-ups',
        period: p,
        filter: { institutionId: q.institutionId, allianceId: q.allianceId },
        groupBy,
        timeZone: this.config.censusTimeZone,
        unit,
        at,
      },
      q.asOf,
    );
    const meta = {
      period: p,
      at: new Date(at).toISOString(),
      groupBy,
      unit: groupBy.includes('period') ? unit : null,
      ...asOf,
    };
    return respond(accept, reply, q.format, meta, rows);
  }

  @Get('analytics/referrals/downward-kpi')
  @ApiOkResponse({ type: DownwardKpiDto })
  @ApiOperation({ summary: 'Tertiary KPI: downward transfers per year, outpatient and inpatient, growth' })
  async downwardKpi(
    @Query() q: DownwardKpiQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const { rows } = await this.read(
      {
        query: 'downward-kpi',
        year: q.year,
        institutionId: q.institutionId,
        timeZone: this.config.censusTimeZone,
      },
      undefined,
    );
    return respond(accept, reply, q.format, { year: q.year }, rows);
  }

  @Get('analytics/local-treatment')
  @ApiOkResponse({ type: LocalTreatmentDto })
  @ApiOperation({ summary: 'Community share, residents’ community share, in-region rate' })
  async localTreatment(
    @Query() q: LocalTreatmentQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const p = period(q);
    const groupBy = q.groupBy ?? (q.allianceId ? 'alliance' : 'region');
    if (groupBy === 'region' && q.allianceId)
      throw new FieldException('allianceId', 'applies to groupBy=alliance only');
    if (groupBy === 'alliance' && q.region)
      throw new FieldException('region', 'applies to groupBy=region only');
    const { rows, asOf } = await this.read(
      {
        query: 'local-treatment',
        period: p,
        groupBy,
        region: q.region,
        allianceId: q.allianceId,
        timeZone: this.config.censusTimeZone,
      },
      q.asOf,
    );
    return respond(accept, reply, q.format, { period: p, groupBy, ...asOf }, rows);
  }

  /**
   * Live read models, or with `asOf` a replay of the log as it stood then into a scratch projection; either way in a
   * heavy-work thread within its budget, since a long period or a replay holds a core for a while (issue 15).
   */
  private async read(
    query: AnalyticsQuery,
    asOf: string | undefined,
  ): Promise<{ rows: unknown[]; asOf: { asOf?: string; asOfPosition?: string } }> {
    if (!asOf) return { rows: await this.inService(query), asOf: {} };
    const { position, rows } = await this.work.analyticsAsOf(query, asOf);
    return { rows, asOf: { asOf, asOfPosition: position.toString() } };
  }

  /**
   * The query on the generation in service. The thread opens the file by its name, after this thread picked it: a
   * rebuild that puts a new generation in service in between removes that file, and the thread cannot open it. The
   * query then runs once more on the generation now in service, which holds at least what the old one did.
   */
  private async inService(query: AnalyticsQuery): Promise<unknown[]> {
    const projection = projectionOf(query);
    // In PostgreSQL the database does the reading, and any API process may ask (docs/scaling.md).
    if (this.projections.onPostgres(projection))
      return runAnalyticsQuery(this.projections.sql(projection), query);
    const picked = this.projections.reader(projection);
    try {
      return await this.work.analytics(picked, query);
    } catch (error) {
      const now = this.projections.reader(projection);
      if (now.name === picked.name) throw error;
      return this.work.analytics(now, query);
    }
  }
}
