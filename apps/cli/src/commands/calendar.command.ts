import {
  holidayCalendarDecider,
  type HolidayCalendarEvent,
  type HolidayCalendarState,
  holidayCalendarStreamId,
  holdsArrangement,
} from '@carepath/domain';
import { readHolidayCalendarFile } from '@carepath/runtime';
import { deriveId, hashRequest, WritePath } from '@carepath/write-path';
import { type Command, type CommandContext, commandLineOf } from './command';

const SPEC = {
  name: 'calendar',
  synopsis: 'load <file> --actor <id> [--institution <id>]',
  summary: `Records each year of a holiday-calendar file (reference-data/holiday-calendars/CN.json is the format) that
the store does not hold as written: a year already recorded exactly so is left alone, a different one replaces it.
Routine referral deadlines count the new years from the API's next request on (docs/holidays.md).`,
};
const { parse, usageError } = commandLineOf(SPEC);

/**
 * Loads a year the State Council has just published, through the one write path (libs/write-path) on the
 * configured store, as the operator named by --actor. Each year's write carries an idempotency key made of its
 * content, so running the same file again after a crash or by a second operator writes nothing twice.
 */
async function calendar(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(argv, {
    allowPositionals: true,
    options: { actor: { type: 'string' }, institution: { type: 'string', default: 'carepath' } },
  });
  const [action, file, ...extra] = positionals;
  if (action !== 'load' || file === undefined || extra.length > 0) throw usageError('calendar load <file>');
  const actor = values.actor;
  if (actor === undefined || !/^[\x21-\x7e]{1,255}$/.test(actor)) {
    throw usageError('--actor must name the operator (1-255 visible ASCII characters)');
  }
  const { calendarId, years } = readHolidayCalendarFile(file);
  const config = ctx.config();
  const writePath = new WritePath(ctx.store(), () => new Date(), config);
  const streamId = holidayCalendarStreamId(calendarId);
  for (const year of years) {
    const { state } = await writePath.load<HolidayCalendarEvent, HolidayCalendarState>(
      streamId,
      holidayCalendarDecider,
    );
    if (holdsArrangement(state, year.year, year)) {
      console.log(`${calendarId} ${year.year}: unchanged`);
      continue;
    }
    const requestHash = hashRequest({ calendarId, ...year });
    const key = `cli:holiday-calendar:${calendarId}:${year.year}:${requestHash.slice(0, 16)}`;
    const correlationId = deriveId('cli', key);
    const result = await writePath.handle(
      holidayCalendarDecider,
      {
        type: 'PublishHolidayCalendarYear',
        metadata: writePath.metadata({
          actorId: actor,
          actorRole: 'admin',
          institutionId: values.institution,
          correlationId,
          causationId: correlationId,
        }),
        data: { calendarId, ...year },
      },
      { streamId, idempotency: { key, requestHash }, expectedRevision: null },
    );
    console.log(`${calendarId} ${year.year}: recorded at revision ${result.revision}`);
  }
  return 0;
}

export const CALENDAR: Command = { ...SPEC, run: calendar };
