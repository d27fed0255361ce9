import { Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { entryOf } from '@carepath/domain';
import { queryActionRequired, queryWorklist, WorklistQueryError } from '@carepath/projections';
import type { FastifyRequest } from 'fastify';
import { AccessLog } from '../audit/access-log';
import { FieldException } from '../common/http-errors';
import { code } from '../common/params';
import { Ctx, optionalAccessReason, type RequestContext } from '../common/request-context';
import { ProjectionsService } from '../projections/projections.service';
import { InstitutionDirectory } from '../reference/institution-directory';
import { CLOCK, type Clock } from '../store/tokens';
import { ActionRequiredDto, WorklistDto } from './worklists-response.dto';
import { ActionRequiredQueryDto, WorklistQueryDto } from './worklists.dto';

async function answer<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (error instanceof WorklistQueryError) throw new FieldException(error.field, error.message);
    throw error;
  }
}

/**
 * What a coordinator acts on (docs/worklists.md), from the worklist read model; "now" (overdue) is the injected
 * clock's. Both lists name patients and journeys, so each read is written to the access log before it is served.
 */
@ApiTags('worklists')
@Controller('worklists')
export class WorklistsController {
  constructor(
    private readonly projections: ProjectionsService,
    private readonly institutions: InstitutionDirectory,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly accessLog: AccessLog,
  ) {}

  @Get(':institutionId')
  @ApiOkResponse({ type: WorklistDto })
  @ApiOperation({
    summary:
      'Incoming and outgoing referrals (overdue flags), inpatients, on leave, expected and proposed downward transfers, patients "with us upstairs", follow-ups due; filters and keyset paging',
  })
  async worklist(
    @Param('institutionId', code('institutionId')) institutionId: string,
    @Query() q: WorklistQueryDto,
    @Ctx() ctx: RequestContext,
    @Req() req: FastifyRequest,
  ) {
    const reason = optionalAccessReason(req);
    const institution = await this.institutions.get(institutionId);
    const worklist = await answer(() =>
      queryWorklist(
        this.projections.sql('worklist'),
        institutionId,
        this.clock().getTime(),
        (wardId) => entryOf(institution.wards, wardId)?.openBeds,
        {
          department: q.department,
          priority: q.priority,
          status: q.status,
          overdue: q.overdue === undefined ? undefined : q.overdue === 'true',
          direction: q.direction,
          section: q.section,
          limit: q.limit,
          cursor: q.cursor,
        },
      ),
    );
    // It lists patients and journeys: recorded before it is served, like a journey read (issue 17).
    await this.accessLog.recordWorklist(ctx, institutionId, reason);
    return worklist;
  }

  @Get(':institutionId/action-required')
  @ApiOkResponse({ type: ActionRequiredDto })
  @ApiOperation({
    summary:
      'Rejected or expired outgoing referrals not yet acknowledged, overdue follow-ups, open transfer proposals, and (coordinators) escalations to the alliance; each with what clears it',
  })
  async actionRequired(
    @Param('institutionId', code('institutionId')) institutionId: string,
    @Query() q: ActionRequiredQueryDto,
    @Ctx() ctx: RequestContext,
    @Req() req: FastifyRequest,
  ) {
    const reason = optionalAccessReason(req);
    const institution = await this.institutions.get(institutionId);
    const list = await answer(() =>
      queryActionRequired(
        this.projections.sql('worklist'),
        institutionId,
        {
          allianceId: institution.allianceId,
          // Escalations go to the alliance's coordinator role (issue 20), not to every member's staff.
          escalations: ctx.actorRole === 'coordinator',
          now: this.clock().getTime(),
        },
        { kind: q.kind, limit: q.limit, cursor: q.cursor },
      ),
    );
    await this.accessLog.recordWorklist(ctx, institutionId, reason);
    return list;
  }
}
