import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TRANSFER_DECLINE_REASONS } from '@carepath/domain';
import {
  type DownwardTransferKpi,
  FOLLOW_UP_GROUPS,
  type FollowUpFigures,
  type GroupedFigures,
  PROPOSAL_GROUPS,
  type TransferProposalFigures,
  type HeldBedRule,
  type LiveWardCensus,
  OCCUPANCY_GROUPS,
  type OccupancyFigures,
  type OccupancyRow,
  type Ratio,
  REFERRAL_GROUPS,
  REFERRAL_OUTCOMES,
  type ReferralFigures,
  type ReferralOutcome,
  type ReferralVolumeRow,
} from '@carepath/projections';

/** HELD_BED_RULE: how a bed held for a patient on leave counts (docs/analytics.md). */
const HELD_BED_RULES: readonly HeldBedRule[] = ['physical', 'held-bed'];

/*
 * The row DTOs implement the query functions' row types, so a figure added to a row and not here fails to compile.
 * Their meaning: docs/analytics.md, one heading per rule.
 */

export class OccupancyFiguresDto implements OccupancyFigures {
  @ApiProperty({ description: 'Midnight censuses in the period' })
  days!: number;

  @ApiProperty({ description: 'Patients counted at each midnight census, summed (docs/analytics.md)' })
  occupiedBedDays!: number;

  @ApiProperty()
  openBedDays!: number;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Percent, 2 decimals; null without open bed-days',
  })
  bedUseRate!: number | null;

  @ApiProperty()
  averageOpenBeds!: number;

  @ApiProperty({ nullable: true, type: Number })
  bedWorkDays!: number | null;

  @ApiProperty()
  discharges!: number;

  @ApiProperty({ nullable: true, type: Number, description: 'Discharges per average open bed' })
  turnover!: number | null;

  @ApiProperty()
  dischargedBedDays!: number;

  @ApiProperty({ nullable: true, type: Number, description: 'Days, over the patients discharged' })
  averageLengthOfStay!: number | null;
}

export class OccupancyRowDto implements OccupancyRow {
  @ApiProperty({ nullable: true, type: String, description: 'Null unless grouped by ward or institution' })
  institutionId!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Null unless grouped by ward' })
  wardId!: string | null;

  @ApiProperty({ nullable: true, type: String })
  allianceId!: string | null;

  @ApiProperty({ type: OccupancyFiguresDto })
  figures!: OccupancyFiguresDto;
}

class DecisionHoursDto {
  @ApiProperty({ nullable: true, type: Number })
  median!: number | null;

  @ApiProperty({ nullable: true, type: Number, description: 'Nearest rank' })
  p90!: number | null;
}

export class ReferralFiguresDto implements ReferralFigures {
  @ApiProperty({ description: 'Person-times' })
  total!: number;

  @ApiProperty({
    type: 'object',
    properties: Object.fromEntries(REFERRAL_OUTCOMES.map((o) => [o, { type: 'integer' }])),
    description: 'Referrals by how they ended (or stand)',
  })
  outcomes!: Record<ReferralOutcome, number>;

  @ApiProperty({ description: 'Ever accepted (accepted, in progress or completed)' })
  accepted!: number;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Percent of decided referrals that were accepted',
  })
  acceptanceRate!: number | null;

  @ApiProperty({ type: DecisionHoursDto, description: 'Hours from request to the receiving side’s decision' })
  timeToDecisionHours!: DecisionHoursDto;
}

export class ReferralVolumeRowDto implements ReferralVolumeRow {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: 'The value of each groupBy key (direction, setting, institution, alliance, period)',
  })
  group!: Record<string, string | null>;

  @ApiProperty({ type: ReferralFiguresDto })
  figures!: ReferralFiguresDto;

  @ApiProperty({ description: 'Person-times in the window just before (same unit, or as many days)' })
  previousTotal!: number;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: '(total − previousTotal) ÷ previousTotal × 100; null when previousTotal is 0',
  })
  growth!: number | null;
}

export class LiveWardCensusDto implements LiveWardCensus {
  @ApiProperty()
  institutionId!: string;

  @ApiProperty()
  wardId!: string;

  @ApiProperty({ description: 'Patients in its beds now (under HELD_BED_RULE)' })
  occupied!: number;

  @ApiProperty()
  openBeds!: number;

  @ApiProperty({ description: 'Patients on beds beyond the open ones' })
  extraBeds!: number;

  @ApiProperty()
  onLeave!: number;

  @ApiProperty({ nullable: true, type: Number, description: 'Percent, 2 decimals; null without open beds' })
  rate!: number | null;
}

export class DownwardKpiRowDto implements DownwardTransferKpi {
  @ApiProperty()
  institutionId!: string;

  @ApiProperty({ example: '2026' })
  year!: string;

  @ApiProperty({ description: 'Downward transfers that happened (accepted, in progress or completed)' })
  outpatient!: number;

  @ApiProperty()
  inpatient!: number;

  @ApiProperty()
  total!: number;

  @ApiProperty({ description: 'Downward referrals requested, whatever became of them' })
  requested!: number;

  @ApiProperty()
  previousYearTotal!: number;

  @ApiProperty({ nullable: true, type: Number })
  growth!: number | null;

  @ApiProperty({
    nullable: true,
    type: Boolean,
    description: 'Growth of at least 10% (null without a year before)',
  })
  meetsGrowthTarget!: boolean | null;
}

export class RatioDto implements Ratio {
  @ApiProperty()
  numerator!: number;

  @ApiProperty()
  denominator!: number;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Percent, 2 decimals; null when the denominator is 0',
  })
  rate!: number | null;
}

