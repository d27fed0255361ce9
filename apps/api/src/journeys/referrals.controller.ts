import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { WritePath } from '@carepath/write-path';
import { uuid } from '../common/params';
import { Ctx, type RequestContext } from '../common/request-context';
import { ApiWritten, type HeaderReply, type WriteResponse } from '../common/write-response';
import { HolidayCalendars } from '../reference/holiday-calendars';
import { InstitutionDirectory } from '../reference/institution-directory';
import { SlotBlocks } from '../slots/slot-blocks';
import { CancelReferralDto, CareTimeDto, RejectReferralDto, RequestReferralDto } from './journey.dto';
import { JourneyWriteHeaders, JourneyWrites } from './journey-writes';
import { signedDoctorOn } from './signed-doctor';

/** A decision on a referral that needs nothing but its care time. */
type ReferralStep = 'ReceiveReferral' | 'AcceptReferral' | 'CompleteReferral' | 'ExpireReferral';

/** Referrals up (上转) and down (下转) and their decisions (docs/domain.md, "Referral workflow states"). */
@ApiTags('referrals')
@JourneyWriteHeaders()
@Controller('journeys/:journeyId/referrals')
export class ReferralsController {
  constructor(
    private readonly writes: JourneyWrites,
    private readonly institutions: InstitutionDirectory,
    private readonly slots: SlotBlocks,
    private readonly writePath: WritePath,
    private readonly calendars: HolidayCalendars,
  ) {}

  @Post()
  @ApiWritten()
  @ApiOperation({ summary: 'Request a referral: up (上转) or down (下转)' })
  async request(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RequestReferralDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const referralId = this.writes.newId(ctx, journeyId, 'referralId');
    const command = {
      type: 'RequestReferral',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        referralId,
        direction: body.direction,
        from: await this.institutions.snapshot(body.fromInstitutionId, 'fromInstitutionId'),
        to: await this.institutions.snapshot(body.toInstitutionId, 'toInstitutionId'),
        department: body.department,
        priority: body.priority,
        setting: body.setting,
        reasonCode: body.reasonCode,
        deadlinePolicy: await this.calendars.deadlinePolicy(),
        ...(await this.slots.referralBooking(journeyId, body)),
        ...(body.direction === 'down'
          ? await signedDoctorOn(this.writePath, journeyId, body.occurredAt)
          : {}),
      },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { body }, created: { referralId } });
  }

  @Post(':referralId/receive')
  @ApiWritten()
  @ApiOperation({ summary: 'Receiving institution acknowledges the referral' })
  receive(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    return this.step('ReceiveReferral', reply, ctx, journeyId, referralId, body);
  }

  @Post(':referralId/accept')
  @ApiWritten()
  @ApiOperation({ summary: 'Receiving institution accepts' })
  accept(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    return this.step('AcceptReferral', reply, ctx, journeyId, referralId, body);
  }

  @Post(':referralId/reject')
  @ApiWritten()
  @ApiOperation({ summary: 'Receiving institution rejects; capacity-full may redirect within the alliance' })
  async reject(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RejectReferralDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const redirectTo = body.redirectToInstitutionId
      ? await this.institutions.snapshot(body.redirectToInstitutionId, 'redirectToInstitutionId')
      : null;
    const redirectReferralId = redirectTo ? this.writes.newId(ctx, journeyId, 'redirectReferralId') : null;
    const command = {
      type: 'RejectReferral',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        referralId,
        reason: body.reason,
        redirectTo,
        redirectReferralId,
        deadlinePolicy: await this.calendars.deadlinePolicy(),
      },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, {
      inputs: { referralId, body },
      created: redirectReferralId ? { redirectReferralId } : {},
    });
  }

  @Post(':referralId/complete')
  @ApiWritten()
  @ApiOperation({ summary: 'Receiving institution completes the referral' })
  complete(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    return this.step('CompleteReferral', reply, ctx, journeyId, referralId, body);
  }

  @Post(':referralId/cancel')
  @ApiWritten()
  @ApiOperation({ summary: 'Requesting institution cancels' })
  cancel(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CancelReferralDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const command = {
      type: 'CancelReferral',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { referralId, reason: body.reason },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { referralId, body } });
  }

  @Post(':referralId/expire')
  @ApiWritten()
  @ApiOperation({ summary: 'Mark a referral past its decision deadline as expired' })
  expire(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    return this.step('ExpireReferral', reply, ctx, journeyId, referralId, body);
  }

  private step(
    type: ReferralStep,
    reply: HeaderReply,
    ctx: RequestContext,
    journeyId: string,
    referralId: string,
    body: CareTimeDto,
  ): Promise<WriteResponse> {
    const command = { type, metadata: this.writes.metadata(ctx, body.occurredAt), data: { referralId } };
    return this.writes.write(reply, ctx, journeyId, command, {
      inputs: { referralId, occurredAt: body.occurredAt },
    });
  }
}
