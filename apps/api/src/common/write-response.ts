import { ApiCreatedResponse, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export interface WriteResponse {
  readonly revision: number;
  readonly eventIds: readonly string[];
  readonly events: readonly { readonly id: string; readonly type: string; readonly revision: number }[];
  readonly [id: string]: unknown;
}

/**
 * The one method write routes need from a reply. Express's Response and Fastify's FastifyReply both have it, so a
 * controller can take `@Res({ passthrough: true }) reply: HeaderReply` whichever adapter runs underneath.
 */
export interface HeaderReply {
  header(name: string, value: string): unknown;
}

/** The new revision as ETag (the next If-Match), and a marker when an Idempotency-Key replayed. */
export function writeHeaders(reply: HeaderReply, result: { revision: bigint; replayed: boolean }): void {
  reply.header('ETag', `"${result.revision}"`);
  if (result.replayed) reply.header('Idempotent-Replayed', 'true');
}

export class WrittenEventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'VisitRecorded' })
  type!: string;

  @ApiProperty({ example: 3 })
  revision!: number;
}

/** Every write's answer (WriteResponse); its ETag header carries the same revision. */
export class WriteResponseDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The journey written (journey routes)' })
  journeyId?: string;

  @ApiPropertyOptional({ example: 'HOSP-CY-01', description: 'The institution written (institution routes)' })
  institutionId?: string;

  @ApiProperty({ example: 3, description: 'The stream’s revision after the write: the next If-Match' })
  revision!: number;

  @ApiProperty({ type: [String], format: 'uuid' })
  eventIds!: string[];

  @ApiProperty({ type: [WrittenEventDto] })
  events!: WrittenEventDto[];
}

/**
 * A write route's 201 in the document. The answer also names what the write created, by its id field
 * (`visitId`, `referralId`, `admissionId`, ...), as the route's summary says.
 */
export const ApiWritten = () =>
  ApiCreatedResponse({
    type: WriteResponseDto,
    description:
      'Written (or replayed for a repeated Idempotency-Key: Idempotent-Replayed: true); ETag: the new revision',
  });
