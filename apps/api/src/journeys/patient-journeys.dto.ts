import { ApiProperty } from '@nestjs/swagger';
import { DATE_TIME, OR_NULL, UUID } from '../common/api-property-options';
import { PseudonymousId } from '../common/validation';

export class PatientJourneysQueryDto {
  @PseudonymousId()
  patientId!: string;
}

export class PatientJourneyDto {
  @ApiProperty(UUID) journeyId!: string;
  @ApiProperty({ example: 4, description: 'The journey’s revision now (the ETag of GET /journeys/:id)' })
  revision!: number;
  @ApiProperty({ enum: ['open', 'closed'] }) status!: 'open' | 'closed';
  @ApiProperty({ example: '110105' }) residenceRegion!: string;
  @ApiProperty(DATE_TIME) openedAt!: string;
  @ApiProperty({ ...DATE_TIME, ...OR_NULL }) closedAt!: string | null;

  @ApiProperty({
    enum: ['care-relationship', 'audit', 'break-glass'],
    description: 'Why the reader may see it (as recorded in the access log)',
  })
  basis!: string;
}

export class PatientJourneysDto {
  @ApiProperty({ example: 'pt-7f3a9c21' }) patientId!: string;

  @ApiProperty({
    type: [PatientJourneyDto],
    description: 'The journeys the reader may see, oldest first; none is not a sign there are none',
  })
  journeys!: PatientJourneyDto[];
}
