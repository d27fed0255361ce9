import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { code } from '../common/params';
import { ResourceNotFoundException } from '../common/http-errors';
import { Ctx, type RequestContext } from '../common/request-context';
import { writeHeaders } from '../common/write-response';
import { InstitutionDirectory } from '../reference/institution-directory';
import { LiveReferenceModel } from '../reference/live-reference.model';
import { ProjectionsService } from '../projections/projections.service';
import { ExecuteInstitutionCommand, type InstitutionIntent } from './execute-institution-command.handler';
import {
  ChangeBedCountDto,
  ListInstitutionsQueryDto,
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
  @ApiHeader({ name: 'X-Actor-Id', required: true })
  @ApiHeader({ name: 'X-Actor-Role', required: true })
  @ApiHeader({ name: 'X-Institution-Id', required: true })
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
      .map(({ status: _, ...institution }) => institution);
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
    const { status: _, ...institution } = state;
    return { ...institution, revision: Number(revision) };
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
