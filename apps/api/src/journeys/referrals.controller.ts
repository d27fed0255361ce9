import { Body, Controller, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { WritePath } from '@carepath/write-path';
import { UuidParam } from '../common/params';
import { Ctx, type RequestContext } from '../common/request-context';
import { type HeaderReply, type WriteResponse } from '../common/write-response';
import { WriteRoute } from '../common/write-route';
import { HolidayCalendars } from '../reference/holiday-calendars';
import { InstitutionDirectory } from '../reference/institution-directory';
import { SlotBlocks } from '../slots/slot-blocks';
import { CancelReferralDto, RejectReferralDto, RequestReferralDto } from './journey.dto';
import { JourneyWriteHeaders, JourneyWrites } from './journey-writes';
import { type ReferralStepArgs, ReferralStepRoute } from './referral-step-route';
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

  @WriteRoute('', 'Request a referral: up (上转) or down (下转)')
  async request(
    @UuidParam('journeyId') journeyId: string,
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

  @ReferralStepRoute('receive', 'Receiving institution acknowledges the referral')
  receive(...args: ReferralStepArgs): Promise<WriteResponse> {
    return this.step('ReceiveReferral', ...args);
  }

  @ReferralStepRoute('accept', 'Receiving institution accepts')
  accept(...args: ReferralStepArgs): Promise<WriteResponse> {
    return this.step('AcceptReferral', ...args);
  }

  @WriteRoute(
    ':referralId/reject',
    'Receiving institution rejects; capacity-full may redirect within the alliance',
  )
  async reject(
    @UuidParam('journeyId') journeyId: string,
    @UuidParam('referralId') referralId: string,
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

  @ReferralStepRoute('complete', 'Receiving institution completes the referral')
  complete(...args: ReferralStepArgs): Promise<WriteResponse> {
    return this.step('CompleteReferral', ...args);
  }

  @WriteRoute(':referralId/cancel', 'Requesting institution cancels')
  cancel(
    @UuidParam('journeyId') journeyId: string,
    @UuidParam('referralId') referralId: string,
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

  @ReferralStepRoute('expire', 'Mark a referral past its decision deadline as expired')
  expire(...args: ReferralStepArgs): Promise<WriteResponse> {
    return this.step('ExpireReferral', ...args);
  }

  private step(
    type: ReferralStep,
    ...[journeyId, referralId, ctx, body, reply]: ReferralStepArgs
  ): Promise<WriteResponse> {
    const command = { type, metadata: this.writes.metadata(ctx, body.occurredAt), data: { referralId } };
    return this.writes.write(reply, ctx, journeyId, command, {
      inputs: { referralId, occurredAt: body.occurredAt },
    });
  }
}
