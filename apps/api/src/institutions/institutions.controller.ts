import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  type InstitutionCommand,
  institutionDecider,
  institutionStreamId,
  unreadableInstitutionFacts,
} from '@carepath/domain';
import { code, uuid } from '../common/params';
import { InstitutionDto, InstitutionFactsDto } from '../common/record-response.dto';
import { ResourceNotFoundException } from '../common/http-errors';
import { Ctx, type RequestContext } from '../common/request-context';
import { ApiWritten, type HeaderReply } from '../common/write-response';
import { InstitutionDirectory, type RegisteredInstitution } from '../reference/institution-directory';
import { LiveReferenceModel } from '../reference/live-reference.model';
import { StreamWrites, writeAnswer } from '../store/stream-writes';
import {
  ChangeBedCountDto,
  ListInstitutionsQueryDto,
  MarkInstitutionEventEnteredInErrorDto,
  OpenWardDto,
  RegisterInstitutionDto,
} from './institution.dto';

const institutionNotFound = (institutionId: string) =>
  new ResourceNotFoundException('INSTITUTION_NOT_FOUND', `Unknown institution ${institutionId}`);

/** Reference data: institutions with their tier and alliance, and their wards' open beds (docs/domain.md). */
@ApiTags('institutions')
@Controller('institutions')
export class InstitutionsController {
  constructor(
    private readonly streams: StreamWrites,
    private readonly directory: InstitutionDirectory,
    private readonly live: LiveReferenceModel,
  ) {}

  @Post()
  @ApiWritten()
  @ApiOperation({ summary: 'Register an institution (tier, alliance, region)' })
  register(
    @Ctx() ctx: RequestContext,
    @Body() body: RegisterInstitutionDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const { occurredAt, allianceId, ...rest } = body;
    reply.header('Location', `/institutions/${body.institutionId}`);
    return this.write(
      reply,
      ctx,
      body.institutionId,
      { body },
      {
        type: 'RegisterInstitution',
        metadata: this.streams.metadata(ctx, occurredAt),
        data: { ...rest, allianceId: allianceId ?? null },
      },
    );
  }

  @Get()
  @ApiOkResponse({ type: [InstitutionDto] })
  @ApiOperation({ summary: 'List institutions (filters: tier, allianceId, regionCode)' })
  async list(@Query() query: ListInstitutionsQueryDto) {
    // Read-your-writes: answer only once the live model has seen everything committed so far.
    await this.live.catchUpWithLog();
    return this.live
      .listInstitutions()
      .filter(
        (i) =>
          (!query.tier || i.tier === query.tier) &&
          (!query.allianceId || i.allianceId === query.allianceId) &&
          (!query.regionCode || i.regionCode === query.regionCode),
      )
      .map(served);
  }

  @Get(':institutionId')
  @ApiOkResponse({ type: InstitutionDto })
  @ApiOperation({ summary: 'One institution with its wards and bed-count history' })
  async get(
    @Param('institutionId', code('institutionId')) institutionId: string,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const { state, revision } = await this.directory.find(institutionId);
    if (state.status !== 'registered') {
      throw institutionNotFound(institutionId);
    }
    reply.header('ETag', `"${String(revision)}"`);
    return { ...served(state), revision: Number(revision) };
  }

  @Get(':institutionId/events')
  @ApiOkResponse({ type: InstitutionFactsDto })
  @ApiOperation({
    summary: "The institution's ward facts in log order, with their status (to find one to repair)",
  })
  async events(@Param('institutionId', code('institutionId')) institutionId: string) {
    const { state } = await this.directory.find(institutionId);
    if (state.status !== 'registered') {
      throw institutionNotFound(institutionId);
    }
    return { institutionId, facts: state.facts };
  }

  @Post(':institutionId/events/:eventId/entered-in-error')
  @ApiWritten()
  @ApiOperation({
    summary: 'Void a ward fact recorded in error, or stored by an older version with an unreadable care time',
  })
  markEnteredInError(
    @Param('institutionId', code('institutionId')) institutionId: string,
    @Param('eventId', uuid('eventId')) eventId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: MarkInstitutionEventEnteredInErrorDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    // Voiding is an administrative act done now.
    return this.write(
      reply,
      ctx,
      institutionId,
      { institutionId, eventId, body },
      {
        type: 'MarkInstitutionEventEnteredInError',
        metadata: this.streams.metadata(ctx),
        data: { institutionId, targetEventId: eventId, reason: body.reason },
      },
    );
  }

  @Post(':institutionId/wards')
  @ApiWritten()
  @ApiOperation({ summary: 'Open a ward with its open beds' })
  openWard(
    @Param('institutionId', code('institutionId')) institutionId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: OpenWardDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const { occurredAt, ...ward } = body;
    return this.write(
      reply,
      ctx,
      institutionId,
      { institutionId, body },
      {
        type: 'OpenWard',
        metadata: this.streams.metadata(ctx, occurredAt),
        data: { institutionId, ...ward },
      },
    );
  }

  @Post(':institutionId/wards/:wardId/bed-count')
  @ApiWritten()
  @ApiOperation({ summary: 'Change the open bed count from a date (open bed-days follow it)' })
  changeBedCount(
    @Param('institutionId', code('institutionId')) institutionId: string,
    @Param('wardId', code('wardId')) wardId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: ChangeBedCountDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    return this.write(
      reply,
      ctx,
      institutionId,
      { institutionId, wardId, body },
      {
        type: 'ChangeWardBedCount',
        metadata: this.streams.metadata(ctx, body.occurredAt),
        data: { institutionId, wardId, openBeds: body.openBeds },
      },
    );
  }

  /** `inputs`: what the route was asked (path ids and body), which an Idempotency-Key retry must repeat. */
  private async write(
    reply: HeaderReply,
    ctx: RequestContext,
    institutionId: string,
    inputs: Readonly<Record<string, unknown>>,
    command: InstitutionCommand,
  ) {
    const result = await this.streams.write(reply, ctx, institutionDecider, command, {
      streamId: institutionStreamId(institutionId),
      // The shape requests were hashed in before this path existed, so their retries still replay.
      fingerprint: { kind: command.type, ...inputs },
      missing: command.type === 'RegisterInstitution' ? undefined : () => institutionNotFound(institutionId),
    });
    return { institutionId, ...writeAnswer(result) };
  }
}

/**
 * An institution as clients see it: its facts stay behind `/events`; one that needs repair says so in the list
 * and answers INSTITUTION_NEEDS_REPAIR everywhere else (docs/robustness.md).
 */
function served(state: RegisteredInstitution) {
  const { status: _, facts: __, ...institution } = state;
  return unreadableInstitutionFacts(state).length > 0 ? { ...institution, needsRepair: true } : institution;
}
