import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { regionPopulationDecider, regionPopulationStreamId } from '@carepath/domain';
import { FieldException } from '../common/http-errors';
import { Ctx, type RequestContext } from '../common/request-context';
import { REGION_CODE } from '../common/validation';
import { ApiWritten, type HeaderReply } from '../common/write-response';
import { StreamWrites, writeAnswer } from '../store/stream-writes';
import { RecordPopulationDto } from './population.dto';

/**
 * A region's resident population as reference data, as events (docs/family-doctors.md, "Coverage"): the
 * denominators of family-doctor coverage come from the region's statistics, never from the contracts.
 */
@ApiTags('population')
@Controller('regions')
export class PopulationController {
  constructor(private readonly streams: StreamWrites) {}

  @Post(':regionCode/population')
  @ApiWritten()
  @ApiOperation({
    summary: "Record a region's resident and key-group population from a date (revises that date's)",
  })
  async record(
    @Param('regionCode') regionCode: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RecordPopulationDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    if (!REGION_CODE.test(regionCode))
      throw new FieldException('regionCode', 'must be a region code (GB/T 2260)');
    const { occurredAt, byKeyGroup, centres, ...figures } = body;
    const result = await this.streams.write(
      reply,
      ctx,
      regionPopulationDecider,
      {
        type: 'RecordRegionPopulation',
        metadata: this.streams.metadata(ctx, occurredAt),
        data: { regionCode, ...figures, byKeyGroup: byKeyGroup ?? {}, centres: centres ?? [] },
      },
      {
        streamId: regionPopulationStreamId(regionCode),
        fingerprint: { kind: 'RecordRegionPopulation', regionCode, body },
      },
    );
    return { regionCode, ...writeAnswer(result) };
  }
}
