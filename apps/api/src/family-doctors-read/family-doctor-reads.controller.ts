import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  addDays,
  daysBetween,
  localDate,
  queryAvailableSlots,
  queryDoctorBookings,
  queryPanel,
} from '@carepath/projections';
import { parseCalendarDate } from '@carepath/domain';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { FieldException } from '../common/http-errors';
import { code } from '../common/params';
import { Ctx, type RequestContext } from '../common/request-context';
import { forbidden } from '../auth/access.guard';
import { ProjectionsService } from '../projections/projections.service';
import { CLOCK, type Clock } from '../store/tokens';
import { AvailableSlotsQueryDto, BookingsQueryDto, PanelQueryDto } from './family-doctor-reads.dto';
import { AvailableSlotsDto, DoctorBookingsDto, PanelDto } from './family-doctor-reads.response';

/**
 * Whose residents a reader sees: a family doctor their own panel and bookings only, a coordinator those kept at
 * their own centre. Pseudonymous ids with key groups are patient-level data (docs/domain.md, "Privacy").
 */
function ownRows<Row extends { readonly centreId: string }>(
  ctx: RequestContext,
  doctorId: string,
  rows: readonly Row[],
): Row[] {
  if (ctx.actorRole === 'family-doctor') {
    if (doctorId !== ctx.actorId) {
      throw forbidden('NOT_OWN_PANEL', 'A family doctor reads their own panel and bookings only');
    }
    return [...rows];
  }
  return rows.filter((row) => row.centreId === ctx.institutionId);
}

/** A doctor's list is read a season at most: a longer window is a report, served by /analytics. */
const MAX_BOOKING_DAYS = 366;

/** A date the pattern lets through but the calendar does not have (2026-02-30): 400 naming the field. */
function realDate(field: string, date: string): string {
  if (parseCalendarDate(date) === null) throw new FieldException(field, `${date} is not a real date`);
  return date;
}

/**
 * What a community centre's family-doctor team reads (docs/family-doctors.md): a doctor's panel, their bookings, and
 * the sessions open for booking now. From the family-doctor and slot-pool read models, never the log.
 */
@ApiTags('family-doctors')
@Controller()
export class FamilyDoctorReadsController {
  constructor(
    private readonly projections: ProjectionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  private today(): string {
    return localDate(this.clock().getTime(), this.config.censusTimeZone);
  }

  @Get('family-doctors/:doctorId/panel')
  @ApiOkResponse({ type: PanelDto })
  @ApiOperation({
    summary: 'The residents signed with a doctor on a day, with their key groups (codes only)',
  })
  async panel(
    @Param('doctorId', code('doctorId')) doctorId: string,
    @Query() q: PanelQueryDto,
    @Ctx() ctx: RequestContext,
  ) {
    const on = realDate('on', q.on ?? this.today());
    const residents = ownRows(
      ctx,
      doctorId,
      await queryPanel(this.projections.sql('family-doctor'), doctorId, on),
    );
    return { doctorId, on, count: residents.length, residents };
  }

  @Get('family-doctors/:doctorId/bookings')
  @ApiOkResponse({ type: DoctorBookingsDto })
  @ApiOperation({ summary: "A family doctor's specialist bookings for sessions in a window of dates" })
  async bookings(
    @Param('doctorId', code('doctorId')) doctorId: string,
    @Query() q: BookingsQueryDto,
    @Ctx() ctx: RequestContext,
  ) {
    const from = realDate('from', q.from ?? this.today());
    const to = realDate('to', q.to ?? addDays(from, 30));
    const days = daysBetween(from, to);
    if (days <= 0) throw new FieldException('to', 'must be after from');
    if (days > MAX_BOOKING_DAYS)
      throw new FieldException('to', `a window spans at most ${MAX_BOOKING_DAYS} days`);
    const bookings = ownRows(
      ctx,
      doctorId,
      await queryDoctorBookings(this.projections.sql('slot-pool'), doctorId, { from, to }),
    );
    return { doctorId, from, to, bookings };
  }

  @Get('slots/available')
  @ApiOkResponse({ type: AvailableSlotsDto })
  @ApiTags('slots')
  @ApiOperation({
    summary:
      'Sessions with a slot to book now, by department, hospital, alliance and date (the booking screen)',
  })
  async available(@Query() q: AvailableSlotsQueryDto) {
    const now = this.clock();
    const date = realDate('date', q.date ?? this.today());
    const filter = {
      date,
      ...(q.department !== undefined ? { department: q.department } : {}),
      ...(q.hospitalId !== undefined ? { hospitalId: q.hospitalId } : {}),
      ...(q.allianceId !== undefined ? { allianceId: q.allianceId } : {}),
    };
    const sessions = await queryAvailableSlots(this.projections.sql('slot-pool'), filter, now.getTime());
    return { at: now.toISOString(), ...filter, sessions };
  }
}
