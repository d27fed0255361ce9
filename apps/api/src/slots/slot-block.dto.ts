import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import {
  BOOKING_CANCELLATION_REASONS,
  type BookingCancellationReason,
  CLINICIAN_GRADES,
  type ClinicianGrade,
  MAX_SLOTS_PER_BLOCK,
} from '@carepath/domain';
import { CareTimeDto } from '../journeys/journey.dto';
import { CodeId, OccurredAt, Pattern, PseudonymousId } from '../common/validation';
import { CALENDAR_DATE } from '../family-doctors/family-doctor.dto';

const oneOf = (values: readonly string[]) => ({ message: `$property must be one of: ${values.join(', ')}` });

export class SlotCountDto extends CareTimeDto {
  @ApiProperty({ minimum: 1, maximum: MAX_SLOTS_PER_BLOCK, example: 20 })
  @IsInt({ message: '$property must be a whole number of slots' })
  @Min(1, { message: '$property must be >= 1' })
  @Max(MAX_SLOTS_PER_BLOCK, { message: `$property must be <= ${MAX_SLOTS_PER_BLOCK}` })
  count!: number;
}

export class PublishSlotBlockDto extends SlotCountDto {
  @CodeId('The hospital publishing (the acting institution; secondary or tertiary)', {
    example: 'HOSP-CY-01',
  })
  hospitalId!: string;

  @CodeId('Department code', { example: 'cardiology' })
  department!: string;

  @ApiProperty({ enum: CLINICIAN_GRADES })
  @IsIn(CLINICIAN_GRADES, oneOf(CLINICIAN_GRADES))
  clinicianGrade!: ClinicianGrade;

  @Pattern(CALENDAR_DATE, 'the session’s date on the hospital’s wall clock (YYYY-MM-DD)', '2026-04-10')
  date!: string;

  @Pattern(/^([01]\d|2[0-3]):[0-5]\d$/, 'the session’s start on the hospital’s wall clock (HH:MM)', '08:30')
  startTime!: string;

  @ApiPropertyOptional({
    description: 'The hospital’s UTC offset in minutes; default CARE_UTC_OFFSET_MINUTES',
  })
  @IsOptional()
  @IsInt({ message: '$property must be a whole number of minutes' })
  @Min(-720, { message: '$property must be >= -720' })
  @Max(840, { message: '$property must be <= 840' })
  utcOffsetMinutes?: number;
}

export class BookSlotDto extends CareTimeDto {
  @PseudonymousId()
  residentId!: string;

  @CodeId('The family doctor booking (a family doctor booking: themselves, the default)', {
    optional: true,
    example: 'fd-wang',
  })
  doctorId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'An open journey of this resident in which the booking centre takes part: the centre is seeing them (needed when the resident is not signed with the booking doctor)',
  })
  @IsOptional()
  @IsUUID('all', { message: '$property must be a UUID' })
  journeyId?: string;
}

export class CancelSlotBookingDto extends CareTimeDto {
  @ApiProperty({ enum: BOOKING_CANCELLATION_REASONS })
  @IsIn(BOOKING_CANCELLATION_REASONS, oneOf(BOOKING_CANCELLATION_REASONS))
  reason!: BookingCancellationReason;
}

export class SlotBlockQueryDto {
  @OccurredAt('Availability at this care time (default: now)', { optional: true })
  at?: string;
}
