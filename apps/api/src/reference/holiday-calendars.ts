import { existsSync } from 'node:fs';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  type DeadlinePolicy,
  holidayCalendarDecider,
  type HolidayCalendarEvent,
  type HolidayCalendarState,
  holidayCalendarStreamId,
  holdsArrangement,
  type WorkingCalendar,
  workingCalendarOf,
} from '@carepath/domain';
import { type AppConfig, type HolidayCalendarFileYear, readHolidayCalendarFile } from '@carepath/runtime';
import { deriveId, hashRequest, type WriteOutcome, WritePath } from '@carepath/write-path';
import { APP_CONFIG } from '../config/app-config.token';
import { CLOCK, type Clock } from '../store/tokens';
import { WriteToStream } from '../store/write-to-stream.command';

interface Folded {
  readonly state: HolidayCalendarState;
  readonly revision: bigint;
  readonly calendar: WorkingCalendar;
}

/**
 * The holiday calendars routine deadlines count (docs/holidays.md), read from their streams as the institution
 * directory reads institutions: at each request, folding only the events after the revision folded last time, so a
 * year loaded by any process counts from the next request on, without a restart.
 *
 * At start-up it records the years shipped with the release that the stream does not hold yet, through the write
 * path as `system`. Each year's write carries an idempotency key of its own (its event id follows from it), so a
 * restart, or two processes starting together, write nothing new; a year an operator loaded stays as loaded.
 */
@Injectable()
export class HolidayCalendars implements OnApplicationBootstrap {
  private readonly logger = new Logger('holiday-calendars');
  private readonly folded = new Map<string, Folded>();

  constructor(
    private readonly writePath: WritePath,
    private readonly commands: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  get calendarId(): string {
    return this.config.holidayCalendar.calendarId;
  }

  async onApplicationBootstrap(): Promise<void> {
    const file = this.config.holidayCalendar.shippedFile;
    if (file === null) return;
    if (!existsSync(file)) {
      this.logger.warn({ msg: 'no shipped holiday calendar', file });
      return;
    }
    const shipped = readHolidayCalendarFile(file);
    if (shipped.calendarId !== this.calendarId) {
      throw new Error(`${file} holds calendar ${shipped.calendarId}, not ${this.calendarId}`);
    }
    const recorded: number[] = [];
    for (const year of shipped.years) {
      const { state } = await this.current(this.calendarId);
      if (state.years[String(year.year)] !== undefined) continue;
      await this.seed(year);
      recorded.push(year.year);
    }
    if (recorded.length > 0) this.logger.log({ msg: 'shipped holiday years recorded', recorded });
  }

  private seed(year: HolidayCalendarFileYear): Promise<WriteOutcome> {
    const key = `seed:holiday-calendar:${this.calendarId}:${year.year}`;
    const correlationId = deriveId('seed', key);
    return this.commands.execute(
      new WriteToStream(
        holidayCalendarDecider,
        {
          type: 'PublishHolidayCalendarYear',
          metadata: this.writePath.metadata({
            actorId: 'carepath-api',
            actorRole: 'system',
            institutionId: 'carepath',
            correlationId,
            causationId: correlationId,
          }),
          data: { calendarId: this.calendarId, ...year },
        },
        {
          streamId: holidayCalendarStreamId(this.calendarId),
          idempotency: { key, requestHash: hashRequest(year) },
          expectedRevision: null,
        },
      ),
    );
  }

  /** A calendar's stream folded now; revision -1 when nothing is recorded. */
  async current(calendarId: string): Promise<Folded> {
    const known = this.folded.get(calendarId);
    const { state, revision } = await this.writePath.load<HolidayCalendarEvent, HolidayCalendarState>(
      holidayCalendarStreamId(calendarId),
      holidayCalendarDecider,
      known && known.revision >= 0n ? known : undefined,
    );
    const at = revision === 'no-stream' ? -1n : revision;
    const latest = this.folded.get(calendarId);
    if (latest && latest.revision >= at) return latest;
    const folded = { state, revision: at, calendar: workingCalendarOf(calendarId, state) };
    this.folded.set(calendarId, folded);
    return folded;
  }

  /** The configured deadline rules counting the calendar's working days as recorded now. */
  async deadlinePolicy(): Promise<DeadlinePolicy> {
    const { calendar } = await this.current(this.calendarId);
    return { ...this.config.deadlinePolicy, calendar };
  }

  /** Whether the year is already recorded exactly so: loading it again writes nothing. */
  async holds(calendarId: string, year: HolidayCalendarFileYear): Promise<boolean> {
    return holdsArrangement((await this.current(calendarId)).state, year.year, year);
  }

  /**
   * What `/health` shows (docs/holidays.md, "Loading a new year"): the years covered, and a warning while this year
   * or the next is missing, so an operator loads it before routine deadlines in it are refused. A warning, not a
   * failure: every other route, and deadlines in covered years, still work.
   */
  async indicator(): Promise<Record<string, unknown> & { status: 'up' }> {
    const { calendar } = await this.current(this.calendarId);
    const offsetMs = this.config.deadlinePolicy.utcOffsetMinutes * 60_000;
    const thisYear = new Date(this.clock().getTime() + offsetMs).getUTCFullYear();
    const missing = [thisYear, thisYear + 1].filter((year) => !calendar.covers(year));
    return {
      status: 'up',
      calendarId: this.calendarId,
      yearsCovered: calendar.yearsCovered,
      ...(missing.length > 0
        ? {
            warning: `holiday calendar ${this.calendarId} does not cover ${missing.join(' and ')}: routine referral deadlines in ${missing.length > 1 ? 'those years' : 'that year'} will be refused until it is loaded`,
            yearsMissing: missing,
          }
        : {}),
    };
  }
}
