import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { REFERRAL_PRIORITIES } from '@carepath/domain';
import {
  ACTION_KINDS,
  type ActionKind,
  WORKLIST_DIRECTIONS,
  WORKLIST_SECTIONS,
  WORKLIST_STATUSES,
  type WorklistSection,
} from '@carepath/projections';
import { CODE_ID } from '@carepath/runtime';

/** What a `next` of an earlier answer looks like (base64url, bounded): anything else is refused before decoding. */
const CURSOR = /^[A-Za-z0-9_-]{1,512}$/;
const MAX_LIMIT = 500;

class PageQueryDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_LIMIT,
    description: 'At most this many rows (per section on a worklist); the answer gives `next` cursors',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(MAX_LIMIT, { message: `limit must be at most ${MAX_LIMIT}` })
  limit?: number;

  @ApiPropertyOptional({ description: 'A `next` value of an earlier answer: the page after it' })
  @IsOptional()
  @Matches(CURSOR, { message: 'cursor must be a `next` value of an earlier answer' })
  cursor?: string;
}

/** Filters and paging of GET /worklists/:institutionId (docs/worklists.md, "Filters and paging"). */
export class WorklistQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only referrals of this department code', pattern: CODE_ID.source })
  @IsOptional()
  @Matches(CODE_ID, { message: 'department must be a department code' })
  department?: string;

  @ApiPropertyOptional({ enum: REFERRAL_PRIORITIES })
  @IsOptional()
  @IsIn(REFERRAL_PRIORITIES, { message: `priority must be one of: ${REFERRAL_PRIORITIES.join(', ')}` })
  priority?: string;

  @ApiPropertyOptional({ enum: WORKLIST_STATUSES, description: 'Only referrals in this status' })
  @IsOptional()
  @IsIn(WORKLIST_STATUSES, { message: `status must be one of: ${WORKLIST_STATUSES.join(', ')}` })
  status?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'true: past the deadline (referrals) or the due date (follow-ups) by the server clock',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'overdue must be true or false' })
  overdue?: 'true' | 'false';

  @ApiPropertyOptional({ enum: WORKLIST_DIRECTIONS, description: 'Sections facing this way only' })
  @IsOptional()
  @IsIn(WORKLIST_DIRECTIONS, { message: 'direction must be incoming or outgoing' })
  direction?: 'incoming' | 'outgoing';

  @ApiPropertyOptional({ enum: WORKLIST_SECTIONS, description: 'Only this section' })
  @IsOptional()
  @IsIn(WORKLIST_SECTIONS, { message: `section must be one of: ${WORKLIST_SECTIONS.join(', ')}` })
  section?: WorklistSection;
}

export class ActionRequiredQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ACTION_KINDS, description: 'Only items of this kind' })
  @IsOptional()
  @IsIn(ACTION_KINDS, { message: `kind must be one of: ${ACTION_KINDS.join(', ')}` })
  kind?: ActionKind;
}
