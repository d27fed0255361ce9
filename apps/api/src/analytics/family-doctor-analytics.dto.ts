import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { COVERAGE_GROUPS, type CoverageGroup } from '@carepath/projections';
import { CodeId, REGION_CODE } from '../common/validation';
import { PeriodQueryDto } from './analytics.dto';

export class CoverageQueryDto extends PeriodQueryDto {
  @ApiPropertyOptional({ enum: COVERAGE_GROUPS, default: 'region' })
  @IsOptional()
  @IsIn(COVERAGE_GROUPS, { message: `groupBy must be one of: ${COVERAGE_GROUPS.join(', ')}` })
  groupBy?: CoverageGroup;

  @ApiPropertyOptional({
    description: 'Only residents of this region (GB/T 2260 code)',
    pattern: REGION_CODE.source,
  })
  @IsOptional()
  @Matches(REGION_CODE, { message: 'region must be a region code' })
  region?: string;

  @CodeId('Only this community centre', { optional: true }) centreId?: string;
  @CodeId('Only this alliance', { optional: true }) allianceId?: string;
}

export class SlotUseQueryDto extends PeriodQueryDto {
  @CodeId('Only this hospital', { optional: true }) hospitalId?: string;
  @CodeId('Only hospitals of this alliance', { optional: true }) allianceId?: string;
}
