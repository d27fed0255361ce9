import { positionAsOf } from '@carepath/event-store';
import {
  ALL_PROJECTIONS,
  parsePeriod,
  queryLocalTreatmentByRegion,
  queryReferralVolume,
  queryWardOccupancy,
  sqliteReader,
} from '@carepath/projections';
import { type Command, type CommandContext, commandLineOf } from './command';
import { scratchOne } from './scratch-projections';

const REPORTS = ['ward-occupancy', 'referrals', 'local-treatment'] as const;

const SPEC = {
  name: 'replay',
  synopsis: `--to <time|position> --report <${REPORTS.join('|')}> --period <2026-03> [--region <code>]`,
  summary: 'A figure as it would have been reported then.',
};
const { parse, usageError } = commandLineOf(SPEC);

async function replay(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values } = parse(argv, {
    options: {
      to: { type: 'string' },
      report: { type: 'string' },
      period: { type: 'string' },
      region: { type: 'string' },
    },
  });
  const { to, report, period: periodText, region } = values;
  if (to === undefined || report === undefined || periodText === undefined) {
    throw usageError('--to, --report and --period are required');
  }
  if (!(REPORTS as readonly string[]).includes(report)) {
    throw usageError(`--report must be one of: ${REPORTS.join(', ')}`);
  }
  const config = ctx.config();
  const store = ctx.store();
  const bound = /^\d+$/.test(to)
    ? BigInt(to)
    : Number.isNaN(Date.parse(to))
      ? null
      : await positionAsOf(store, to);
  if (bound === null) throw usageError('--to must be a position or an ISO-8601 time');
  const period = parsePeriod({ period: periodText });
  const tz = config.censusTimeZone;
  const byName = (name: string) => ALL_PROJECTIONS.find((p) => p.name === name)!;
  let rows: unknown;
  if (report === 'ward-occupancy') {
    rows = await scratchOne(store, byName('ward-occupancy'), bound, (db) =>
      queryWardOccupancy(sqliteReader(db), period, {}, 'ward', {
        timeZone: tz,
        heldBedRule: config.heldBedRule,
      }),
    );
  } else if (report === 'referrals') {
    rows = await scratchOne(store, byName('referral-volume'), bound, (db) =>
      queryReferralVolume(sqliteReader(db), period, {}, ['direction'], {
        timeZone: tz,
        unit: period.unit ?? 'month',
      }),
    );
  } else {
    rows = await scratchOne(store, byName('local-treatment'), bound, (db) =>
      queryLocalTreatmentByRegion(sqliteReader(db), period, region, tz),
    );
  }
  console.log(JSON.stringify({ replayedTo: bound.toString(), report, period, rows }, null, 2));
  return 0;
}

export const REPLAY: Command = { ...SPEC, run: replay };
