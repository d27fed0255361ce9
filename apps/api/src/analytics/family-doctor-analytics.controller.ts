import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags, ApiOkResponse } from '@nestjs/swagger';
import {
  addDays,
  parsePeriod,
  type Period,
  PeriodError,
  queryCoverage,
  querySlotUse,
} from '@carepath/projections';
import { FieldException } from '../common/http-errors';
import type { HeaderReply } from '../common/write-response';
import { ProjectionsService } from '../projections/projections.service';
import { respond } from './csv';
import { CoverageDto, SlotUseDto } from '../family-doctors-read/family-doctor-reads.response';
import { CoverageQueryDto, SlotUseQueryDto } from './family-doctor-analytics.dto';

function period(query: { period?: string; from?: string; to?: string; asOf?: string }): Period {
  // These read models keep no history of their own rows: a figure as reported at an earlier instant is not offered.
  if (query.asOf !== undefined) throw new FieldException('asOf', 'is not offered for this indicator');
  try {
    return parsePeriod(query);
  } catch (error) {
    if (error instanceof PeriodError) throw new FieldException(error.field, error.message);
    throw error;
  }
}

const KEY_NAME = { region: 'regionCode', centre: 'centreId', alliance: 'allianceId' } as const;

/**
 * Family-doctor coverage and specialist-slot use (docs/analytics.md, "Family-doctor coverage" and "Slot use"), from
 * the family-doctor and slot-pool read models. Each is one indexed, grouped read of the rows in force on a date or
 * dated in a period, with no replay of the log, so it is answered here rather than in a heavy-work thread.
 */
@ApiTags('analytics')
@ApiProduces('application/json', 'text/csv')
@Controller('analytics')
export class FamilyDoctorAnalyticsController {
  constructor(private readonly projections: ProjectionsService) {}

  @Get('family-doctor-coverage')
  @ApiOkResponse({
    type: CoverageDto,
    description: 'JSON, or CSV of the rows with format=csv or Accept: text/csv',
  })
  @ApiOperation({
    summary:
      'Family-doctor coverage and key-group coverage on the last day of the period, by region, centre or alliance',
  })
  async coverage(
    @Query() q: CoverageQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const p = period(q);
    const groupBy = q.groupBy ?? 'region';
    // Coverage is a stock, not a flow: it is read on one day, the period's last (docs/analytics.md).
    const on = addDays(p.to, -1);
    const filter = { region: q.region, centreId: q.centreId, allianceId: q.allianceId };
    const rows = (await queryCoverage(this.projections.sql('family-doctor'), on, groupBy, filter)).map(
      ({ key, ...figures }) => ({ [KEY_NAME[groupBy]]: key, ...figures }),
    );
    return respond(accept, reply, q.format, { period: p, on, groupBy }, rows);
  }

  @Get('slot-use')
  @ApiOkResponse({
    type: SlotUseDto,
    description: 'JSON, or CSV of the rows with format=csv or Accept: text/csv',
  })
  @ApiOperation({
    summary:
      'Specialist slots by hospital for sessions in the period: utilisation, no-shows, priority, key groups',
  })
  async slotUse(
    @Query() q: SlotUseQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const p = period(q);
    const rows = await querySlotUse(this.projections.sql('slot-pool'), p, {
      ...(q.hospitalId !== undefined ? { hospitalId: q.hospitalId } : {}),
      ...(q.allianceId !== undefined ? { allianceId: q.allianceId } : {}),
    });
    return respond(accept, reply, q.format, { period: p }, rows);
  }
}
