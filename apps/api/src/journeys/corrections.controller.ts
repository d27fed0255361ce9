import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CORRECTABLE_FIELDS, DISCHARGE_DISPOSITIONS, VISIT_TYPES } from '@carepath/domain';
import { FieldException } from '../common/http-errors';
import { uuid } from '../common/params';
import { Ctx, type RequestContext } from '../common/request-context';
import { CODE_ID } from '@carepath/runtime';
import { CLINICAL_CODE, ICD10 } from '../common/validation';
import { ApiWritten, type HeaderReply, type WriteResponse } from '../common/write-response';
import { InstitutionDirectory } from '../reference/institution-directory';
import { CorrectEventDto, MarkEnteredInErrorDto } from './journey.dto';
import { JourneyWriteHeaders, JourneyWrites } from './journey-writes';

/**
 * Amendments (docs/care-time.md, "Corrections and voids obey the same rules"): the original stays in the log, a void or a correction is
 * appended. Both are administrative acts done now, so their own care time is the moment they are recorded.
 */
@ApiTags('journeys')
@JourneyWriteHeaders()
@Controller('journeys/:journeyId/events/:eventId')
export class CorrectionsController {
  constructor(
    private readonly writes: JourneyWrites,
    private readonly institutions: InstitutionDirectory,
  ) {}

  @Post('entered-in-error')
  @ApiWritten()
  @ApiOperation({ summary: 'Mark an event entered-in-error; the original stays in the log' })
  enteredInError(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('eventId', uuid('eventId')) eventId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: MarkEnteredInErrorDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    const command = {
      type: 'MarkEnteredInError',
      metadata: this.writes.metadata(ctx),
      data: { targetEventId: eventId, reason: body.reason },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { eventId, body } });
  }

  @Post('corrections')
  @ApiWritten()
  @ApiOperation({ summary: 'Correct an event (care time, codes); the original stays in the log' })
  async correct(
    @Param('journeyId', uuid('journeyId')) journeyId: string,
    @Param('eventId', uuid('eventId')) eventId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CorrectEventDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<WriteResponse> {
    this.writes.checkCareTime('occurredAt', body.occurredAt);
    const command = {
      type: 'CorrectEvent',
      metadata: this.writes.metadata(ctx),
      data: {
        targetEventId: eventId,
        targetType: body.targetType,
        occurredAt: body.occurredAt,
        patch: await this.validatePatch(body),
      },
    } as const;
    return this.writes.write(reply, ctx, journeyId, command, { inputs: { eventId, body } });
  }

  /** Patch values get the same format checks as the fields they replace (400 naming `patch.<field>`). */
  private async validatePatch(body: CorrectEventDto): Promise<Record<string, string | null>> {
    const patch: Record<string, string | null> = {};
    const allowed = CORRECTABLE_FIELDS[body.targetType];
    for (const [field, value] of Object.entries(body.patch ?? {})) {
      const name = `patch.${field}`;
      if (!allowed.includes(field)) {
        throw new FieldException(
          name,
          `is not correctable on ${body.targetType} (allowed: ${allowed.join(', ') || 'none'})`,
        );
      }
      if (value !== null && typeof value !== 'string') {
        throw new FieldException(name, 'must be a string or null');
      }
      const check = PATCH_FORMATS[field];
      if (check && !check.valid(value)) throw new FieldException(name, check.message);
      if (field === 'destinationInstitutionId' && typeof value === 'string') {
        await this.institutions.get(value, name);
      }
      patch[field] = value;
    }
    return patch;
  }
}

const PATCH_FORMATS: Record<string, { valid: (v: string | null) => boolean; message: string }> = {
  visitType: {
    valid: (v) => (VISIT_TYPES as readonly (string | null)[]).includes(v),
    message: `must be one of: ${VISIT_TYPES.join(', ')}`,
  },
  diagnosisCode: { valid: (v) => v !== null && ICD10.test(v), message: 'must be an ICD-10 code' },
  bedId: { valid: (v) => v === null || CODE_ID.test(v), message: 'must be a bed code or null' },
  procedureCode: { valid: (v) => v !== null && CLINICAL_CODE.test(v), message: 'must be a procedure code' },
  therapyCode: { valid: (v) => v !== null && CLINICAL_CODE.test(v), message: 'must be a therapy code' },
  disposition: {
    valid: (v) => (DISCHARGE_DISPOSITIONS as readonly (string | null)[]).includes(v),
    message: `must be one of: ${DISCHARGE_DISPOSITIONS.join(', ')}`,
  },
  destinationInstitutionId: {
    valid: (v) => v === null || CODE_ID.test(v),
    message: 'must be an institution code or null',
  },
};
