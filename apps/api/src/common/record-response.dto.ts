import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DATE_TIME, OR_NULL, UUID } from './api-property-options';

/** Records keyed by their id (visits, referrals, wards ...): each as the domain folds it (docs/domain.md). */
const BY_ID = {
  type: 'object',
  additionalProperties: { type: 'object', additionalProperties: true },
} as const;
const FACTS = { type: 'array', items: { type: 'object', additionalProperties: true } } as const;

/** A journey's folded state (libs/domain, journey.state.ts). */
export class JourneyStateDto {
  @ApiProperty({ enum: ['open', 'closed'] }) status!: 'open' | 'closed';
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty({ example: 'pt-7f3a9c21' }) patientId!: string;
  @ApiProperty({ example: '110105' }) residenceRegion!: string;
  @ApiProperty(DATE_TIME) openedAt!: string;
  @ApiProperty({ ...DATE_TIME, ...OR_NULL }) closedAt!: string | null;
  @ApiProperty({ ...BY_ID, description: 'Visits by visitId' }) visits!: Record<string, unknown>;
  @ApiProperty({ ...BY_ID, description: 'Referrals by referralId, each with its status and times' })
  referrals!: Record<string, unknown>;
  @ApiProperty({ ...BY_ID, description: 'Stays by admissionId: ward moves, leaves, discharge' })
  admissions!: Record<string, unknown>;
  @ApiProperty({ ...BY_ID, description: 'Surgeries by surgeryId' }) surgeries!: Record<string, unknown>;
  @ApiProperty({ ...BY_ID, description: 'Rehabilitation sessions by sessionId' })
  rehabSessions!: Record<string, unknown>;

  @ApiProperty({
    ...BY_ID,
    description: 'Downward transfer proposals by proposalId: open, accepted, declined or lapsed',
  })
  proposals!: Record<string, unknown>;

  @ApiProperty({
    ...BY_ID,
    description: 'Follow-ups owed after a discharge by followUpId: owed or done, and how',
  })
  followUps!: Record<string, unknown>;

  @ApiProperty({
    ...FACTS,
    description: 'Every fact in log order with its status (recorded, corrected, ...)',
  })
  facts!: unknown[];
}

export class JourneyViewDto {
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty({ example: 3, description: 'Also the ETag: the next If-Match' }) revision!: number;
  @ApiPropertyOptional({ ...DATE_TIME, description: 'Present when asked: what was recorded by then' })
  asOf?: string;
  @ApiPropertyOptional({ ...DATE_TIME, description: 'Present when asked: the state in care then' })
  validAt?: string;
  @ApiProperty({ type: JourneyStateDto }) state!: JourneyStateDto;
}

export class TimelineStepDto {
  @ApiProperty({ example: 'admission' }) kind!: string;
  @ApiProperty(DATE_TIME) at!: string;
  @ApiProperty({ ...DATE_TIME, ...OR_NULL }) until!: string | null;
  @ApiProperty() institutionId!: string;
  @ApiProperty({ ...OR_NULL, description: 'Referral: the receiving institution' })
  toInstitutionId!: string | null;
  @ApiProperty() id!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) detail!: Record<string, unknown>;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Hours from `at` to `until` (or now), 2 decimals',
  })
  hours!: number | null;
}

export class InstitutionTimeDto {
  @ApiProperty() institutionId!: string;
  @ApiProperty(DATE_TIME) firstAt!: string;
  @ApiProperty(DATE_TIME) lastAt!: string;
  @ApiProperty({ description: 'Hours in a bed there, leave away from the bed excluded' })
  inpatientHours!: number;
  @ApiProperty() visits!: number;
}

export class JourneyTimelineDto {
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty({ example: 'open' }) status!: string;
  @ApiProperty({ type: [TimelineStepDto] }) steps!: TimelineStepDto[];
  @ApiProperty({ type: [InstitutionTimeDto] }) institutions!: InstitutionTimeDto[];
}

export class HistoryEventDto {
  @ApiProperty(UUID) id!: string;
  @ApiProperty({ example: 'ReferralRequested' }) type!: string;
  @ApiProperty() schemaVersion!: number;
  @ApiProperty() revision!: number;
  @ApiProperty({ description: 'Position in the whole log' }) position!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Who, for which institution, when recorded, correlation and causation ids, hash',
  })
  metadata!: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'The corrections (correctedBy) and the void (enteredInErrorBy) that amend this event',
  })
  amendedBy?: Record<string, unknown>;
}

export class JourneyHistoryDto {
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty() revision!: number;
  @ApiPropertyOptional(DATE_TIME) asOf?: string;
  @ApiProperty({ type: [HistoryEventDto] }) events!: HistoryEventDto[];
}

/** A registered institution with its wards (libs/domain, institution.decider.ts). */
export class InstitutionDto {
  @ApiProperty({ example: 'HOSP-CY-01' }) institutionId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'tertiary' }) tier!: string;
  @ApiProperty(OR_NULL) allianceId!: string | null;
  @ApiProperty({ example: '110105' }) regionCode!: string;
  @ApiProperty({ ...BY_ID, description: 'Wards by wardId: specialty, open beds' })
  wards!: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'True while a ward fact’s care time cannot be read' })
  needsRepair?: boolean;
  @ApiPropertyOptional({ description: 'The institution stream’s revision (one institution only)' })
  revision?: number;
}

export class InstitutionFactsDto {
  @ApiProperty({ example: 'HOSP-CY-01' }) institutionId!: string;
  @ApiProperty({ ...FACTS, description: 'Ward facts in log order, voided ones kept' }) facts!: unknown[];
}