/** groupBy=region: a region's three rates; groupBy=alliance: an alliance's community share. */
export class LocalTreatmentRowDto {
  @ApiPropertyOptional({ description: 'groupBy=region' })
  regionCode?: string;

  @ApiPropertyOptional({ description: 'groupBy=alliance' })
  allianceId?: string;

  @ApiProperty({ type: RatioDto })
  communityShare!: RatioDto;

  @ApiPropertyOptional({ type: RatioDto, description: 'groupBy=region' })
  residentsCommunityShare?: RatioDto;

  @ApiPropertyOptional({ type: RatioDto, description: 'groupBy=region' })
  inRegionRate?: RatioDto;
}

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

  @ApiProperty({ type: [OccupancyRowDto], description: 'One per group' })
  rows!: OccupancyRowDto[];
}

export class LiveCensusDto {
  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ enum: HELD_BED_RULES })
  heldBedRule!: HeldBedRule;

  @ApiProperty({ type: [LiveWardCensusDto] })
  rows!: LiveWardCensusDto[];
}

export class ReferralVolumeDto extends AsOfDto {
  @ApiProperty({ type: PeriodDto })
  period!: PeriodDto;

  @ApiProperty({ enum: REFERRAL_GROUPS, isArray: true })
  groupBy!: string[];

  @ApiProperty({ nullable: true, type: String, description: 'The bucket size when grouping by period' })
  unit!: string | null;

  @ApiProperty({ type: [ReferralVolumeRowDto], description: 'One per group' })
  rows!: ReferralVolumeRowDto[];
}

export class DownwardKpiDto {
  @ApiProperty({ example: '2026' })
  year!: string;

  @ApiProperty({ type: [DownwardKpiRowDto] })
  rows!: DownwardKpiRowDto[];
}

export class LocalTreatmentDto extends AsOfDto {
  @ApiProperty({ type: PeriodDto })
  period!: PeriodDto;

  @ApiProperty({ enum: ['region', 'alliance'] })
  groupBy!: 'region' | 'alliance';

  @ApiProperty({ type: [LocalTreatmentRowDto] })
  rows!: LocalTreatmentRowDto[];
}

export class TransferProposalFiguresDto implements TransferProposalFigures {
  @ApiProperty({ description: 'Proposals made in the period' })
  made!: number;

  @ApiProperty({ description: 'Accepted: each became a downward referral' })
  accepted!: number;

  @ApiProperty()
  declined!: number;

  @ApiProperty({
    type: 'object',
    properties: Object.fromEntries(TRANSFER_DECLINE_REASONS.map((r) => [r, { type: 'integer' }])),
    description: 'Declined proposals by reason code',
  })
  declinedByReason!: Record<string, number>;

  @ApiProperty({
    description: 'Closed unanswered: the stay ended, or a downward referral was asked for otherwise',
  })
  lapsed!: number;

  @ApiProperty({ description: 'Awaiting the holding hospital’s answer' })
  open!: number;

  @ApiProperty({ nullable: true, type: Number, description: 'accepted ÷ (accepted + declined) × 100' })
  acceptanceRate!: number | null;
}

export class TransferProposalsRowDto implements GroupedFigures<TransferProposalFigures> {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: 'The value of each groupBy key',
  })
  group!: Record<string, string | null>;

  @ApiProperty({ type: TransferProposalFiguresDto })
  figures!: TransferProposalFiguresDto;
}

export class TransferProposalsDto extends AsOfDto {
  @ApiProperty({ type: PeriodDto })
  period!: PeriodDto;

  @ApiProperty({ enum: PROPOSAL_GROUPS, isArray: true })
  groupBy!: string[];

  @ApiProperty({ nullable: true, type: String, description: 'The bucket size when grouping by period' })
  unit!: string | null;

  @ApiProperty({ type: [TransferProposalsRowDto], description: 'One per group' })
  rows!: TransferProposalsRowDto[];
}

export class FollowUpFiguresDto implements FollowUpFigures {
  @ApiProperty({ description: 'Follow-ups owed for discharges in the period' })
  owed!: number;

  @ApiProperty({ description: 'Done by the due date (a visit at the owing centre, or recorded by then)' })
  doneInTime!: number;

  @ApiProperty({ description: 'Recorded as done after the due date' })
  doneLate!: number;

  @ApiProperty({ description: 'Of those done, recorded by the centre rather than shown by a visit' })
  doneRecorded!: number;

  @ApiProperty({ description: 'Not done and past the due date at `at`' })
  overdue!: number;

  @ApiProperty({ description: 'Not done and not yet due at `at` (left out of the rate)' })
  notYetDue!: number;

  @ApiProperty({ nullable: true, type: Number, description: 'doneInTime ÷ (owed − notYetDue) × 100' })
  completionRate!: number | null;
}

export class FollowUpsRowDto implements GroupedFigures<FollowUpFigures> {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: 'The value of each groupBy key',
  })
  group!: Record<string, string | null>;

  @ApiProperty({ type: FollowUpFiguresDto })
  figures!: FollowUpFiguresDto;
}

export class FollowUpsDto extends AsOfDto {
  @ApiProperty({ type: PeriodDto })
  period!: PeriodDto;

  @ApiProperty({
    format: 'date-time',
    description: 'The instant overdue and not yet due are judged at (now, or asOf)',
  })
  at!: string;

  @ApiProperty({ enum: FOLLOW_UP_GROUPS, isArray: true })
  groupBy!: string[];

  @ApiProperty({ nullable: true, type: String, description: 'The bucket size when grouping by period' })
  unit!: string | null;

  @ApiProperty({ type: [FollowUpsRowDto], description: 'One per group' })
  rows!: FollowUpsRowDto[];
}
