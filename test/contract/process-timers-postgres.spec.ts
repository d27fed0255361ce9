import fc from 'fast-check';
import {
  countDue,
  dueActions,
  nextDueMs,
  type ProcessActionRow,
  processActionsTable,
  type ProcessKind,
  type ProcessTiming,
  sqliteReader,
} from '@carepath/projections';
import { scratchSchema } from '../support/postgres';
import { memoryDatabase, tableRows } from '../support/read-model-rows';

/*
 * The process manager's timers are rows of the care-processes read model, which with READ_MODEL_STORE=postgres lives
 * in PostgreSQL (docs/scaling.md, "API replicas"). Its due-time SQL differs by dialect where the two disagree (a
 * two-argument MAX, a fraction cast to an integer): given the same random rows and timings in both, then PostgreSQL
 * finds the same acts due at the same millisecond, the same count and the same next timer as SQLite.
 */

const KINDS: readonly ProcessKind[] = [
  'referral-reminder',
  'referral-expiry',
  'transfer-proposal',
  'follow-up',
];
const BASE = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;

const action = fc.record({
  kind: fc.constantFrom(...KINDS),
  start: fc.integer({ min: 0, max: 20 * 24 * HOUR }),
  // Odd lengths of time to decision, so a fraction of them falls between two milliseconds.
  toDeadline: fc.integer({ min: 1, max: 5 * 24 * HOUR }),
  recorded: fc.option(fc.integer({ min: 0, max: 30 * 24 * HOUR })),
  notBefore: fc.option(fc.integer({ min: 0, max: 30 * 24 * HOUR })),
});
const timing = fc.record({
  reminderFraction: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
  transferStableMs: fc.integer({ min: 0, max: 5 * 24 * HOUR }),
  lateEntryGraceMs: fc.integer({ min: 0, max: 6 * HOUR }),
});

type Action = typeof action extends fc.Arbitrary<infer V> ? V : never;

function rowOf(a: Action, i: number): ProcessActionRow {
  const referral = a.kind === 'referral-reminder' || a.kind === 'referral-expiry';
  const startMs = BASE + a.start;
  return {
    actionId: `${a.kind}:s-${i}`,
    kind: a.kind,
    journeyId: `j-${i}`,
    subjectId: `s-${i}`,
    patientId: `p-${i}`,
    residenceRegion: 'R1',
    institutionId: 'HOSP-1',
    institutionTier: 'tertiary',
    institutionAllianceId: null,
    counterpartId: null,
    counterpartAllianceId: null,
    priority: null,
    startAt: new Date(startMs).toISOString(),
    startMs,
    deadline: referral ? new Date(startMs + a.toDeadline).toISOString() : null,
    deadlineMs: referral ? startMs + a.toDeadline : null,
    recordedMs: referral && a.recorded !== null ? BASE + a.recorded : null,
    admissionId: null,
    notBeforeMs: a.kind === 'transfer-proposal' && a.notBefore !== null ? BASE + a.notBefore : null,
    afterSurgery: a.kind === 'transfer-proposal',
    referringCentreId: null,
    referringCentreAllianceId: null,
  };
}

describe('the process timers read PostgreSQL as they read SQLite', () => {
  let postgres: Awaited<ReturnType<typeof scratchSchema>>;
  beforeAll(async () => {
    postgres = await scratchSchema('timers', [processActionsTable]);
  });
  afterAll(() => postgres?.close());

  it('given any rows and timing in both, then the due acts, their count and the next timer are the same', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { maxLength: 30 }),
        timing,
        fc.array(fc.integer({ min: 0, max: 30 * 24 * HOUR }), { minLength: 1, maxLength: 4 }),
        async (actions, t: ProcessTiming, clocks) => {
          const contents = [tableRows(processActionsTable, actions.map(rowOf))];
          await postgres.load(contents);
          const db = memoryDatabase(contents);
          try {
            const embedded = sqliteReader(db);
            for (const now of clocks.map((c) => BASE + c)) {
              for (const kind of KINDS) {
                expect(await dueActions(postgres.reader, kind, now, t)).toEqual(
                  await dueActions(embedded, kind, now, t),
                );
                expect(await countDue(postgres.reader, kind, now, t)).toBe(
                  await countDue(embedded, kind, now, t),
                );
              }
              expect(await nextDueMs(postgres.reader, KINDS, now, t)).toBe(
                await nextDueMs(embedded, KINDS, now, t),
              );
            }
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 300_000);
});
