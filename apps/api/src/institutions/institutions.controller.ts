import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { code, uuid } from '../common/params';
import { ResourceNotFoundException } from '../common/http-errors';
import { Ctx, type RequestContext } from '../common/request-context';
import { writeHeaders } from '../common/write-response';
import { unreadableInstitutionFacts } from '@carepath/domain';
import { InstitutionDirectory, type RegisteredInstitution } from '../reference/institution-directory';
import { LiveReferenceModel } from '../reference/live-reference.model';
import { ProjectionsService } from '../projections/projections.service';
import { ExecuteInstitutionCommand, type InstitutionIntent } from './execute-institution-command.handler';
import {
  ChangeBedCountDto,
  ListInstitutionsQueryDto,
  MarkInstitutionEventEnteredInErrorDto,
  OpenWardDto,
  RegisterInstitutionDto,
} from './institution.dto';

@ApiTags('institutions')
@Controller('institutions')
export class InstitutionsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly directory: InstitutionDirectory,
    private readonly live: LiveReferenceModel,
    private readonly projections: ProjectionsService,
  ) {}

  private async run(res: Response, ctx: RequestContext, intent: InstitutionIntent) {
    const result = await this.commands.execute(new ExecuteInstitutionCommand(ctx, intent));
    writeHeaders(res, result);
    if (ctx.consistency === 'projected') await this.projections.waitFor(result.position);
    return {
      institutionId: result.institutionId,
      revision: Number(result.revision),
      eventIds: result.events.map((e) => e.id),
      events: result.events.map((e) => ({ id: e.id, type: e.type, revision: Number(e.revision) })),
    };
  }

  @Post()
  @ApiOperation({ summary: 'Register an institution (tier, alliance, region)' })
  register(
    @Ctx() ctx: RequestContext,
    @Body() body: RegisterInstitutionDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    res.setHeader('Location', `/institutions/${body.institutionId}`);
    return this.run(res, ctx, { kind: 'RegisterInstitution', body });
  }

  @Get()
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
  @ApiOperation({ summary: 'One institution with its wards and bed-count history' })
  async get(
    @Param('institutionId', code('institutionId')) institutionId: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { state, revision } = await this.directory.find(institutionId);
    if (state.status !== 'registered') {
      throw new ResourceNotFoundException('INSTITUTION_NOT_FOUND', `Unknown institution ${institutionId}`);
    }
    res.setHeader('ETag', `"${String(revision)}"`);
    return { ...served(state), revision: Number(revision) };
  }

  @Get(':institutionId/events')
  @ApiOperation({
    summary: "The institution's ward facts in log order, with their status (to find one to repair)",
  })
  async events(@Param('institutionId', code('institutionId')) institutionId: string) {
    const { state } = await this.directory.find(institutionId);
    if (state.status !== 'registered') {
      throw new ResourceNotFoundException('INSTITUTION_NOT_FOUND', `Unknown institution ${institutionId}`);
    }
    return { institutionId, facts: state.facts };
  }

  @Post(':institutionId/events/:eventId/entered-in-error')
  @ApiOperation({
    summary: 'Void a ward fact recorded in error, or stored by an older version with an unreadable care time',
  })
  markEnteredInError(
    @Param('institutionId', code('institutionId')) institutionId: string,
    @Param('eventId', uuid('eventId')) eventId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: MarkInstitutionEventEnteredInErrorDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, ctx, { kind: 'MarkInstitutionEventEnteredInError', institutionId, eventId, body });
  }

  @Post(':institutionId/wards')
  @ApiOperation({ summary: 'Open a ward with its open beds' })
  openWard(
    @Param('institutionId', code('institutionId')) institutionId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: OpenWardDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, ctx, { kind: 'OpenWard', institutionId, body });
  }

  @Post(':institutionId/wards/:wardId/bed-count')
  @ApiOperation({ summary: 'Change the open bed count from a date (open bed-days follow it)' })
  changeBedCount(
    @Param('institutionId', code('institutionId')) institutionId: string,
    @Param('wardId', code('wardId')) wardId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: ChangeBedCountDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, ctx, { kind: 'ChangeWardBedCount', institutionId, wardId, body });
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
