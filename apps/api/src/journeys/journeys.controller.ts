import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { uuid } from '../common/params';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access, type AccessContext, Ctx, type RequestContext } from '../common/request-context';
import { ACCESS_REASONS } from '@carepath/runtime';
import { AccessLog } from '../audit/access-log';
import { JourneyAccess } from '../auth/journey-access';
import { writeHeaders, type WriteResponse } from '../common/write-response';
import {
  AdmitPatientDto,
  CancelReferralDto,
  CareTimeDto,
  CorrectEventDto,
  DischargePatientDto,
  MarkEnteredInErrorDto,
  MoveWardDto,
  OpenJourneyDto,
  RecordRehabSessionDto,
  RecordSurgeryDto,
  RecordVisitDto,
  RejectReferralDto,
  RequestReferralDto,
  StartLeaveDto,
  HistoryQueryDto,
  TimeTravelDto,
} from './journey.dto';
import { ProjectionsService } from '../projections/projections.service';
import { ExecuteJourneyCommand, type JourneyIntent } from './execute-journey-command.handler';
import {
  GetJourneyHistoryQuery,
  GetJourneyQuery,
  GetJourneyTimelineQuery,
  type JourneyView,
} from './journey.queries';

/** Break-glass (issue 17): required with the reason emergency, recorded and flagged in the access log. */
const JUSTIFICATION_HELP =
  'With X-Access-Reason: emergency, why this record is read outside the care relationship (3-200 characters)';

