import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { uuid } from '../common/params';
import { Ctx, type RequestContext } from '../common/request-context';
import { ApiWritten, type HeaderReply, type WriteResponse } from '../common/write-response';
import { CompleteFollowUpDto } from './care-processes.dto';
import { JourneyWriteHeaders, JourneyWrites } from './journey-writes';

/**
 * The owing community centre records a follow-up as done (docs/domain.md, "Follow-up after discharge"). A visit
 * there in time does it without this; this is for a follow-up done another way (a home visit, a call) or late.
 */
@ApiTags('journeys')
@JourneyWriteHeaders()
@Controller('journeys/:journeyId/follow-ups')
export class FollowUpsController {
  constructor(private readonly writes: JourneyWrites) {}

  @Post(':followUpId/complete')
  @ApiWritten()
  @ApiOperation({
    summary: 'Record a follow-up after discharge as done, naming its visit when there was one',
  })
  complete(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('followUpId', uuid('followUpId')) followUpId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CompleteFollowUpDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const command = {
      type: 'CompleteFollowUp',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { followUpId, visitId: body.visitId ?? null },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { followUpId, body } });
  }
}
