import { applyDecorators } from '@nestjs/common';
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

/** One of `values`, refused with the list. */
const OneOf = (values: readonly string[], description?: string) =>
  applyDecorators(
    ApiProperty({ enum: values, ...(description === undefined ? {} : { description }) }),
    IsIn(values, { message: `$property must be one of: ${values.join(', ')}` }),
  );

/** The accepted referral a visit or an admission answers, if any. */
const AnsweredReferral = (what: string) =>
  applyDecorators(
    ApiPropertyOptional({ format: 'uuid', description: `Accepted referral this ${what} answers` }),
    IsOptional(),
    IsUUID('all', { message: '$property must be a UUID' }),
  );

/** An outpatient upward referral names both the slot block and the slot booked, or neither. */
const SlotOfBooking = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ format: 'uuid', description }),
    ValidateIf((o: RequestReferralDto) => o.slotBlockId !== undefined || o.slotBookingId !== undefined),
    IsUUID('all', { message: '$property must be a UUID (slotBlockId and slotBookingId go together)' }),
  );

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

  @OneOf(VISIT_TYPES)
  visitType!: VisitType;

  @Pattern(ICD10, 'ICD-10 diagnosis code', 'I21.4')
  diagnosisCode!: string;
}

export class RecordVisitDto extends CareTimeDto {
  @CodeId('Institution of the visit', { example: 'HOSP-CY-01' })
  institutionId!: string;

  @OneOf(VISIT_TYPES)
  visitType!: VisitType;

  @Pattern(ICD10, 'ICD-10 diagnosis code', 'I21.4')
  diagnosisCode!: string;

  @AnsweredReferral('visit')
  referralId?: string;
}

export class RequestReferralDto extends CareTimeDto {
  @OneOf(['up', 'down'], 'up = 上转 to a higher tier, down = 下转 to a lower tier')
  direction!: 'up' | 'down';

  @CodeId('Referring institution (must be the acting institution)', { example: 'CHC-CY-01' })
  fromInstitutionId!: string;

  @CodeId('Receiving institution', { example: 'HOSP-CY-01' })
  toInstitutionId!: string;

  @CodeId('Receiving department code', { example: 'cardiology' })
  department!: string;

  @OneOf(REFERRAL_PRIORITIES)
  priority!: ReferralPriority;

  @OneOf(REFERRAL_SETTINGS)
  setting!: ReferralSetting;

  @Pattern(CLINICAL_CODE, 'reason code (ICD-10 or local code)', 'I21.4')
  reasonCode!: string;

  @SlotOfBooking('Outpatient upward referral: the slot block of its booking')
  slotBlockId?: string;

  @SlotOfBooking('Outpatient upward referral: the slot booked for it')
  slotBookingId?: string;
}

export class RejectReferralDto extends CareTimeDto {
  @OneOf(REJECTION_REASONS)
  reason!: RejectionReason;

  @CodeId('Redirect to another institution of the same alliance (capacity-full only)', { optional: true })
  redirectToInstitutionId?: string;
}

export class CancelReferralDto extends CareTimeDto {
  @OneOf(CANCELLATION_REASONS)
  reason!: CancellationReason;
}

/** The discharge of a whole past stay recorded in one request (docs/care-time.md, late entries). */
export class StayDischargeDto extends CareTimeDto {
  @OneOf(DISCHARGE_DISPOSITIONS)
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

  @AnsweredReferral('admission')
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

/** A discharge now says what the discharge of a past stay says. */
export class DischargePatientDto extends StayDischargeDto {}

export class MarkEnteredInErrorDto {
  @OneOf(ERROR_REASONS)
  reason!: EnteredInErrorReason;
}

export class CorrectEventDto {
  @OneOf(CORRECTABLE_EVENT_TYPES, 'Type of the event being corrected')
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
