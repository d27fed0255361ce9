import { Body, Controller, Get, Param, Put, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { holidayCalendarDecider, holidayCalendarStreamId } from '@carepath/domain';
import { FieldException, ResourceNotFoundException } from '../common/http-errors';
import { Ctx, type RequestContext } from '../common/request-context';
import type { HeaderReply } from '../common/write-response';
import { HolidayCalendars } from '../reference/holiday-calendars';
import { StreamWrites } from '../store/stream-writes';
import { CalendarDto, CalendarYearWrittenDto, PublishCalendarYearDto } from './calendar.dto';

const CALENDAR_ID = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const YEAR = /^\d{4}$/;

/**
 * Holiday calendars as reference data, as events (docs/holidays.md): routine referral deadlines count their working
 * days, and an operator loads each new year here (or with `calendar load`) when the State Council publishes it.
 */
@ApiTags('calendars')
@Controller('calendars')
export class CalendarsController {
  constructor(
    private readonly streams: StreamWrites,
    private readonly calendars: HolidayCalendars,
  ) {}

  @Get(':calendarId')
  @ApiOkResponse({ type: CalendarDto })
  @ApiOperation({
    summary: 'A holiday calendar: the years it covers and each year’s holidays and make-up days',
  })
  async get(@Param('calendarId') calendarId: string): Promise<CalendarDto> {
    if (!CALENDAR_ID.test(calendarId))
      throw new FieldException('calendarId', 'must be a short code such as CN');
    const { state, revision, calendar } = await this.calendars.current(calendarId);
    if (revision < 0n) {
      throw new ResourceNotFoundException(
        'CALENDAR_NOT_FOUND',
        `No year of calendar ${calendarId} is recorded`,
      );
    }
    return {
      calendarId,
      inUse: calendarId === this.calendars.calendarId,
      yearsCovered: calendar.yearsCovered,
      years: calendar.yearsCovered.map((year) => {
        const { holidays, workingWeekendDays, source } = state.years[String(year)]!;
        return { year, holidays: [...holidays], workingWeekendDays: [...workingWeekendDays], source };
      }),
      revision: Number(revision),
    };
  }

  @Put(':calendarId/years/:year')
  @ApiOkResponse({
    type: CalendarYearWrittenDto,
    description: 'Recorded (or unchanged: the same arrangement was already recorded); ETag: the revision',
  })
  @ApiOperation({
    summary: 'Record a year’s published holidays and make-up working days (replaces that year)',
  })
  async put(
    @Param('calendarId') calendarId: string,
    @Param('year') yearParam: string,
    @Ctx() ctx: RequestContext,
    @Body() body: PublishCalendarYearDto,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<CalendarYearWrittenDto> {
    if (!CALENDAR_ID.test(calendarId))
      throw new FieldException('calendarId', 'must be a short code such as CN');
    if (!YEAR.test(yearParam)) throw new FieldException('year', 'must be a year such as 2027');
    const year = Number(yearParam);
    const { occurredAt, ...arrangement } = body;
    // Checked before the unchanged answer too: an implausible date is refused whatever the log already holds.
    if (occurredAt !== undefined) this.streams.checkCareTime('occurredAt', occurredAt);
    // Loading the same file again is normal (a December rerun, a second operator): it changes nothing.
    const held = await this.calendars.current(calendarId);
    if (held.revision >= 0n && (await this.calendars.holds(calendarId, { year, ...arrangement }))) {
      reply.header('ETag', `"${held.revision}"`);
      return {
        calendarId,
        year,
        unchanged: true,
        revision: Number(held.revision),
        eventIds: [],
        yearsCovered: held.calendar.yearsCovered,
      };
    }
    const result = await this.streams.write(
      reply,
      ctx,
      holidayCalendarDecider,
      {
        type: 'PublishHolidayCalendarYear',
        metadata: this.streams.metadata(ctx, occurredAt),
        data: { calendarId, year, ...arrangement },
      },
      {
        streamId: holidayCalendarStreamId(calendarId),
        fingerprint: { kind: 'PublishHolidayCalendarYear', calendarId, year, body },
      },
    );
    const { calendar } = await this.calendars.current(calendarId);
    return {
      calendarId,
      year,
      unchanged: false,
      revision: Number(result.revision),
      eventIds: result.events.map((e) => e.id),
      yearsCovered: calendar.yearsCovered,
    };
  }
}
