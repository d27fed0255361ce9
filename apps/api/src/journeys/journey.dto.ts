import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsObject, IsOptional, IsUUID, ValidateIf, ValidateNested } from 'class-validator';
import {
  CANCELLATION_REASONS,
  CORRECTABLE_EVENT_TYPES,
  type CancellationReason,
  type CorrectableEventType,
  DISCHARGE_DISPOSITIONS,
  type DischargeDisposition,
  ERROR_REASONS,
  type EnteredInErrorReason,
  REFERRAL_PRIORITIES,
  REFERRAL_SETTINGS,
  type ReferralPriority,
  type ReferralSetting,
  REJECTION_REASONS,
  type RejectionReason,
  VISIT_TYPES,
  type VisitType,
} from '@carepath/domain';
import {
  CLINICAL_CODE,
  CodeId,
  ICD10,
  OccurredAt,
  Pattern,
  PseudonymousId,
  REGION_CODE,
} from '../common/validation';

const oneOf = (values: readonly string[]) => ({ message: `$property must be one of: ${values.join(', ')}` });

/** Every journey command says when it happened in care. */
export class CareTimeDto {
  @OccurredAt()
  occurredAt!: string;
}

export class OpenJourneyDto extends CareTimeDto {
  @PseudonymousId()
  patientId!: string;

  @Pattern(REGION_CODE, 'residence region (GB/T 2260 district or county code)', '110105')
  residenceRegion!: string;

  @CodeId('Institution of the first visit', { example: 'CHC-CY-01' })
  institutionId!: string;

  @ApiProperty({ enum: VISIT_TYPES })
  @IsIn(VISIT_TYPES, oneOf(VISIT_TYPES))
  visitType!: VisitType;

  @Pattern(ICD10, 'ICD-10 diagnosis code', 'I21.4')
  diagnosisCode!: string;
}

export class RecordVisitDto extends CareTimeDto {
  @CodeId('Institution of the visit', { example: 'HOSP-CY-01' })
  institutionId!: string;

  @ApiProperty({ enum: VISIT_TYPES })
  @IsIn(VISIT_TYPES, oneOf(VISIT_TYPES))
  visitType!: VisitType;

  @Pattern(ICD10, 'ICD-10 diagnosis code', 'I21.4')
  diagnosisCode!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Accepted referral this visit answers' })
  @IsOptional()
  @IsUUID('all', { message: '$property must be a UUID' })
  referralId?: string;
}

export class RequestReferralDto extends CareTimeDto {
  @ApiProperty({
    enum: ['up', 'down'],
    description: 'up = 上转 to a higher tier, down = 下转 to a lower tier',
  })
  @IsIn(['up', 'down'], oneOf(['up', 'down']))
  direction!: 'up' | 'down';

  @CodeId('Referring institution (must be the acting institution)', { example: 'CHC-CY-01' })
  fromInstitutionId!: string;

  @CodeId('Receiving institution', { example: 'HOSP-CY-01' })
  toInstitutionId!: string;

  @CodeId('Receiving department code', { example: 'cardiology' })
  department!: string;

  @ApiProperty({ enum: REFERRAL_PRIORITIES })
  @IsIn(REFERRAL_PRIORITIES, oneOf(REFERRAL_PRIORITIES))
  priority!: ReferralPriority;

  @ApiProperty({ enum: REFERRAL_SETTINGS })
  @IsIn(REFERRAL_SETTINGS, oneOf(REFERRAL_SETTINGS))
  setting!: ReferralSetting;

  @Pattern(CLINICAL_CODE, 'reason code (ICD-10 or local code)', 'I21.4')
  reasonCode!: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Outpatient upward referral: the slot block of its booking',
  })
  @ValidateIf((o: RequestReferralDto) => o.slotBlockId !== undefined || o.slotBookingId !== undefined)
  @IsUUID('all', { message: '$property must be a UUID (slotBlockId and slotBookingId go together)' })
  slotBlockId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Outpatient upward referral: the slot booked for it' })
  @ValidateIf((o: RequestReferralDto) => o.slotBlockId !== undefined || o.slotBookingId !== undefined)
  @IsUUID('all', { message: '$property must be a UUID (slotBlockId and slotBookingId go together)' })
  slotBookingId?: string;
}

export class RejectReferralDto extends CareTimeDto {
  @ApiProperty({ enum: REJECTION_REASONS })
  @IsIn(REJECTION_REASONS, oneOf(REJECTION_REASONS))
  reason!: RejectionReason;

