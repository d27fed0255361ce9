import { Body, Controller, Get, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  careDateOf,
  DomainError,
  formatInOffset,
  type SlotBlockCommand,
  slotAvailabilityAt,
  slotBlockDecider,
  slotBlockStreamId,
} from '@carepath/domain';
import type { AppConfig } from '@carepath/runtime';
import { uuid } from '../common/params';
import { Ctx, type RequestContext } from '../common/request-context';
import { ApiWritten, type HeaderReply } from '../common/write-response';
import { SlotBlockDto } from './slot-block-response.dto';
import { APP_CONFIG } from '../config/app-config.token';
import { CareStreamWrites } from '../family-doctors/care-stream-writes';
import { ResidentContracts } from '../family-doctors/resident-contracts';
import { InstitutionDirectory } from '../reference/institution-directory';
import { writeAnswer } from '../store/stream-writes';
import { CLOCK, type Clock } from '../store/tokens';
import {
  BookSlotDto,
  CancelSlotBookingDto,
  PublishSlotBlockDto,
  SlotBlockQueryDto,
  SlotCountDto,
} from './slot-block.dto';
import { SlotBlocks, slotBlockNotPublished } from './slot-blocks';
import { CareTimeDto } from '../journeys/journey.dto';

/**
 * Specialist slots released downward (专家号源下沉): a hospital publishes a clinic session as a slot block and
 * releases shares of it; family doctors book them for residents (docs/family-doctors.md, "Specialist slots"). One
 * stream per block: 32 doctors racing for its last slot append to one stream, and the losers are decided again
 * (CareStreamWrites) and answered 409 NO_SLOT_LEFT.
 */
@ApiTags('slot-blocks')
@ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Replays the first answer; books once' })
@Controller('slot-blocks')
export class SlotBlocksController {
  constructor(
    private readonly writes: CareStreamWrites,
    private readonly blocks: SlotBlocks,
    private readonly contracts: ResidentContracts,
    private readonly institutions: InstitutionDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @ApiWritten()
  @ApiOperation({ summary: "Publish a clinic session's slots (a hospital; answers blockId)" })
  async publish(
    @Ctx() ctx: RequestContext,
    @Body() body: PublishSlotBlockDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const blockId = this.writes.newId(ctx, 'slot-block', body.hospitalId);
    const command: SlotBlockCommand = {
      type: 'PublishSlotBlock',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        blockId,
        hospital: await this.institutions.snapshot(body.hospitalId, 'hospitalId'),
        department: body.department,
        clinicianGrade: body.clinicianGrade,
        date: body.date,
        startTime: body.startTime,
        utcOffsetMinutes: body.utcOffsetMinutes ?? this.config.deadlinePolicy.utcOffsetMinutes,
        count: body.count,
      },
    };
    const written = await this.write(reply, ctx, blockId, command, { body });
    reply.header('Location', `/slot-blocks/${blockId}`);
    return written;
  }

  @Post(':blockId/releases')
  @ApiWritten()
  @ApiOperation({
    summary:
      'Release slots of the block to family doctors, under the configured window and priority (answers releaseId)',
  })
  async release(
    @Param('blockId', uuid('blockId')) blockId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: SlotCountDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const releaseId = this.writes.newId(ctx, 'releaseId', blockId);
    const command: SlotBlockCommand = {
      type: 'ReleaseSlots',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { blockId, releaseId, count: body.count, policy: this.config.slotReleasePolicy },
    };
    return { ...(await this.write(reply, ctx, blockId, command, { blockId, body })), releaseId };
  }

  @Post(':blockId/bookings')
  @ApiWritten()
  @ApiOperation({
    summary:
      'Book a slot for a resident the family doctor signed, or one their centre is seeing (answers bookingId; 409 NO_SLOT_LEFT)',
  })
  async book(
    @Param('blockId', uuid('blockId')) blockId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: BookSlotDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const bookingId = this.writes.newId(ctx, 'bookingId', blockId);
    const doctorId = this.writes.doctor(ctx, body.doctorId);
    const [centre, contract, seenAtCentre] = await Promise.all([
      this.institutions.snapshot(ctx.institutionId, 'the acting institution'),
      this.contracts.signedOn(body.residentId, careDateOf(body.occurredAt)),
      body.journeyId === undefined
        ? false
        : this.blocks.seenAtCentre(body.journeyId, body.residentId, ctx.institutionId),
    ]);
    // The decider knows the doctor, not where they work: a family doctor books from the community centre that
    // holds the resident's contract, or from one seeing the resident (docs/family-doctors.md, "Specialist slots").
    const signedElsewhere =
      contract !== null && contract.doctorId === doctorId && contract.centreId !== centre.institutionId;
    if (centre.tier !== 'community' || signedElsewhere) {
      throw new DomainError(
        'ACTING_INSTITUTION_MISMATCH',
        'Family doctors book from their community centre: the one holding the contract or seeing the resident.',
        { actingInstitutionId: centre.institutionId },
      );
    }
    const command: SlotBlockCommand = {
      type: 'BookSlot',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: {
        blockId,
        bookingId,
        residentId: body.residentId,
        doctorId,
        centreId: ctx.institutionId,
        contract,
        seenAtCentre,
      },
    };
    return { ...(await this.write(reply, ctx, blockId, command, { blockId, body })), bookingId };
  }

