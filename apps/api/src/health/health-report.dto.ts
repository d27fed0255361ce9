import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Indicators by name (`eventStore`, `storeWrite`, `referenceModel`, `projections`, `process`), each up or down. */
const INDICATORS = {
  type: 'object' as const,
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    required: ['status'],
    additionalProperties: true,
  },
};

/** The shape @nestjs/terminus answers (health-report.ts): 200 when ok, 503 with the reasons otherwise. */
export class HealthReportDto {
  @ApiProperty({ enum: ['ok', 'error'] })
  status!: 'ok' | 'error';

  @ApiProperty({ ...INDICATORS, description: 'The indicators that are up' })
  info!: Record<string, unknown>;

  @ApiProperty({ ...INDICATORS, description: 'The indicators that are down, with why' })
  error!: Record<string, unknown>;

  @ApiProperty({ ...INDICATORS, description: 'Every indicator' })
  details!: Record<string, unknown>;
}

/** A projection's runner (libs/projections, projection-runner.ts), as GET /projections and the rebuilds answer it. */
export class ProjectionStatusDto {
  @ApiProperty({ example: 'ward-occupancy' })
  name!: string;

  @ApiPropertyOptional({ description: 'Version of the projection’s code; a new one rebuilds its read model' })
  version?: number;

  @ApiProperty({ nullable: true, type: Number, description: 'The read-model file in service' })
  generation!: number | null;

  @ApiProperty({
    example: 'live',
    description: 'stopped, catching-up, live, rebuilding, retrying, failed, ...',
  })
  state!: string;

  @ApiProperty({ example: '1042', description: 'Last log position applied' })
  position!: string;

  @ApiProperty({ example: '1042' })
  headPosition!: string;

  @ApiProperty({ example: '0', description: 'Events behind the head of the log' })
  lag!: string;

  @ApiPropertyOptional()
  eventsApplied?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  lastError?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The rebuild under way: generation, position, where (worker or in-process)',
  })
  rebuild?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'How the last rebuild ended: outcome, generation, where, at, message',
  })
  lastRebuild?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  retry?: Record<string, unknown> | null;
}

export class ProjectionsDto {
  @ApiProperty({ type: [ProjectionStatusDto] })
  projections!: ProjectionStatusDto[];
}
