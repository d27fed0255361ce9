import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainError, entryOf } from '@carepath/domain';
import { WritePath } from '@carepath/write-path';
import { uuid } from '../common/params';
import { Ctx, type RequestContext } from '../common/request-context';
import { ApiWritten, type HeaderReply, type WriteResponse } from '../common/write-response';
import { InstitutionDirectory } from '../reference/institution-directory';
import { AdmitPatientDto, CareTimeDto, DischargePatientDto, MoveWardDto, StartLeaveDto } from './journey.dto';
import { currentJourney } from './journey.reader';
import { JourneyWriteHeaders, JourneyWrites } from './journey-writes';

/** Stays: admission, leave from a held bed (序贯病房), ward moves and discharge (docs/domain.md, "A journey"). */
@ApiTags('admissions')
@JourneyWriteHeaders()
@Controller('journeys/:journeyId/admissions')
export class AdmissionsController {
  constructor(
    private readonly writes: JourneyWrites,
    private readonly institutions: InstitutionDirectory,
    private readonly writePath: WritePath,
  ) {}

  @Post()
  @ApiWritten()
  @ApiOperation({ summary: 'Admit to a ward (above open beds = extra bed, 加床)' })
  async admit(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: AdmitPatientDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    if (body.discharge) this.writes.checkCareTime('discharge.occurredAt', body.discharge.occurredAt);
    const institution = await this.institutions.get(body.institutionId);
    const admissionId = this.writes.newId(ctx, journeyId, 'admissionId');
    const command = {
      type: 'AdmitPatient',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        admissionId,
        institution: {
          institutionId: institution.institutionId,
          tier: institution.tier,
          allianceId: institution.allianceId,
          regionCode: institution.regionCode,
        },
        ward: await this.institutions.ward(institution, body.wardId),
        bedId: body.bedId ?? null,
        referralId: body.referralId ?? null,
        discharge: body.discharge
          ? {
              occurredAt: body.discharge.occurredAt,
              disposition: body.discharge.disposition,
              destinationInstitutionId: body.discharge.destinationInstitutionId ?? null,
            }
          : null,
      },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { body }, created: { admissionId } });
  }

  @Post(':admissionId/leave')
  @ApiWritten()
  @ApiOperation({ summary: 'Start leave from the bed; holdBed keeps it (sequential ward, 序贯病房)' })
  startLeave(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('admissionId', uuid('admissionId')) admissionId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: StartLeaveDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const command = {
      type: 'StartLeave',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { admissionId, holdBed: body.holdBed ?? true },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { admissionId, body } });
  }

  @Post(':admissionId/return')
  @ApiWritten()
  @ApiOperation({ summary: 'End leave: the patient is back in the held bed' })
  endLeave(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('admissionId', uuid('admissionId')) admissionId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const command = {
      type: 'EndLeave',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { admissionId },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, {
      inputs: { admissionId, occurredAt: body.occurredAt },
    });
  }

  @Post(':admissionId/move')
  @ApiWritten()
  @ApiOperation({ summary: 'Move to another ward of the same institution' })
  async move(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('admissionId', uuid('admissionId')) admissionId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: MoveWardDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    // A ward is named within its institution, which only the admission knows; an admission never changes
    // institution, so reading it before the write path reads the stream again cannot go stale.
    const { state } = await currentJourney(this.writePath, journeyId);
    const admission = state.status === 'not-opened' ? undefined : entryOf(state.admissions, admissionId);
    if (!admission) {
      throw new DomainError('ADMISSION_NOT_FOUND', 'No such admission in this journey.', { admissionId });
    }
    const institution = await this.institutions.get(admission.institutionId);
    const command = {
      type: 'MoveWard',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        admissionId,
        toWard: await this.institutions.ward(institution, body.toWardId),
        bedId: body.bedId ?? null,
      },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { admissionId, body } });
  }

  @Post(':admissionId/discharge')
  @ApiWritten()
  @ApiOperation({ summary: 'Discharge with a disposition' })
  async discharge(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('admissionId', uuid('admissionId')) admissionId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: DischargePatientDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    if (body.destinationInstitutionId) {
      await this.institutions.get(body.destinationInstitutionId, 'destinationInstitutionId');
    }
    const command = {
      type: 'DischargePatient',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        admissionId,
        disposition: body.disposition,
        destinationInstitutionId: body.destinationInstitutionId ?? null,
      },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { admissionId, body } });
  }
}
