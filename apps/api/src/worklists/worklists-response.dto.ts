import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ACTION_KINDS,
  ACTIONS,
  type Action,
  type ActionItem,
  type ActionKind,
  type WorklistFollowUp,
  type WorklistProposal,
  type WorklistReferral,
  type WorklistStay,
  type WorklistUpstairs,
} from '@carepath/projections';
import { DATE_TIME, OR_NULL, UUID } from '../common/api-property-options';

/* The row DTOs implement the query functions' row types, so a field added to a row and not here fails to compile. */

export class WorklistReferralDto implements WorklistReferral {
  @ApiProperty(UUID) referralId!: string;
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty({ example: 'pt-7f3a9c21', description: 'Pseudonymous patient id' }) patientId!: string;
  @ApiProperty({ example: 'down' }) direction!: string;
  @ApiProperty({ example: 'urgent' }) priority!: string;
  @ApiProperty({ example: 'inpatient' }) setting!: string;
  @ApiProperty() department!: string;
  @ApiProperty() fromInstitutionId!: string;
  @ApiProperty() toInstitutionId!: string;
  @ApiProperty({ example: 'requested' }) status!: string;
  @ApiProperty(DATE_TIME) requestedAt!: string;
  @ApiProperty(DATE_TIME) deadline!: string;
  @ApiProperty({
    ...DATE_TIME,
    ...OR_NULL,
    description: 'When the deadline reminder went out (ReferralDueSoon)',
  })
  dueSoonAt!: string | null;
  @ApiProperty({ description: 'Past its deadline and still awaiting a decision' }) overdue!: boolean;
}

export class WorklistStayDto implements WorklistStay {
  @ApiProperty(UUID) admissionId!: string;
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty() wardId!: string;
  @ApiProperty(OR_NULL) bedId!: string | null;
  @ApiProperty() extraBed!: boolean;
  @ApiProperty(DATE_TIME) admittedAt!: string;
  @ApiProperty({ ...DATE_TIME, ...OR_NULL }) leaveStartedAt!: string | null;
  @ApiProperty({ nullable: true, type: Boolean }) bedHeld!: boolean | null;
}

export class WorklistProposalDto implements WorklistProposal {
  @ApiProperty(UUID) proposalId!: string;
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty(UUID) admissionId!: string;
  @ApiProperty(UUID) surgeryId!: string;
  @ApiProperty({ description: 'The hospital holding the stay' }) fromInstitutionId!: string;
  @ApiProperty({ description: 'The community centre proposed' }) toInstitutionId!: string;
  @ApiProperty({ enum: ['signed-doctor', 'alliance-centre'] }) basis!: string;
  @ApiProperty(OR_NULL) signedDoctorId!: string | null;
  @ApiProperty(DATE_TIME) proposedAt!: string;
  @ApiProperty({
    enum: ['incoming', 'outgoing'],
    description: 'outgoing: this hospital accepts or declines; incoming: proposed to this centre',
  })
  side!: 'incoming' | 'outgoing';
}

export class WorklistUpstairsDto implements WorklistUpstairs {
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty({ ...UUID, description: 'The accepted upward referral' }) referralId!: string;
  @ApiProperty() department!: string;
  @ApiProperty() priority!: string;
  @ApiProperty() referredToInstitutionId!: string;
  @ApiProperty(DATE_TIME) acceptedAt!: string;
  @ApiProperty({ description: 'Where the patient is now: their open stay, or the last care recorded' })
  whereInstitutionId!: string;
  @ApiProperty({ description: 'In a stay there now (in a bed or on leave from it)' }) admitted!: boolean;
  @ApiProperty({ enum: ['in-bed', 'on-leave'], ...OR_NULL }) stayStatus!: 'in-bed' | 'on-leave' | null;
  @ApiProperty(OR_NULL) wardId!: string | null;
  @ApiProperty({ ...DATE_TIME, description: 'There since (admission, visit, or the acceptance)' })
  since!: string;
  @ApiProperty({ ...UUID, ...OR_NULL, description: 'A downward referral on its way back, not yet accepted' })
  returnReferralId!: string | null;
}

export class WorklistFollowUpDto implements WorklistFollowUp {
  @ApiProperty(UUID) followUpId!: string;
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty(UUID) admissionId!: string;
  @ApiProperty(DATE_TIME) dischargedAt!: string;
  @ApiProperty() owedByInstitutionId!: string;
  @ApiProperty(OR_NULL) signedDoctorId!: string | null;
  @ApiProperty(DATE_TIME) dueBy!: string;
  @ApiProperty({ enum: ['after-surgery', 'key-group', 'standard'] }) basis!: string;
  @ApiProperty({ description: 'Past dueBy by the server clock' }) overdue!: boolean;
}

const cursor = { ...OR_NULL, description: 'The next page (`cursor`), null at the end' };

