import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { WriteResponse } from '../common/write-response';
import { InstitutionDirectory } from '../reference/institution-directory';
import { JourneyWriteHeaders, JourneyWrites } from './journey-writes';
import { type ReferralStepArgs, ReferralStepRoute } from './referral-step-route';

/**
 * The referring side has seen a rejected or expired referral and acted on it, so it leaves the action-required
 * lists (docs/domain.md, "Acknowledging an outcome"). Once escalated, a coordinator of the alliance may do it.
 */
@ApiTags('referrals')
@JourneyWriteHeaders()
@Controller('journeys/:journeyId/referrals')
export class ReferralOutcomesController {
  constructor(
    private readonly writes: JourneyWrites,
    private readonly institutions: InstitutionDirectory,
  ) {}

  @ReferralStepRoute(
    'acknowledge',
    'Acknowledge a rejected or expired referral (the referring side, or the escalation’s alliance)',
  )
  async acknowledge(...[journeyId, referralId, ctx, body, reply]: ReferralStepArgs): Promise<WriteResponse> {
    // The acting institution's alliance as the directory has it now: the decider compares it with the escalation's.
    const { state: acting } = await this.institutions.find(ctx.institutionId);
    const command = {
      type: 'AcknowledgeReferral',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { referralId, actingAllianceId: acting.status === 'registered' ? acting.allianceId : null },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, {
      inputs: { referralId, occurredAt: body.occurredAt },
    });
  }
}