  @CodeId('Redirect to another institution of the same alliance (capacity-full only)', { optional: true })
  redirectToInstitutionId?: string;
}

export class CancelReferralDto extends CareTimeDto {
  @ApiProperty({ enum: CANCELLATION_REASONS })
  @IsIn(CANCELLATION_REASONS, oneOf(CANCELLATION_REASONS))
  reason!: CancellationReason;
}

/** The discharge of a whole past stay recorded in one request (docs/care-time.md, late entries). */
export class StayDischargeDto extends CareTimeDto {
  @ApiProperty({ enum: DISCHARGE_DISPOSITIONS })
  @IsIn(DISCHARGE_DISPOSITIONS, oneOf(DISCHARGE_DISPOSITIONS))
  disposition!: DischargeDisposition;

  @CodeId('Destination institution (disposition other-institution)', { optional: true })
  destinationInstitutionId?: string;
}

export class AdmitPatientDto extends CareTimeDto {
  @CodeId('Admitting institution', { example: 'HOSP-CY-01' })
  institutionId!: string;

  @CodeId('Ward', { example: 'cardio-surg' })
  wardId!: string;

  @CodeId('Bed, when assigned', { optional: true, example: '12' })
  bedId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Accepted referral this admission answers' })
  @IsOptional()
  @IsUUID('all', { message: '$property must be a UUID' })
  referralId?: string;

  @ApiPropertyOptional({
    type: StayDischargeDto,
    description:
      'A whole past stay at once: its discharge. A stay typed in late overlaps no other only once its end is known.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => StayDischargeDto)
  discharge?: StayDischargeDto;
}

export class StartLeaveDto extends CareTimeDto {
  @ApiPropertyOptional({
    default: true,
    description: 'Keep the bed for the patient (sequential ward, 序贯病房)',
  })
  @IsOptional()
  @IsBoolean({ message: '$property must be true or false' })
  holdBed?: boolean;
}

export class MoveWardDto extends CareTimeDto {
  @CodeId('Ward moved to', { example: 'icu' })
  toWardId!: string;

  @CodeId('Bed, when assigned', { optional: true })
  bedId?: string;
}

export class RecordSurgeryDto extends CareTimeDto {
  @CodeId('Institution where the surgery took place', { example: 'HOSP-CY-01' })
  institutionId!: string;

  @Pattern(CLINICAL_CODE, 'procedure code (ICD-9-CM-3 or local)', '36.06')
  procedureCode!: string;
}

export class RecordRehabSessionDto extends CareTimeDto {
  @CodeId('Institution giving the session', { example: 'CHC-CY-01' })
  institutionId!: string;

  @Pattern(CLINICAL_CODE, 'therapy code', 'cardiac-rehab-1')
  therapyCode!: string;
}

export class DischargePatientDto extends CareTimeDto {
  @ApiProperty({ enum: DISCHARGE_DISPOSITIONS })
  @IsIn(DISCHARGE_DISPOSITIONS, oneOf(DISCHARGE_DISPOSITIONS))
  disposition!: DischargeDisposition;

  @CodeId('Destination institution (disposition other-institution)', { optional: true })
  destinationInstitutionId?: string;
}

export class MarkEnteredInErrorDto {
  @ApiProperty({ enum: ERROR_REASONS })
  @IsIn(ERROR_REASONS, oneOf(ERROR_REASONS))
  reason!: EnteredInErrorReason;
}

export class CorrectEventDto {
  @ApiProperty({ enum: CORRECTABLE_EVENT_TYPES, description: 'Type of the event being corrected' })
  @IsIn(CORRECTABLE_EVENT_TYPES, oneOf(CORRECTABLE_EVENT_TYPES))
  targetType!: CorrectableEventType;

  @OccurredAt('Corrected care time of the original event')
  occurredAt!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description:
      'Corrected payload fields (per type: visitType, diagnosisCode, bedId, procedureCode, therapyCode, disposition, destinationInstitutionId)',
  })
  @IsOptional()
  @IsObject({ message: '$property must be an object of field: value' })
  patch?: Record<string, unknown>;
}

/** Time travel on a journey's record (issue 5). */
export class TimeTravelDto {
  @OccurredAt('Only what was recorded at or before this instant (what CarePath knew then)', {
    optional: true,
  })
  asOf?: string;

  @OccurredAt('The state in care at this instant, with the corrections known applied', { optional: true })
  validAt?: string;
}

export class HistoryQueryDto {
  @OccurredAt('Only what was recorded at or before this instant', { optional: true })
  asOf?: string;
}
