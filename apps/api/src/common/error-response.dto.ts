import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * Every refusal, in the one shape the ErrorFilter writes (common/error.filter.ts): 400, 401, 403, 404, 409, 413, 415,
 * 422, 429, 501 and 503 alike. `code` says which rule refused, for a client to act on; `message` says it for a
 * person, and for a 400 lists every bad field by its path.
 */
export class ErrorResponseDto {
  @ApiProperty({ example: 409 })
  statusCode!: number;

  @ApiProperty({ example: 'Conflict', description: 'The status as words' })
  error!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'Expected revision 3 but the journey is at revision 4',
  })
  message!: string | string[];

  @ApiPropertyOptional({
    example: 'REVISION_CONFLICT',
    description:
      'Which rule refused: a domain code (422/404), BAD_BODY, TOKEN_INVALID, ROLE_NOT_ALLOWED, RATE_LIMITED, REVISION_CONFLICT, STORE_BUSY, PROJECTION_UNAVAILABLE, WORK_TIMEOUT, ... (docs/api.md, "Errors")',
  })
  code?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'A domain refusal’s particulars (the event, the ward, the state it is in)',
  })
  details?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    description: '409 REVISION_CONFLICT: the revision the stream is at now (null: it does not exist)',
  })
  currentRevision?: number | null;
}
