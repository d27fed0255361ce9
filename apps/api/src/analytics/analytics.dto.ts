import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsArray, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import {
  FOLLOW_UP_GROUPS,
  type FollowUpGroup,
  OCCUPANCY_GROUPS,
  PERIOD_UNITS,
  PROPOSAL_GROUPS,
  type ProposalGroup,
  REFERRAL_GROUPS,
  type OccupancyGroup,
  type ReferralGroup,
} from '@carepath/projections';
import { CODE_ID } from '@carepath/runtime';
import { OccurredAt, REGION_CODE } from '../common/validation';

/** An optional filter by a code (institution, ward, alliance): documented, and refused naming itself when malformed. */
const CodeFilter = (name: string, what: string) =>
  applyDecorators(
    ApiPropertyOptional({ description: `Only this ${what}`, pattern: CODE_ID.source }),
    IsOptional(),
    Matches(CODE_ID, { message: `${name} must be ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what} code` }),
  );

const Format = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: ['json', 'csv'], description: 'csv: the rows only (or Accept: text/csv)' }),
    IsOptional(),
    IsIn(['json', 'csv']),
  );

const csvList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0)
    : value;

/** The bucket size when grouping by period. */
const Unit = () =>
  applyDecorators(
    ApiPropertyOptional({
      enum: PERIOD_UNITS,
      description: 'Bucket size when grouping by period',
      default: 'month',
    }),
    IsOptional(),
    IsIn(PERIOD_UNITS, { message: `unit must be one of: ${PERIOD_UNITS.join(', ')}` }),
  );

export class PeriodQueryDto {
  @ApiPropertyOptional({ description: 'Year 2026, month 2026-03, ISO week 2026-W09 or day 2026-03-01' })
  @IsOptional()
  @IsString()
  period?: string;

  @ApiPropertyOptional({ description: 'First local date (YYYY-MM-DD), with `to`' })
  @IsOptional()
  @IsString()
  from?: string;

  @ApiPropertyOptional({ description: 'Local date after the last day (exclusive)' })
  @IsOptional()
  @IsString()
  to?: string;

  @Format()
  format?: 'json' | 'csv';

  @OccurredAt('The figure as it would have been reported at this instant (replays the log)', {
    optional: true,
  })
  asOf?: string;
}

export class WardOccupancyQueryDto extends PeriodQueryDto {
  @CodeFilter('institutionId', 'institution') institutionId?: string;
  @CodeFilter('wardId', 'ward') wardId?: string;
  @CodeFilter('allianceId', 'alliance') allianceId?: string;

  @ApiPropertyOptional({ enum: OCCUPANCY_GROUPS, default: 'ward' })
  @IsOptional()
  @IsIn(OCCUPANCY_GROUPS, { message: `groupBy must be one of: ${OCCUPANCY_GROUPS.join(', ')}` })
  groupBy?: OccupancyGroup;
}

export class LiveCensusQueryDto {
  @CodeFilter('institutionId', 'institution') institutionId?: string;
  @CodeFilter('allianceId', 'alliance') allianceId?: string;
  @Format() format?: 'json' | 'csv';
}

export class ReferralVolumeQueryDto extends PeriodQueryDto {
  @ApiPropertyOptional({ enum: ['up', 'down'], description: 'Only referrals up or down the tiers' })
  @IsOptional()
  @IsIn(['up', 'down'], { message: 'direction must be up or down' })
  direction?: 'up' | 'down';

  @ApiPropertyOptional({ enum: ['outpatient', 'inpatient'] })
  @IsOptional()
  @IsIn(['outpatient', 'inpatient'], { message: 'setting must be outpatient or inpatient' })
  setting?: 'outpatient' | 'inpatient';

  @CodeFilter('institutionId', 'institution') institutionId?: string;
  @CodeFilter('allianceId', 'alliance') allianceId?: string;

  @ApiPropertyOptional({
    description: `Comma-separated: ${REFERRAL_GROUPS.join(', ')}`,
    default: 'direction',
  })
  @IsOptional()
  @Transform(csvList)
  @IsArray()
  @IsIn(REFERRAL_GROUPS, {
    each: true,
    message: `groupBy must be a comma-separated list of: ${REFERRAL_GROUPS.join(', ')}`,
  })
  groupBy?: ReferralGroup[];

  @Unit() unit?: (typeof PERIOD_UNITS)[number];
}

/** A comma-separated groupBy over `groups`, refused naming them when it holds anything else. */
const GroupBy = (groups: readonly string[], byDefault: string) =>
  applyDecorators(
    ApiPropertyOptional({ description: `Comma-separated: ${groups.join(', ')}`, default: byDefault }),
    IsOptional(),
    Transform(csvList),
    IsArray(),
    IsIn(groups, { each: true, message: `groupBy must be a comma-separated list of: ${groups.join(', ')}` }),
  );

/** The care processes' outcomes (docs/analytics.md, "Transfer proposals" and "Follow-up completion"). */
class CareProcessQueryDto extends PeriodQueryDto {
  @CodeFilter('institutionId', 'institution') institutionId?: string;
  @CodeFilter('allianceId', 'alliance') allianceId?: string;

  @Unit() unit?: (typeof PERIOD_UNITS)[number];
}

/** Downward transfer proposals made in the period. */
export class TransferProposalsQueryDto extends CareProcessQueryDto {
  @GroupBy(PROPOSAL_GROUPS, 'fromInstitution') groupBy?: ProposalGroup[];
}

/** Follow-ups owed for discharges in the period. */
export class FollowUpsQueryDto extends CareProcessQueryDto {
  @GroupBy(FOLLOW_UP_GROUPS, 'institution') groupBy?: FollowUpGroup[];
}

export class DownwardKpiQueryDto {
  @ApiProperty({ example: '2026', description: 'The year, compared with the one before' })
  @Matches(/^(19|2\d)\d{2}$/, { message: 'year must be a year between 1900 and 2999, e.g. 2026' })
  year!: string;

  @CodeFilter('institutionId', 'institution') institutionId?: string;
  @Format() format?: 'json' | 'csv';
}

export class LocalTreatmentQueryDto extends PeriodQueryDto {
  @ApiPropertyOptional({ description: 'Only this region (GB/T 2260 code)', pattern: REGION_CODE.source })
  @IsOptional()
  @Matches(REGION_CODE, { message: 'region must be a region code' })
  region?: string;

  @CodeFilter('allianceId', 'alliance') allianceId?: string;

  @ApiPropertyOptional({ enum: ['region', 'alliance'], default: 'region' })
  @IsOptional()
  @IsIn(['region', 'alliance'], { message: 'groupBy must be region or alliance' })
  groupBy?: 'region' | 'alliance';
}
