import { Controller, Get, HttpException, HttpStatus, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { parseCareTime } from '@carepath/domain';
import { type EventStore, signCheckpoint } from '@carepath/event-store';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type AppConfig, CODE_ID } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { Ctx, type RequestContext } from '../common/request-context';
import { OccurredAt } from '../common/validation';
import { CLOCK, type Clock, EVENT_STORE } from '../store/tokens';
import { HeavyWork } from '../work/heavy-work.service';
import { AccessLog } from './access-log';
import { AccessPageDto, ChainVerificationDto, SignedCheckpointDto } from './audit-response.dto';

/** Who read what (issue 17): any combination of journey, actor, acting institution and period, oldest first. */
export class AccessQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Reads of this journey' })
  @IsOptional()
  @IsUUID('all', { message: 'journeyId must be a UUID' })
  journeyId?: string;

  @ApiPropertyOptional({ description: 'Reads by this actor (a token subject)' })
  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,255}$/, {
    message: 'actorId must be 1-255 visible ASCII characters (a token subject)',
  })
  actorId?: string;

  @ApiPropertyOptional({ description: 'Reads by staff acting for this institution' })
  @IsOptional()
  @Matches(CODE_ID, { message: 'institutionId must be an institution id' })
  institutionId?: string;

  @OccurredAt('Reads recorded at or after this instant', { optional: true })
  from?: string;

  @OccurredAt('Reads recorded before this instant', { optional: true })
  to?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: break-glass reads only' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'flagged must be true or false' })
  flagged?: 'true' | 'false';

  @ApiPropertyOptional({ description: 'The previous page’s `next`' })
  @IsOptional()
  @Matches(/^\d{1,20}$/, { message: 'after must be the next cursor of a previous page' })
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10_000, default: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(10_000, { message: 'limit must be at most 10000' })
  limit?: number;
}

function notOffered(what: string): HttpException {
  return new HttpException(
    { statusCode: 501, error: 'Not Implemented', code: 'AUDIT_NOT_AVAILABLE', message: what },
    HttpStatus.NOT_IMPLEMENTED,
  );
}

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly accessLog: AccessLog,
    private readonly work: HeavyWork,
  ) {}

  @Get('verify')
  @ApiOkResponse({ type: ChainVerificationDto })
  @ApiOperation({
    summary: 'Walk the hash chain: the first broken link, or the count checked and the head hash',
  })
  verify(@Ctx() _ctx: RequestContext) {
    return this.verifyChain();
  }

  @Get('checkpoint')
  @ApiOkResponse({ type: SignedCheckpointDto })
  @ApiOperation({ summary: 'A signed (Ed25519) checkpoint of the head hash, to keep outside the database' })
  async checkpoint(@Ctx() _ctx: RequestContext) {
    if (!this.config.auditSigningKeyFile)
      throw notOffered('Set AUDIT_SIGNING_KEY_FILE to an Ed25519 private key to sign checkpoints');
    const result = await this.verifyChain();
    if (!result.ok) {
      throw new HttpException(
        {
          statusCode: 409,
          error: 'Conflict',
          code: 'CHAIN_BROKEN',
          message: 'The log does not verify; no checkpoint is signed',
          result,
        },
        HttpStatus.CONFLICT,
      );
    }
    const privateKey = readFileSync(this.config.auditSigningKeyFile, 'utf8');
    const keyId = createPublicKey(privateKey)
      .export({ type: 'spki', format: 'der' })
      .subarray(-8)
      .toString('hex');
    return signCheckpoint(
      {
        position: result.headPosition,
        hash: result.headHash,
        count: result.checked,
        signedAt: this.clock().toISOString(),
        keyId,
      },
      privateKey,
    );
  }

  @Get('access')
  @ApiOkResponse({ type: AccessPageDto })
  @ApiOperation({
    summary:
      'Who read patient-level data (journeys, worklists), when, for which institution, on what basis and why: filter by journeyId, actorId, institutionId, from/to, flagged (break-glass); paged by `next`',
  })
  async access(@Ctx() _ctx: RequestContext, @Query() query: AccessQueryDto) {
    const { records, next } = await this.accessLog.list({
      journeyId: query.journeyId,
      actorId: query.actorId,
      institutionId: query.institutionId,
      fromMs: query.from === undefined ? undefined : (parseCareTime(query.from) ?? undefined),
      toMs: query.to === undefined ? undefined : (parseCareTime(query.to) ?? undefined),
      flagged: query.flagged === undefined ? undefined : query.flagged === 'true',
      after: query.after === undefined ? undefined : BigInt(query.after),
      limit: query.limit ?? 1000,
    });
    return { ...(query.journeyId ? { journeyId: query.journeyId } : {}), records, next };
  }

  /** The walk reads the whole log: it runs in a heavy-work thread within its budget (issue 15). */
  private verifyChain() {
    if (!this.store.verifyChain) throw notOffered('This event store keeps no hash chain');
    return this.work.verifyChain();
  }
}
