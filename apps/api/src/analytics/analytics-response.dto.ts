import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type HeldBedRule, OCCUPANCY_GROUPS, REFERRAL_GROUPS } from '@carepath/projections';

/** HELD_BED_RULE: how a bed held for a patient on leave counts (docs/analytics.md). */
const HELD_BED_RULES: readonly HeldBedRule[] = ['physical', 'held-bed'];

/** One row per group; its figures are the indicator rules of docs/analytics.md, as `format=csv` columns too. */
const ROWS = { type: 'array', items: { type: 'object', additionalProperties: true } } as const;

export class PeriodDto {
  @ApiProperty({ example: '2026-03-01', description: 'First local date' })
  from!: string;

  @ApiProperty({ example: '2026-04-01', description: 'Local date after the last day (exclusive)' })
  to!: string;

  @ApiProperty({ nullable: true, type: String, example: '2026-03', description: 'The `period` asked for' })
  key!: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'month', description: 'The `period`’s unit' })
  unit!: string | null;
}

/** Present when the figure was replayed `asOf` an instant: the instant and the log position it stood at. */
class AsOfDto {
  @ApiPropertyOptional({ format: 'date-time' })
  asOf?: string;

  @ApiPropertyOptional({ example: '1042', description: 'The last log position the replay read' })
  asOfPosition?: string;
}

export class WardOccupancyDto extends AsOfDto {
  @ApiProperty({ type: PeriodDto })
  period!: PeriodDto;

  @ApiProperty({ enum: OCCUPANCY_GROUPS })
  groupBy!: string;

  @ApiProperty({ example: 'Asia/Shanghai', description: 'CENSUS_TIME_ZONE: where midnight falls' })
  timeZone!: string;

  @ApiProperty({ enum: HELD_BED_RULES })
  heldBedRule!: HeldBedRule;

  @ApiProperty({ ...ROWS, description: 'Per group: census, bed-days, turnover, average stay' })
  rows!: unknown[];
}

export class LiveCensusDto {
  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ enum: HELD_BED_RULES })
  heldBedRule!: HeldBedRule;

  @ApiProperty({ ...ROWS, description: 'Per ward: occupied, open beds, extra beds, on leave, rate' })
  rows!: unknown[];
}

export class ReferralVolumeDto extends AsOfDto {
  @ApiProperty({ type: PeriodDto })
  period!: PeriodDto;

  @ApiProperty({ enum: REFERRAL_GROUPS, isArray: true })
  groupBy!: string[];

  @ApiProperty({ nullable: true, type: String, description: 'The bucket size when grouping by period' })
  unit!: string | null;

  @ApiProperty({ ...ROWS, description: 'Per group: person-times, outcomes, time to decision' })
  rows!: unknown[];
}

export class DownwardKpiDto {
  @ApiProperty({ example: '2026' })
  year!: string;

  @ApiProperty({
    ...ROWS,
    description: 'Per institution: downward transfers, outpatient and inpatient, growth',
  })
  rows!: unknown[];
}

export class LocalTreatmentDto extends AsOfDto {
  @ApiProperty({ type: PeriodDto })
  period!: PeriodDto;

  @ApiProperty({ enum: ['region', 'alliance'] })
  groupBy!: 'region' | 'alliance';

  @ApiProperty({ ...ROWS, description: 'Per region or alliance: the three local-treatment rates' })
  rows!: unknown[];
}

export class WorklistDto {
  @ApiProperty({ example: 'CHC-CY-01' })
  institutionId!: string;

  @ApiProperty({ ...ROWS, description: 'Sent here, awaiting its decision, most urgent deadline first' })
  incomingReferrals!: unknown[];

  @ApiProperty({ ...ROWS, description: 'Sent from here, awaiting the other side' })
  outgoingReferrals!: unknown[];

  @ApiProperty({ ...ROWS, description: 'In a bed here now' })
  inpatients!: unknown[];

  @ApiProperty({ ...ROWS, description: 'Away from a bed here (sequential ward)' })
  onLeave!: unknown[];

  @ApiProperty({ ...ROWS, description: 'Downward transfers accepted here, the patient not yet arrived' })
  expectedDownwardTransfers!: unknown[];
}
