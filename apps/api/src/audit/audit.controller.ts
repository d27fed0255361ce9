import { Controller, Get, HttpException, HttpStatus, Inject, Query } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { type EventStore, signCheckpoint } from '@carepath/event-store';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Ctx, type RequestContext } from '../common/request-context';
import { CLOCK, type Clock, EVENT_STORE } from '../store/tokens';
import { HeavyWork } from '../work/heavy-work.service';
import { AccessLog } from './access-log';

export class AccessQueryDto {
  @IsUUID(4, { message: 'journeyId must be a UUID' })
  journeyId!: string;
}

function notOffered(what: string): HttpException {
  return new HttpException(
    { statusCode: 501, error: 'Not Implemented', code: 'AUDIT_NOT_AVAILABLE', message: what },
    HttpStatus.NOT_IMPLEMENTED,
  );
}

@ApiTags('audit')
@ApiHeader({ name: 'X-Actor-Id', required: true })
@ApiHeader({ name: 'X-Actor-Role', required: true })
@ApiHeader({ name: 'X-Institution-Id', required: true })
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
  @ApiOperation({
    summary: 'Walk the hash chain: the first broken link, or the count checked and the head hash',
  })
  verify(@Ctx() _ctx: RequestContext) {
    return this.verifyChain();
  }

  @Get('checkpoint')
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
  @ApiOperation({ summary: 'Who read a journey’s record, when, for which institution and why' })
  access(@Ctx() _ctx: RequestContext, @Query() query: AccessQueryDto) {
    return this.accessLog.list(query.journeyId).then((records) => ({ journeyId: query.journeyId, records }));
  }

  /** The walk reads the whole log: it runs in a heavy-work thread within its budget (issue 15). */
  private verifyChain() {
    if (!this.store.verifyChain) throw notOffered('This event store keeps no hash chain');
    return this.work.verifyChain();
  }
}
