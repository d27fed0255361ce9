import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { TRANSFER_DECLINE_REASONS, type TransferDeclineReason } from '@carepath/domain';
import { CareTimeDto, RequestReferralDto } from './journey.dto';

/*
 * Bodies of the care processes' human acts (issue 20): a proposal accepted or declined, a follow-up recorded as
 * done. Acknowledging an outcome needs only its care time (CareTimeDto).
 */

const oneOf = (values: readonly string[]) => ({ message: `$property must be one of: ${values.join(', ')}` });

/**
 * The terms of the downward referral an accepted proposal becomes, stated as a direct request states them; where
 * from and to are the proposal's.
 */
export class AcceptTransferProposalDto extends PickType(RequestReferralDto, [
  'occurredAt',
  'department',
  'priority',
  'setting',
  'reasonCode',
] as const) {}

export class DeclineTransferProposalDto extends CareTimeDto {
  @ApiProperty({ enum: TRANSFER_DECLINE_REASONS })
  @IsIn(TRANSFER_DECLINE_REASONS, oneOf(TRANSFER_DECLINE_REASONS))
  reason!: TransferDeclineReason;
}

export class CompleteFollowUpDto extends CareTimeDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'The visit at the owing centre that was the follow-up, when there was one (null or left out: none)',
  })
  @IsOptional()
  @IsUUID('all', { message: '$property must be a UUID' })
  visitId?: string | null;
}
