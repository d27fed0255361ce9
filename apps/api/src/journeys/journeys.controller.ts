import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ACCESS_REASONS } from '@carepath/runtime';
import { AccessLog } from '../audit/access-log';
import { JourneyAccess } from '../auth/journey-access';
import { uuid } from '../common/params';
import { JourneyHistoryDto, JourneyTimelineDto, JourneyViewDto } from '../common/record-response.dto';
import { Access, type AccessContext, Ctx, type RequestContext } from '../common/request-context';
import { ApiWritten, type HeaderReply, type WriteResponse } from '../common/write-response';
import { InstitutionDirectory } from '../reference/institution-directory';
import {
  CareTimeDto,
  HistoryQueryDto,
  OpenJourneyDto,
  RecordRehabSessionDto,
  RecordSurgeryDto,
  RecordVisitDto,
  TimeTravelDto,
} from './journey.dto';
import {
  GetJourneyHistoryQuery,
  GetJourneyQuery,
  GetJourneyTimelineQuery,
  type JourneyView,
} from './journey.queries';
import { JourneyWriteHeaders, JourneyWrites } from './journey-writes';

/** Break-glass (issue 17): required with the reason emergency, recorded and flagged in the access log. */
const JUSTIFICATION_HELP =
  'With X-Access-Reason: emergency, why this record is read outside the care relationship (3-200 characters)';

/**
 * A journey's start, its visits and procedures, its close, and its reads. Each write route validates its DTO,
 * resolves reference data, builds the domain command and hands it to the one write path.
 */
@ApiTags('journeys')
@JourneyWriteHeaders()
@Controller('journeys')
export class JourneysController {
  constructor(
    private readonly writes: JourneyWrites,
    private readonly institutions: InstitutionDirectory,
    private readonly queries: QueryBus,
    private readonly accessLog: AccessLog,
    private readonly access: JourneyAccess,
  ) {}

  @Post()
  @ApiWritten()
  @ApiOperation({ summary: 'Open a journey with its first visit (基层首诊 when at a community centre)' })
  async open(
    @Ctx() ctx: RequestContext,
    @Body() body: OpenJourneyDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const journeyId = this.writes.newJourneyId(ctx);
    const visitId = this.writes.newId(ctx, journeyId, 'visitId');
    const command = {
      type: 'OpenJourney',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        journeyId,
        patientId: body.patientId,
        residenceRegion: body.residenceRegion,
        visitId,
        institution: await this.institutions.snapshot(body.institutionId),
        visitType: body.visitType,
        diagnosisCode: body.diagnosisCode,
      },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, {
      inputs: { body },
      created: { visitId },
      opening: true,
    });
  }

  @Get(':journeyId')
  @ApiOkResponse({ type: JourneyViewDto })
  @ApiHeader({ name: 'X-Access-Reason', required: true, description: ACCESS_REASONS.join(' | ') })
  @ApiHeader({ name: 'X-Access-Justification', required: false, description: JUSTIFICATION_HELP })
  @ApiOperation({
    summary: "A journey's state with its revision (ETag); `asOf` and `validAt` travel in time",
  })
  async get(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Access() ctx: AccessContext,
    @Query() travel: TimeTravelDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<JourneyView> {
    const basis = await this.access.authorizeRead(ctx, journeyId);
    const view = await this.queries.execute(new GetJourneyQuery(journeyId, travel));
    await this.accessLog.record(ctx, journeyId, 'state', basis, travel);
    reply.header('ETag', `"${view.revision}"`);
    return view;
  }

  @Get(':journeyId/timeline')
  @ApiOkResponse({ type: JourneyTimelineDto })
  @ApiHeader({ name: 'X-Access-Reason', required: true, description: ACCESS_REASONS.join(' | ') })
  @ApiHeader({ name: 'X-Access-Justification', required: false, description: JUSTIFICATION_HELP })
  @ApiOperation({ summary: 'Ordered steps with institutions and time spent in each' })
  async timeline(@Param('journeyId', uuid('journeyId')) journeyId: string, @Access() ctx: AccessContext) {
    const basis = await this.access.authorizeRead(ctx, journeyId);
    const timeline = await this.queries.execute(new GetJourneyTimelineQuery(journeyId));
    await this.accessLog.record(ctx, journeyId, 'timeline', basis);
    return timeline;
  }

  @Get(':journeyId/events')
  @ApiOkResponse({ type: JourneyHistoryDto })
  @ApiHeader({ name: 'X-Access-Reason', required: true, description: ACCESS_REASONS.join(' | ') })
  @ApiHeader({ name: 'X-Access-Justification', required: false, description: JUSTIFICATION_HELP })
  @ApiOperation({
    summary: 'Full history with metadata; corrections and voids shown on the events they amend',
  })
  async history(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Access() ctx: AccessContext,
    @Query() query: HistoryQueryDto,
  ) {
    const basis = await this.access.authorizeRead(ctx, journeyId);
    const history = await this.queries.execute(new GetJourneyHistoryQuery(journeyId, query.asOf));
    await this.accessLog.record(ctx, journeyId, 'history', basis, query);
    return history;
  }

  @Post(':journeyId/visits')
  @ApiWritten()
  @ApiOperation({ summary: 'Record a further visit, at any institution' })
  async visit(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RecordVisitDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const visitId = this.writes.newId(ctx, journeyId, 'visitId');
    const command = {
      type: 'RecordVisit',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        visitId,
        institution: await this.institutions.snapshot(body.institutionId),
        visitType: body.visitType,
        diagnosisCode: body.diagnosisCode,
        referralId: body.referralId ?? null,
      },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { body }, created: { visitId } });
  }

  @Post(':journeyId/surgeries')
  @ApiWritten()
  @ApiOperation({ summary: 'Record surgery at the institution the patient is admitted to' })
  async surgery(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RecordSurgeryDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    await this.institutions.get(body.institutionId);
    const surgeryId = this.writes.newId(ctx, journeyId, 'surgeryId');
    const command = {
      type: 'RecordSurgery',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { surgeryId, institutionId: body.institutionId, procedureCode: body.procedureCode },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { body }, created: { surgeryId } });
  }

  @Post(':journeyId/rehab-sessions')
  @ApiWritten()
  @ApiOperation({ summary: 'Record a rehabilitation session (康复)' })
  async rehab(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RecordRehabSessionDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    await this.institutions.get(body.institutionId);
    const sessionId = this.writes.newId(ctx, journeyId, 'sessionId');
    const command = {
      type: 'RecordRehabSession',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { sessionId, institutionId: body.institutionId, therapyCode: body.therapyCode },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { body }, created: { sessionId } });
  }

  @Post(':journeyId/close')
  @ApiWritten()
  @ApiOperation({ summary: 'Close the journey' })
  close(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const command = {
      type: 'CloseJourney',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {},
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { occurredAt: body.occurredAt } });
  }
}
