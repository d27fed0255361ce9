import { Body, Controller, Get, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  careDateOf,
  contractStandingOn,
  type FamilyDoctorContractCommand,
  familyDoctorContractDecider,
  familyDoctorContractStreamId,
  formatInOffset,
  parseCalendarDate,
  signedContractOn,
} from '@carepath/domain';
import type { AppConfig } from '@carepath/runtime';
import { FieldException } from '../common/http-errors';
import { Ctx, type RequestContext } from '../common/request-context';
import { ApiWritten, type HeaderReply } from '../common/write-response';
import { ResidentContractDto } from './family-doctor-response.dto';
import { APP_CONFIG } from '../config/app-config.token';
import { InstitutionDirectory } from '../reference/institution-directory';
import { writeAnswer } from '../store/stream-writes';
import { CLOCK, type Clock } from '../store/tokens';
import { CareStreamWrites } from './care-stream-writes';
import {
  ChangeKeyGroupsDto,
  EndContractDto,
  RenewContractDto,
  ResidentContractQueryDto,
  SignContractDto,
  TransferContractDto,
} from './family-doctor.dto';
import { contractNotFound, ResidentContracts, residentId } from './resident-contracts';

/** A contract is usually signed for a year (docs/family-doctors.md, "Contracts"). */
const DEFAULT_TERM_MONTHS = 12;

/**
 * Family-doctor contracts (家庭医生签约): one stream per resident (docs/family-doctors.md, "Contracts"). The
 * decider checks who acts (the centre holding the contract), the dates, the renewal window and the key groups.
 */
@ApiTags('family-doctors')
@ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description: 'Replays the first answer; appends nothing',
})
@Controller('family-doctors')
export class FamilyDoctorsController {
  constructor(
    private readonly writes: CareStreamWrites,
    private readonly contracts: ResidentContracts,
    private readonly institutions: InstitutionDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('contracts')
  @ApiWritten()
  @ApiOperation({
    summary: 'Sign a resident with a family doctor at a community centre (answers contractId)',
  })
  async sign(
    @Ctx() ctx: RequestContext,
    @Body() body: SignContractDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const contractId = this.writes.newId(ctx, 'contractId', body.residentId);
    const command: FamilyDoctorContractCommand = {
      type: 'SignFamilyDoctorContract',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        contractId,
        residentId: body.residentId,
        residenceRegion: body.residenceRegion,
        doctorId: this.writes.doctor(ctx, body.doctorId),
        centre: await this.institutions.snapshot(body.centreId, 'centreId'),
        startDate: body.startDate,
        termMonths: body.termMonths ?? DEFAULT_TERM_MONTHS,
        keyGroups: body.keyGroups,
      },
    };
    const written = await this.write(reply, ctx, body.residentId, command, { body });
    reply.header('Location', `/family-doctors/residents/${body.residentId}`);
    return { ...written, contractId };
  }

  @Post('contracts/:residentId/renew')
  @ApiWritten()
  @ApiOperation({ summary: 'Renew the contract in force, inside the renewal window before expiry' })
  renew(
    @Param('residentId', residentId()) resident: string,
    @Ctx() ctx: RequestContext,
    @Body() body: RenewContractDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    return this.write(
      reply,
      ctx,
      resident,
      {
        type: 'RenewFamilyDoctorContract',
        metadata: this.writes.metadata(ctx, body.occurredAt),
        data: {
          contractId: body.contractId,
          termMonths: body.termMonths ?? DEFAULT_TERM_MONTHS,
          policy: this.config.contractPolicy,
        },
      },
      { resident, body },
    );
  }

  @Post('contracts/:residentId/transfer')
  @ApiWritten()
  @ApiOperation({ summary: 'Transfer the contract to another family doctor (from the care date on)' })
  async transfer(
    @Param('residentId', residentId()) resident: string,
    @Ctx() ctx: RequestContext,
    @Body() body: TransferContractDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    return this.write(
      reply,
      ctx,
      resident,
      {
        type: 'TransferFamilyDoctorContract',
        metadata: this.writes.metadata(ctx, body.occurredAt),
        data: {
          contractId: body.contractId,
          toDoctorId: body.toDoctorId,
          toCentre: await this.institutions.snapshot(body.toCentreId, 'toCentreId'),
        },
      },
      { resident, body },
    );
  }

  @Post('contracts/:residentId/key-groups')
  @ApiWritten()
  @ApiOperation({ summary: "Change the resident's key-group flags (codes only)" })
  changeKeyGroups(
    @Param('residentId', residentId()) resident: string,
    @Ctx() ctx: RequestContext,
    @Body() body: ChangeKeyGroupsDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    return this.write(
      reply,
      ctx,
      resident,
      {
        type: 'ChangeResidentKeyGroups',
        metadata: this.writes.metadata(ctx, body.occurredAt),
        data: { contractId: body.contractId, keyGroups: body.keyGroups },
      },
      { resident, body },
    );
  }

  @Post('contracts/:residentId/end')
  @ApiWritten()
  @ApiOperation({ summary: 'End the contract in force (from the care date on)' })
  end(
    @Param('residentId', residentId()) resident: string,
    @Ctx() ctx: RequestContext,
    @Body() body: EndContractDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    return this.write(
      reply,
      ctx,
      resident,
      {
        type: 'EndFamilyDoctorContract',
        metadata: this.writes.metadata(ctx, body.occurredAt),
        data: { contractId: body.contractId, reason: body.reason },
      },
      { resident, body },
    );
  }

  @Get('residents/:residentId')
  @ApiOkResponse({ type: ResidentContractDto })
  @ApiOperation({
    summary: "A resident's current family doctor and contract, with the contracts before it (?on=YYYY-MM-DD)",
  })
  async resident(
    @Param('residentId', residentId()) resident: string,
    @Query() query: ResidentContractQueryDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    if (query.on !== undefined && parseCalendarDate(query.on) === null) {
      throw new FieldException('on', 'must be a calendar date (YYYY-MM-DD)');
    }
    const { state, revision } = await this.contracts.current(resident);
    if (state.status === 'unsigned' || revision === 'no-stream') throw contractNotFound(resident);
    // Today on the care wall clock: a contract covers whole days of the resident's calendar.
    const on =
      query.on ??
      careDateOf(formatInOffset(this.clock().getTime(), this.config.deadlinePolicy.utcOffsetMinutes));
    reply.header('ETag', `"${String(revision)}"`);
    return {
      residentId: resident,
      on,
      standing: contractStandingOn(state, on, this.config.contractPolicy),
      signed: signedContractOn(state, on),
      contract: state.current,
      previous: state.previous,
      revision: Number(revision),
    };
  }

  /** `inputs`: what the route was asked (path ids and body), which an Idempotency-Key retry must repeat. */
  private async write(
    reply: HeaderReply,
    ctx: RequestContext,
    resident: string,
    command: FamilyDoctorContractCommand,
    inputs: Readonly<Record<string, unknown>>,
  ) {
    const result = await this.writes.write(reply, ctx, familyDoctorContractDecider, command, {
      streamId: familyDoctorContractStreamId(resident),
      fingerprint: { kind: command.type, ...inputs },
      missing: command.type === 'SignFamilyDoctorContract' ? undefined : () => contractNotFound(resident),
    });
    return { residentId: resident, ...writeAnswer(result) };
  }
}