  @Post(':blockId/bookings/:bookingId/cancel')
  @ApiWritten()
  @ApiOperation({ summary: 'Cancel a booking before the cutoff (the booking centre or the hospital)' })
  cancel(
    @Param('blockId', uuid('blockId')) blockId: string,
    @Param('bookingId', uuid('bookingId')) bookingId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CancelSlotBookingDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const command: SlotBlockCommand = {
      type: 'CancelSlotBooking',
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { blockId, bookingId, reason: body.reason },
    };
    return this.write(reply, ctx, blockId, command, { blockId, bookingId, body });
  }

  @Post(':blockId/bookings/:bookingId/attended')
  @ApiWritten()
  @ApiOperation({ summary: 'The resident came (the hospital, from the session start)' })
  attended(
    @Param('blockId', uuid('blockId')) blockId: string,
    @Param('bookingId', uuid('bookingId')) bookingId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    return this.outcome('RecordSlotAttendance', reply, ctx, blockId, bookingId, body);
  }

  @Post(':blockId/bookings/:bookingId/no-show')
  @ApiWritten()
  @ApiOperation({ summary: 'The resident did not come (the hospital, from the session start)' })
  noShow(
    @Param('blockId', uuid('blockId')) blockId: string,
    @Param('bookingId', uuid('bookingId')) bookingId: string,
    @Ctx() ctx: RequestContext,
    @Body() body: CareTimeDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    return this.outcome('RecordSlotNoShow', reply, ctx, blockId, bookingId, body);
  }

  @Get(':blockId')
  @ApiOkResponse({ type: SlotBlockDto })
  @ApiOperation({
    summary:
      'The block with its releases and availability now (?at= a care time); bookings: all to the hospital, its own to a centre',
  })
  async get(
    @Param('blockId', uuid('blockId')) blockId: string,
    @Ctx() ctx: RequestContext,
    @Query() query: SlotBlockQueryDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const { state, revision } = await this.blocks.current(blockId);
    const at = query.at ?? formatInOffset(this.clock().getTime(), state.utcOffsetMinutes);
    const { status: _, bookings, ...block } = state;
    const all = Object.values(bookings);
    const hospital = ctx.institutionId === state.hospital.institutionId;
    reply.header('ETag', `"${String(revision)}"`);
    return {
      ...block,
      at,
      availability: slotAvailabilityAt(state, at),
      bookedCount: all.filter((b) => b.status !== 'cancelled').length,
      // Pseudonymous ids all the same: a centre sees the residents it booked, the hospital everyone coming.
      bookings: all.filter((b) => hospital || b.centreId === ctx.institutionId),
      revision: Number(revision),
    };
  }

  /** What became of a booking at the clinic: it needs nothing but its care time. */
  private outcome(
    type: 'RecordSlotAttendance' | 'RecordSlotNoShow',
    reply: HeaderReply,
    ctx: RequestContext,
    blockId: string,
    bookingId: string,
    body: CareTimeDto,
  ) {
    const command = {
      type,
      metadata: this.writes.metadata(ctx, body.occurredAt),
      data: { blockId, bookingId },
    };
    return this.write(reply, ctx, blockId, command, { blockId, bookingId, body });
  }

  private async write(
    reply: HeaderReply,
    ctx: RequestContext,
    blockId: string,
    command: SlotBlockCommand,
    inputs: Readonly<Record<string, unknown>>,
  ) {
    const result = await this.writes.write(reply, ctx, slotBlockDecider, command, {
      streamId: slotBlockStreamId(blockId),
      fingerprint: { kind: command.type, ...inputs },
      missing: command.type === 'PublishSlotBlock' ? undefined : () => slotBlockNotPublished(blockId),
      // A block id just drawn at random names no stream yet: publishing it need not read it.
      fresh: command.type === 'PublishSlotBlock' && !ctx.idempotencyKey,
    });
    return { blockId, ...writeAnswer(result) };
  }
}
