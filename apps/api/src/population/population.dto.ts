import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { CodeId, OccurredAt, PLAIN_TEXT } from '../common/validation';

const count = { message: '$property must be a whole number' };

export class CentreCatchmentDto {
  @CodeId('The community centre whose catchment this is', { example: 'CHC-MH-01' })
  centreId!: string;

  @ApiProperty({ minimum: 0, example: 60_000 })
  @IsInt(count)
  residents!: number;

  @ApiProperty({ minimum: 0, example: 21_000 })
  @IsInt(count)
  keyGroupResidents!: number;
}

/** A region's population figures from a date: the denominators of family-doctor coverage (docs/family-doctors.md). */
export class RecordPopulationDto {
  @ApiProperty({ description: 'The figures hold from this calendar date', example: '2026-01-01' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: '$property must be a date YYYY-MM-DD' })
  effectiveOn!: string;

  @ApiProperty({ minimum: 0, example: 1_050_000 })
  @IsInt(count)
  residents!: number;

  @ApiProperty({ minimum: 0, description: 'Residents in at least one key group that counts for coverage' })
  @IsInt(count)
  keyGroupResidents!: number;

  @ApiPropertyOptional({
    description: 'Residents of each coverage key group (a person may be in several)',
    example: { hypertension: 150_000, 'type-2-diabetes': 60_000 },
  })
  @IsOptional()
  @IsObject()
  byKeyGroup?: Record<string, number>;

  @ApiPropertyOptional({
    type: [CentreCatchmentDto],
    description: "Community centres' catchments in the region",
  })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => CentreCatchmentDto)
  centres?: CentreCatchmentDto[];

  @ApiProperty({ example: 'Minhang statistical yearbook 2025' })
  @IsString()
  @Length(1, 200)
  @Matches(PLAIN_TEXT, { message: '$property must be plain text' })
  source!: string;

  @OccurredAt('When the figures were recorded (defaults to now)', { optional: true })
  occurredAt?: string;
}
