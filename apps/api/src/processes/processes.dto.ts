import { ApiProperty } from '@nestjs/swagger';
import { PROCESS_NAMES } from './process-plans';

export class ProcessCheckpointDto {
  @ApiProperty({ description: 'Last log position the care-processes read model applied' })
  position!: string;
  @ApiProperty()
  headPosition!: string;
  @ApiProperty({ description: 'Positions behind the log head' })
  lag!: string;
  @ApiProperty({ description: 'The projection’s state (live, catching-up, failed, external...)' })
  state!: string;
}

export class ProcessErrorDto {
  @ApiProperty()
  message!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'A domain or system error code, when it has one',
  })
  code!: string | null;
  @ApiProperty({ description: 'The pending act, `<kind>:<subjectId>`' })
  actionId!: string;
  @ApiProperty({ format: 'date-time' })
  at!: string;
}

export class ProcessStatusDto {
  @ApiProperty({ enum: PROCESS_NAMES })
  name!: string;
  @ApiProperty({ description: 'PROCESSES=on' })
  enabled!: boolean;
  @ApiProperty({
    description:
      'Acting in this replica now: enabled and, with several replicas on PostgreSQL, holding the duty lease (docs/scaling.md)',
  })
  running!: boolean;
  @ApiProperty({ example: 'process:referral-deadlines', description: 'The actor its events are recorded by' })
  actorId!: string;
  @ApiProperty({ type: ProcessCheckpointDto, nullable: true })
  checkpoint!: ProcessCheckpointDto | null;
  @ApiProperty({ description: 'Acts due by now and not yet done' })
  dueNow!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'The next timer' })
  nextDueAt!: string | null;
  @ApiProperty({ description: 'Acts appended since this API started' })
  acted!: number;
  @ApiProperty({ description: 'Acts found already appended (their idempotency key), since start' })
  replayed!: number;
  @ApiProperty({ description: 'Acts refused as already done or no longer called for, since start' })
  settled!: number;
  @ApiProperty({ description: 'Acts due that cannot be done (no community centre found), now' })
  skipped!: number;
  @ApiProperty({ nullable: true, type: String })
  lastSkipReason!: string | null;
  @ApiProperty({ description: 'Failed attempts since start (each retried later)' })
  failed!: number;
  @ApiProperty({ type: ProcessErrorDto, nullable: true })
  lastError!: ProcessErrorDto | null;
  @ApiProperty({ nullable: true, type: String, description: 'Care time of the last act' })
  lastActedAt!: string | null;
}

export class ProcessesDto {
  @ApiProperty({ type: [ProcessStatusDto] })
  processes!: ProcessStatusDto[];
}
