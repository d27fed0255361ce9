import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The walk of the hash chain (libs/event-store, hash-chain.ts): its head when whole, its first broken link if not. */
export class ChainVerificationDto {
  @ApiProperty()
  ok!: boolean;

  @ApiProperty({ description: 'Events checked' })
  checked!: number;

  @ApiPropertyOptional({ example: '1042', description: 'Whole: the last position' })
  headPosition?: string;

  @ApiPropertyOptional({ description: 'Whole: the last event’s hash' })
  headHash?: string;

  @ApiPropertyOptional({ example: '17', description: 'Broken: where' })
  position?: string;

  @ApiPropertyOptional({ description: 'Broken: the stream of the event there' })
  streamId?: string;

  @ApiPropertyOptional({ example: 'hash-mismatch', description: 'Broken: which check failed' })
  problem?: string;

  @ApiPropertyOptional({ description: 'Broken: what was expected and found' })
  detail?: string;
}

/** A checkpoint of the head, signed with AUDIT_SIGNING_KEY_FILE (Ed25519 over its canonical JSON). */
export class SignedCheckpointDto {
  @ApiProperty({ example: '1042' })
  position!: string;

  @ApiProperty()
  hash!: string;

  @ApiProperty()
  count!: number;

  @ApiProperty({ format: 'date-time' })
  signedAt!: string;

  @ApiProperty({ description: 'The last 8 bytes of the public key, hex' })
  keyId!: string;

  @ApiProperty({ description: 'Base64' })
  signature!: string;
}

/** One read of patient-level data (audit/access-log.ts). */
export class AccessRecordDto {
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null for a worklist read' })
  journeyId!: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The worklist’s institution; null for a journey',
  })
  worklistInstitutionId!: string | null;

  @ApiProperty({ example: 'state', description: 'state, timeline, history, worklist, export' })
  resource!: string;

  @ApiProperty({ nullable: true, type: String, example: 'treatment' })
  reason!: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'care-relationship' })
  basis!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Break-glass: why' })
  justification!: string | null;

  @ApiProperty({ description: 'Break-glass reads, for review' })
  flagged!: boolean;

  @ApiProperty({ nullable: true, type: String })
  issuer!: string | null;

  @ApiProperty()
  actorId!: string;

  @ApiProperty({ example: 'doctor' })
  actorRole!: string;

  @ApiProperty()
  institutionId!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty()
  correlationId!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  asOf!: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  validAt!: string | null;
}

export class AccessPageDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'When filtered by journey' })
  journeyId?: string;

  @ApiProperty({ type: [AccessRecordDto] })
  records!: AccessRecordDto[];

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Give as `after` for the next page; null at the end',
  })
  next!: string | null;
}