@ApiTags('journeys')
@ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description: 'Replays the first answer; appends nothing',
})
@ApiHeader({ name: 'If-Match', required: false, description: 'Expected journey revision; 409 when stale' })
@Controller('journeys')
export class JourneysController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly projections: ProjectionsService,
    private readonly accessLog: AccessLog,
    private readonly access: JourneyAccess,
  ) {}

  private async run(
    res: Response,
    journeyId: string | null,
    ctx: RequestContext,
    intent: JourneyIntent,
  ): Promise<WriteResponse> {
    if (journeyId !== null) await this.access.authorizeWrite(ctx, journeyId, intent);
    const result = await this.commands.execute(new ExecuteJourneyCommand(journeyId, ctx, intent));
    writeHeaders(res, result);
    if (ctx.consistency === 'projected') await this.projections.waitFor(result.position);
    if (journeyId === null) res.setHeader('Location', `/journeys/${result.journeyId}`);
    return {
      journeyId: result.journeyId,
      revision: Number(result.revision),
      eventIds: result.events.map((e) => e.id),
      events: result.events.map((e) => ({ id: e.id, type: e.type, revision: Number(e.revision) })),
      ...result.created,
    };
  }

  @Post()
  @ApiOperation({ summary: 'Open a journey with its first visit (基层首诊 when at a community centre)' })
  open(@Ctx() ctx: RequestContext, @Body() body: OpenJourneyDto, @Res({ passthrough: true }) res: Response) {
    return this.run(res, null, ctx, { kind: 'OpenJourney', body });
  }

  @Get(':journeyId')
  @ApiHeader({ name: 'X-Access-Reason', required: true, description: ACCESS_REASONS.join(' | ') })
  @ApiHeader({ name: 'X-Access-Justification', required: false, description: JUSTIFICATION_HELP })
  @ApiOperation({
    summary: "A journey's state with its revision (ETag); `asOf` and `validAt` travel in time",
  })
  async get(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Access() ctx: AccessContext,
    @Query() travel: TimeTravelDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JourneyView> {
    const basis = await this.access.authorizeRead(ctx, journeyId);
    const view = await this.queries.execute(new GetJourneyQuery(journeyId, travel));
    await this.accessLog.record(ctx, journeyId, 'state', basis, travel);
    res.setHeader('ETag', `"${view.revision}"`);
    return view;
  }

  @Get(':journeyId/timeline')
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
  @ApiOperation({ summary: 'Record a further visit, at any institution' })
  visit(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RecordVisitDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'RecordVisit', body });
  }

  @Post(':journeyId/referrals')
  @ApiOperation({ summary: 'Request a referral: up (上转) or down (下转)' })
  refer(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RequestReferralDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'RequestReferral', body });
  }

  @Post(':journeyId/referrals/:referralId/receive')
  @ApiOperation({ summary: 'Receiving institution acknowledges the referral' })
  receive(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'ReceiveReferral', referralId, occurredAt: body.occurredAt });
  }

  @Post(':journeyId/referrals/:referralId/accept')
  @ApiOperation({ summary: 'Receiving institution accepts' })
  accept(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'AcceptReferral', referralId, occurredAt: body.occurredAt });
  }

  @Post(':journeyId/referrals/:referralId/reject')
  @ApiOperation({ summary: 'Receiving institution rejects; capacity-full may redirect within the alliance' })
  reject(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RejectReferralDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'RejectReferral', referralId, body });
  }

  @Post(':journeyId/referrals/:referralId/complete')
  @ApiOperation({ summary: 'Receiving institution completes the referral' })
  complete(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'CompleteReferral', referralId, occurredAt: body.occurredAt });
  }

  @Post(':journeyId/referrals/:referralId/cancel')
  @ApiOperation({ summary: 'Requesting institution cancels' })
  cancel(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CancelReferralDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'CancelReferral', referralId, body });
  }

  @Post(':journeyId/referrals/:referralId/expire')
  @ApiOperation({ summary: 'Mark a referral past its decision deadline as expired' })
  expire(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('referralId', uuid('referralId')) referralId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'ExpireReferral', referralId, occurredAt: body.occurredAt });
  }

  @Post(':journeyId/admissions')
  @ApiOperation({ summary: 'Admit to a ward (above open beds = extra bed, 加床)' })
  admit(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Ctx() ctx: RequestContext,
    @Body() body: AdmitPatientDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'AdmitPatient', body });
  }

  @Post(':journeyId/admissions/:admissionId/leave')
  @ApiOperation({ summary: 'Start leave from the bed; holdBed keeps it (sequential ward, 序贯病房)' })
  startLeave(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('admissionId', uuid('admissionId')) admissionId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: StartLeaveDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'StartLeave', admissionId, body });
  }

  @Post(':journeyId/admissions/:admissionId/return')
  @ApiOperation({ summary: 'End leave: the patient is back in the held bed' })
  endLeave(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('admissionId', uuid('admissionId')) admissionId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'EndLeave', admissionId, occurredAt: body.occurredAt });
  }

  @Post(':journeyId/admissions/:admissionId/move')
  @ApiOperation({ summary: 'Move to another ward of the same institution' })
  move(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('admissionId', uuid('admissionId')) admissionId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: MoveWardDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'MoveWard', admissionId, body });
  }

  @Post(':journeyId/admissions/:admissionId/discharge')
  @ApiOperation({ summary: 'Discharge with a disposition' })
  discharge(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('admissionId', uuid('admissionId')) admissionId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: DischargePatientDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'DischargePatient', admissionId, body });
  }

  @Post(':journeyId/surgeries')
  @ApiOperation({ summary: 'Record surgery at the institution the patient is admitted to' })
  surgery(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RecordSurgeryDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'RecordSurgery', body });
  }

  @Post(':journeyId/rehab-sessions')
  @ApiOperation({ summary: 'Record a rehabilitation session (康复)' })
  rehab(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RecordRehabSessionDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'RecordRehabSession', body });
  }

  @Post(':journeyId/close')
  @ApiOperation({ summary: 'Close the journey' })
  close(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'CloseJourney', occurredAt: body.occurredAt });
  }

  @Post(':journeyId/events/:eventId/entered-in-error')
  @ApiOperation({ summary: 'Mark an event entered-in-error; the original stays in the log' })
  enteredInError(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('eventId', uuid('eventId')) eventId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: MarkEnteredInErrorDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'MarkEnteredInError', eventId, body });
  }

  @Post(':journeyId/events/:eventId/corrections')
  @ApiOperation({ summary: 'Correct an event (care time, codes); the original stays in the log' })
  correct(
    @Param('journeyId', uuid('journeyId')) id: string,
    @Param('eventId', uuid('eventId')) eventId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CorrectEventDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, id, ctx, { kind: 'CorrectEvent', eventId, body });
  }
}
