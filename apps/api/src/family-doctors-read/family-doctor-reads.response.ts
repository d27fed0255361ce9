import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { KEY_GROUPS } from '@carepath/domain';
import { PeriodDto, RatioDto } from '../analytics/analytics-response.dto';

/*
 * The answers of issue 19's reads as the OpenAPI document describes them (docs/analytics.md, "Family-doctor
 * coverage" and "Slot use"; docs/family-doctors.md for the booking screen and panels).
 */

export class CoverageTermsDto {
  @ApiProperty({ description: 'Residents signed with a family doctor that day' })
  signed!: number;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'The population recorded for it; null when none is',
  })
  population!: number | null;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Percent, 2 decimals; null without a population',
  })
  rate!: number | null;
}

export class CoverageRowDto {
  @ApiPropertyOptional({ description: 'groupBy=region' })
  region?: string;

  @ApiPropertyOptional({ description: 'groupBy=centre' })
  centreId?: string;

  @ApiPropertyOptional({ description: 'groupBy=alliance' })
  allianceId?: string;

  @ApiProperty({ example: '2026-03-31' })
  on!: string;

  @ApiProperty({ type: CoverageTermsDto })
  coverage!: CoverageTermsDto;

  @ApiProperty({ type: CoverageTermsDto, description: 'Among residents in the coverage key groups' })
  keyGroupCoverage!: CoverageTermsDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/CoverageTermsDto' },
    description: 'Each coverage key group on its own (by region only)',
  })
  byKeyGroup!: Record<string, CoverageTermsDto>;
}

export class CoverageDto {
  @ApiProperty({ type: PeriodDto })
  period!: PeriodDto;

  @ApiProperty({ example: '2026-03-31', description: "The period's last day: coverage is a stock" })
  on!: string;

  @ApiProperty({ enum: ['region', 'centre', 'alliance'] })
  groupBy!: string;

  @ApiProperty({ type: [CoverageRowDto] })
  rows!: CoverageRowDto[];
}

export class SlotUseRowDto {
  @ApiProperty()
  hospitalId!: string;

  @ApiProperty({ nullable: true, type: String })
  allianceId!: string | null;

  @ApiProperty({ type: RatioDto, description: 'Slots used ÷ slots released' })
  utilisation!: RatioDto;

  @ApiProperty({ type: RatioDto, description: 'No-shows ÷ bookings the hospital closed' })
  noShowRate!: RatioDto;

  @ApiProperty({ type: RatioDto, description: 'Bookings on slots held for priority ÷ slots used' })
  priorityShare!: RatioDto;

  @ApiProperty({ type: RatioDto, description: 'People booked who were signed ÷ people booked' })
  signedShare!: RatioDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/RatioDto' },
    description: `People booked in each key group (${KEY_GROUPS.join(', ')}) ÷ people booked`,
  })
  keyGroupShare!: Record<string, RatioDto>;
}

export class SlotUseDto {
  @ApiProperty({ type: PeriodDto })
  period!: PeriodDto;

  @ApiProperty({ type: [SlotUseRowDto] })
  rows!: SlotUseRowDto[];
}

export class PanelEntryDto {
  @ApiProperty({ description: 'Pseudonymous resident id' })
  residentId!: string;

  @ApiProperty()
  contractId!: string;

  @ApiProperty()
  centreId!: string;

  @ApiProperty()
  residenceRegion!: string;

  @ApiProperty({ enum: KEY_GROUPS, isArray: true })
  keyGroups!: string[];

  @ApiProperty({ description: 'In a coverage key group' })
  inKeyGroup!: boolean;

  @ApiProperty()
  from!: string;

  @ApiProperty({ description: 'Exclusive' })
  until!: string;
}

export class PanelDto {
  @ApiProperty()
  doctorId!: string;

  @ApiProperty({ example: '2026-05-01' })
  on!: string;

  @ApiProperty()
  count!: number;

  @ApiProperty({ type: [PanelEntryDto] })
  residents!: PanelEntryDto[];
}

/** A session of a slot block, as a booking and the booking screen both name it. */
class SlotSessionDto {
  @ApiProperty()
  blockId!: string;

  @ApiProperty()
  hospitalId!: string;

  @ApiProperty()
  department!: string;

  @ApiProperty()
  clinicianGrade!: string;

  @ApiProperty()
  date!: string;

  @ApiProperty()
  startsAt!: string;
}

export class DoctorBookingDto extends SlotSessionDto {
  @ApiProperty()
  bookingId!: string;

  @ApiProperty()
  releaseId!: string;

  @ApiProperty()
  residentId!: string;

  @ApiProperty()
  centreId!: string;

  @ApiProperty({ nullable: true, type: String })
  contractId!: string | null;

  @ApiProperty({ nullable: true, type: String })
  signedDoctorId!: string | null;

  @ApiProperty()
  priority!: boolean;

  @ApiProperty({ enum: KEY_GROUPS, isArray: true })
  keyGroups!: string[];

  @ApiProperty({ example: 'booked' })
  status!: string;

  @ApiProperty()
  bookedAt!: string;

  @ApiProperty()
  updatedAt!: string;
}

export class DoctorBookingsDto {
  @ApiProperty()
  doctorId!: string;

  @ApiProperty()
  from!: string;

  @ApiProperty()
  to!: string;

  @ApiProperty({ type: [DoctorBookingDto] })
  bookings!: DoctorBookingDto[];
}

export class AvailableSessionDto extends SlotSessionDto {
  @ApiProperty({ nullable: true, type: String })
  allianceId!: string | null;

  @ApiProperty()
  startTime!: string;

  @ApiProperty({ description: 'Free slots in open releases' })
  free!: number;

  @ApiProperty({ description: 'Of free, held for priority residents now' })
  heldForPriority!: number;

  @ApiProperty({ description: 'What a resident without priority can book now' })
  general!: number;
}

export class AvailableSlotsDto {
  @ApiProperty()
  at!: string;

  @ApiProperty()
  date!: string;

  @ApiPropertyOptional()
  department?: string;

  @ApiPropertyOptional()
  hospitalId?: string;

  @ApiPropertyOptional()
  allianceId?: string;

  @ApiProperty({ type: [AvailableSessionDto] })
  sessions!: AvailableSessionDto[];
}
