import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { WritePath } from '@carepath/write-path';
import { uuid } from '../common/params';
import { Ctx, type RequestContext } from '../common/request-context';
import { ApiWritten, type HeaderReply, type WriteResponse } from '../common/write-response';
import { HolidayCalendars } from '../reference/holiday-calendars';
import { AcceptTransferProposalDto, DeclineTransferProposalDto } from './care-processes.dto';
import { JourneyWriteHeaders, JourneyWrites } from './journey-writes';
import { signedDoctorOn } from './signed-doctor';

/**
 * The hospital holding a stay answers a downward transfer proposal (docs/domain.md, "Downward transfer
 * proposals"): accepted, it becomes the downward referral in the same write; declined, it says why with a code.
 */
@ApiTags('referrals')
@JourneyWriteHeaders()
@Controller('journeys/:journeyId/proposals')
export class ProposalsController {
  constructor(
    private readonly writes: JourneyWrites,
    private readonly writePath: WritePath,
    private readonly calendars: HolidayCalendars,
  ) {}

  @Post(':proposalId/accept')
  @ApiWritten()
  @ApiOperation({
    summary: 'Accept a downward transfer proposal: it becomes a downward referral (referralId)',
  })
  async accept(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('proposalId', uuid('proposalId')) proposalId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: AcceptTransferProposalDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const referralId = this.writes.newId(ctx, journeyId, 'referralId');
    const command = {
      type: 'AcceptTransferProposal',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        proposalId,
        referralId,
        department: body.department,
        priority: body.priority,
        setting: body.setting,
        reasonCode: body.reasonCode,
        // The same deadline rules and calendar as a downward referral requested directly.
        deadlinePolicy: await this.calendars.deadlinePolicy(),
        ...(await signedDoctorOn(this.writePath, journeyId, body.occurredAt)),
      },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, {
      inputs: { proposalId, body },
      created: { referralId },
    });
  }

  @Post(':proposalId/decline')
  @ApiWritten()
  @ApiOperation({ summary: 'Decline a downward transfer proposal with a reason code' })
  decline(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('proposalId', uuid('proposalId')) proposalId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: DeclineTransferProposalDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const command = {
      type: 'DeclineTransferProposal',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { proposalId, reason: body.reason },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { proposalId, body } });
  }
}
