import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { INSTITUTION_ERROR_REASONS, TIERS, type Tier } from '@carepath/domain';
import { CodeId, OccurredAt, Pattern, PLAIN_TEXT, REGION_CODE } from '../common/validation';

export class RegisterInstitutionDto {
  @CodeId('Institution code', { example: 'CHC-CY-01' })
  institutionId!: string;

  @ApiProperty({ example: 'Chaoyang Jianwai Community Health Centre' })
  @IsString({ message: '$property must be a string' })
  @Length(1, 128, { message: '$property must be 1-128 characters' })
  @Matches(PLAIN_TEXT, { message: '$property must be plain text' })
  name!: string;

  @ApiProperty({ enum: TIERS })
  @IsIn(TIERS, { message: `$property must be one of: ${TIERS.join(', ')}` })
  tier!: Tier;

  @CodeId('Medical alliance (医联体 / 医共体) the institution belongs to', {
    optional: true,
    example: 'CY-GROUP-1',
  })
  allianceId?: string;

  @Pattern(REGION_CODE, 'district or county code (GB/T 2260)', '110105')
  regionCode!: string;

  @OccurredAt('When the registration takes effect')
  occurredAt!: string;
}

export class OpenWardDto {
  @CodeId('Ward code, unique within the institution', { example: 'cardio-surg' })
  wardId!: string;

  @CodeId('Specialty code', { example: 'cardiac-surgery' })
  specialty!: string;

  @ApiProperty({ minimum: 0, maximum: 10000, example: 40 })
  @IsInt({ message: '$property must be an integer' })
  @Min(0, { message: '$property must be >= 0' })
  @Max(10000, { message: '$property must be <= 10000' })
  openBeds!: number;

  @OccurredAt('When the ward opens (open bed-days start here)')
  occurredAt!: string;
}

export class ChangeBedCountDto {
  @ApiProperty({ minimum: 0, maximum: 10000, example: 44 })
  @IsInt({ message: '$property must be an integer' })
  @Min(0, { message: '$property must be >= 0' })
  @Max(10000, { message: '$property must be <= 10000' })
  openBeds!: number;

  @OccurredAt('When the new bed count takes effect')
  occurredAt!: string;
}

export class ListInstitutionsQueryDto {
  @ApiPropertyOptional({ enum: TIERS })
  @IsOptional()
  @IsIn(TIERS, { message: `$property must be one of: ${TIERS.join(', ')}` })
  tier?: Tier;

  @CodeId('Only members of this alliance', { optional: true })
  allianceId?: string;

  @ApiPropertyOptional({ example: '110105' })
  @IsOptional()
  @Matches(REGION_CODE, { message: '$property must be a district or county code' })
  regionCode?: string;
}

export class MarkInstitutionEventEnteredInErrorDto {
  @ApiProperty({ enum: INSTITUTION_ERROR_REASONS })
  @IsIn(INSTITUTION_ERROR_REASONS, {
    message: `$property must be one of: ${INSTITUTION_ERROR_REASONS.join(', ')}`,
  })
  reason!: (typeof INSTITUTION_ERROR_REASONS)[number];
}