export class WorklistNextDto {
  @ApiPropertyOptional(cursor) incomingReferrals?: string | null;
  @ApiPropertyOptional(cursor) outgoingReferrals?: string | null;
  @ApiPropertyOptional(cursor) inpatients?: string | null;
  @ApiPropertyOptional(cursor) onLeave?: string | null;
  @ApiPropertyOptional(cursor) expectedDownwardTransfers?: string | null;
  @ApiPropertyOptional(cursor) proposedDownwardTransfers?: string | null;
  @ApiPropertyOptional(cursor) withUsUpstairs?: string | null;
  @ApiPropertyOptional(cursor) followUpsDue?: string | null;
}

/** Every section is present unless a filter, `section` or a cursor leaves it out (docs/worklists.md). */
export class WorklistDto {
  @ApiProperty({ example: 'CHC-CY-01' }) institutionId!: string;
  @ApiProperty({ ...DATE_TIME, description: 'The server clock’s now, which `overdue` is judged at' })
  at!: string;

  @ApiPropertyOptional({
    type: [WorklistReferralDto],
    description: 'Sent here, awaiting its decision: green-channel, urgent, routine, then by deadline',
  })
  incomingReferrals?: WorklistReferralDto[];

  @ApiPropertyOptional({
    type: [WorklistReferralDto],
    description: 'Sent from here, awaiting the other side',
  })
  outgoingReferrals?: WorklistReferralDto[];

  @ApiPropertyOptional({ type: [WorklistStayDto], description: 'In a bed here now' })
  inpatients?: WorklistStayDto[];

  @ApiPropertyOptional({ type: [WorklistStayDto], description: 'Away from a bed here (sequential ward)' })
  onLeave?: WorklistStayDto[];

  @ApiPropertyOptional({
    type: [WorklistReferralDto],
    description: 'Downward transfers accepted here, the patient not yet arrived',
  })
  expectedDownwardTransfers?: WorklistReferralDto[];

  @ApiPropertyOptional({
    type: [WorklistProposalDto],
    description: 'Open proposals to send a patient down, from this hospital or to this centre',
  })
  proposedDownwardTransfers?: WorklistProposalDto[];

  @ApiPropertyOptional({
    type: [WorklistUpstairsDto],
    description: 'Referred up from here and accepted, not yet back down ("with us upstairs")',
  })
  withUsUpstairs?: WorklistUpstairsDto[];

  @ApiPropertyOptional({
    type: [WorklistFollowUpDto],
    description: 'Follow-ups this centre owes, by due date',
  })
  followUpsDue?: WorklistFollowUpDto[];

  @ApiPropertyOptional({
    type: WorklistNextDto,
    description: 'With `limit`: each served section’s next page',
  })
  next?: WorklistNextDto;
}

const maybe = (description?: string) => ({ ...OR_NULL, ...(description ? { description } : {}) });

export class ActionItemDto implements ActionItem {
  @ApiProperty({ enum: ACTION_KINDS }) kind!: ActionKind;
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty(maybe()) referralId!: string | null;
  @ApiProperty(maybe()) proposalId!: string | null;
  @ApiProperty(maybe()) followUpId!: string | null;
  @ApiProperty(maybe()) admissionId!: string | null;

  @ApiProperty({
    ...DATE_TIME,
    description: 'Care time it became due: the rejection, the expiry, the due date passed, the proposal',
  })
  at!: string;

  @ApiProperty(maybe()) fromInstitutionId!: string | null;
  @ApiProperty(maybe()) toInstitutionId!: string | null;
  @ApiProperty(maybe()) priority!: string | null;
  @ApiProperty(maybe()) department!: string | null;
  @ApiProperty({ ...OR_NULL, ...DATE_TIME }) requestedAt!: string | null;
  @ApiProperty({ ...OR_NULL, ...DATE_TIME }) deadline!: string | null;
  @ApiProperty(maybe('The receiving side’s reason code')) rejectionReason!: string | null;
  @ApiProperty(maybe('The alliance whose coordinators it was escalated to'))
  escalatedToAllianceId!: string | null;
  @ApiProperty({ ...OR_NULL, ...DATE_TIME }) dischargedAt!: string | null;
  @ApiProperty({ ...OR_NULL, ...DATE_TIME }) dueBy!: string | null;
  @ApiProperty({ enum: ACTIONS, description: 'What clears it' }) action!: Action;
  @ApiProperty(maybe('The route that clears it; null when it is the other side’s to clear'))
  clearedBy!: string | null;
}

export class ActionRequiredDto {
  @ApiProperty({ example: 'CHC-CY-01' }) institutionId!: string;
  @ApiProperty({ ...DATE_TIME, description: 'The server clock’s now, which overdue is judged at' })
  at!: string;
  @ApiProperty({ type: [ActionItemDto], description: 'Oldest first' }) items!: ActionItemDto[];
  @ApiProperty(cursor) next!: string | null;
}
