import Database from 'better-sqlite3';
import {
  decideJourney,
  DomainError,
  formatInOffset,
  type InstitutionSnapshot,
  type JourneyCommand,
} from '@carepath/domain';
import {
  accepted,
  admitted,
  at,
  CHC,
  discharged as dischargedOn,
  foldJourney as fold,
  followUpOwed,
  type Given,
  HOSP,
  journeyOpened as opened,
  referralRequested,
  snapshot,
  surgery,
  transferProposed,
} from '../testing/journey-events';
import {
  deriveProcessActions,
  type ProcessActionRow,
  processActionsTable,
} from './care-processes.projection';
import { sqliteReader } from '../runtime/sql-reader';
import { countDue, dueActions, nextDueMs, type ProcessTiming } from './care-processes.query';

/*
 * Given a journey's events, when the care-processes projection derives its rows, then each row is an act a process
 * still owes the journey (docs/architecture.md, "Processes"); and the due query reads them by the clock it is given.
 */
const OTHER = snapshot('SEC-HD-01', 'secondary', 'HD-G1');
const ms = (iso: string) => Date.parse(iso);

const derive = (...events: Given[]) => deriveProcessActions(fold([opened, ...events]), 'j-1');
const kinds = (rows: readonly ProcessActionRow[]) => rows.map((r) => r.actionId).sort();

const referral = (
  referralId: string,
  from: InstitutionSnapshot,
  to: InstitutionSnapshot,
  direction: 'up' | 'down' = 'up',
) => referralRequested(referralId, from, to, direction);
/** Every discharge of these specs is on day 6. */
const discharged = (
  admissionId: string,
  institution: InstitutionSnapshot,
  disposition: 'home' | 'rehab' | 'other-institution' | 'deceased',
  destination: string | null = null,
) => dischargedOn(admissionId, institution, disposition, destination, 6);

describe('care-processes rows', () => {
  describe('referral deadlines', () => {
    it('owes an undecided referral its reminder and its expiry, counted from the request to the deadline', () => {
      const rows = derive(referral('r-1', CHC, HOSP));
      expect(kinds(rows)).toEqual(['referral-expiry:r-1', 'referral-reminder:r-1']);
      expect(rows[0]).toMatchObject({
        subjectId: 'r-1',
        institutionId: CHC.institutionId,
        institutionAllianceId: 'CY-G1',
        counterpartId: HOSP.institutionId,
        counterpartAllianceId: 'CY-G1',
        startAt: at(1),
        startMs: ms(at(1)),
        deadline: at(2),
        deadlineMs: ms(at(2)),
        referringCentreId: CHC.institutionId,
      });
    });

    it('drops the reminder once sent, and both once the referral is decided or expired', () => {
      const reminded: Given = [
        { type: 'ReferralDueSoon', data: { referralId: 'r-1', deadline: at(2) } },
        at(1, 20),
      ];
      expect(kinds(derive(referral('r-1', CHC, HOSP), reminded))).toEqual(['referral-expiry:r-1']);
      expect(derive(referral('r-1', CHC, HOSP), accepted('r-1'))).toEqual([]);
      const expired: Given = [
        { type: 'ReferralExpired', data: { referralId: 'r-1', deadline: at(2) } },
        at(2),
      ];
      expect(derive(referral('r-1', CHC, HOSP), reminded, expired)).toEqual([]);
    });

    it('owes nothing on a closed journey', () => {
      const rows = derive(referral('r-1', CHC, HOSP), [
        { type: 'ReferralCancelled', data: { referralId: 'r-1', reason: 'patient-declined' } },
        at(1, 12),
      ]);
      expect(rows).toEqual([]);
    });
  });

  describe('downward transfer proposals', () => {
    const stay = [referral('r-up', CHC, HOSP), accepted('r-up'), admitted('a-1', HOSP)];

    it('owes a proposal for the latest surgery of a stay still open at a hospital', () => {
      const rows = derive(...stay, surgery('s-1', 'a-1', 2), surgery('s-2', 'a-1', 3));
      expect(kinds(rows)).toEqual(['transfer-proposal:s-2']);
      expect(rows[0]).toMatchObject({
        institutionId: HOSP.institutionId,
        institutionTier: 'tertiary',
        admissionId: 'a-1',
        startAt: at(3),
        afterSurgery: true,
        referringCentreId: CHC.institutionId,
      });
    });

    it('owes none once proposed, while a downward referral is under way, at a community centre, or after the stay', () => {
      expect(derive(...stay, surgery('s-1', 'a-1'), transferProposed)).toEqual([]);
      expect(kinds(derive(...stay, surgery('s-1', 'a-1'), referral('r-down', HOSP, CHC, 'down')))).toEqual([
        'referral-expiry:r-down',
        'referral-reminder:r-down',
      ]);
      expect(
        kinds(
          derive(
            ...stay,
            surgery('s-1', 'a-1'),
            discharged('a-1', HOSP, 'other-institution', OTHER.institutionId),
          ),
        ),
      ).toEqual([]);
    });
  });

  describe('discharge follow-ups', () => {
    const stay = [admitted('a-1', HOSP)];

    it('owes a follow-up at a discharge home or to rehab, from the discharge, noting surgery in the stay', () => {
      const home = derive(...stay, surgery('s-1', 'a-1'), discharged('a-1', HOSP, 'home'));
      expect(home).toEqual([
        expect.objectContaining({
          actionId: 'follow-up:a-1',
          institutionId: HOSP.institutionId,
          counterpartId: null,
          startAt: at(6),
          afterSurgery: true,
        }),
      ]);
      expect(derive(...stay, discharged('a-1', HOSP, 'rehab', CHC.institutionId))).toEqual([
        expect.objectContaining({ kind: 'follow-up', counterpartId: CHC.institutionId, afterSurgery: false }),
      ]);
    });

    it('owes none for other discharges, nor once owed', () => {
      expect(derive(...stay, discharged('a-1', HOSP, 'deceased'))).toEqual([]);
      const owed = followUpOwed('2026-03-20T10:00:00+08:00', 'standard');
      expect(derive(...stay, discharged('a-1', HOSP, 'home'), owed)).toEqual([]);
    });
  });
});

describe('due process acts', () => {
  const timing: ProcessTiming = {
    reminderFraction: 0.8,
    transferStableMs: 3 * 86_400_000,
    lateEntryGraceMs: 3_600_000,
  };
  let db: Database.Database;
  beforeEach(() => {
    db = new Database(':memory:');
    db.exec(processActionsTable.create);
    const rows = deriveProcessActions(
      fold([opened, referral('r-1', CHC, HOSP), admitted('a-1', HOSP), surgery('s-1', 'a-1', 2)]),
      'j-1',
    );
    const insert = db.prepare(processActionsTable.insert);
    for (const row of rows) insert.run(processActionsTable.encode(row));
  });
  afterEach(() => db.close());

  it('finds a reminder due at the fraction of the time to decision, and not once the deadline has passed', async () => {
    // 24 h from 03-01 10:00: 80% is 03-02 05:12.
    const reminder = ms('2026-03-02T05:12:00+08:00');
    expect(await dueActions(sqliteReader(db), 'referral-reminder', reminder - 1, timing)).toEqual([]);
    expect(await dueActions(sqliteReader(db), 'referral-reminder', reminder, timing)).toEqual([
      expect.objectContaining({ dueMs: reminder, row: expect.objectContaining({ subjectId: 'r-1' }) }),
    ]);
    expect(await countDue(sqliteReader(db), 'referral-reminder', ms(at(2)), timing)).toBe(0);
    expect(await countDue(sqliteReader(db), 'referral-expiry', ms(at(2)), timing)).toBe(1);
    // Another fraction moves it without a rebuild.
    expect(
      await countDue(sqliteReader(db), 'referral-reminder', reminder, { ...timing, reminderFraction: 0.9 }),
    ).toBe(0);
  });

  it('finds a proposal due after the stable period, and the next timer among all kinds', async () => {
    const proposal = ms(at(2)) + timing.transferStableMs;
    expect(await countDue(sqliteReader(db), 'transfer-proposal', proposal - 1, timing)).toBe(0);
    expect(await countDue(sqliteReader(db), 'transfer-proposal', proposal, timing)).toBe(1);
    const kinds = ['referral-reminder', 'referral-expiry', 'transfer-proposal'] as const;
    expect(await nextDueMs(sqliteReader(db), kinds, ms(at(1)), timing)).toBe(ms('2026-03-02T05:12:00+08:00'));
    expect(await nextDueMs(sqliteReader(db), kinds, ms('2026-03-02T05:12:00+08:00'), timing)).toBe(ms(at(2)));
    expect(await nextDueMs(sqliteReader(db), kinds, ms(at(2)), timing)).toBe(proposal);
    expect(await nextDueMs(sqliteReader(db), kinds, proposal, timing)).toBeNull();
  });

  it('gives a referral entered after its deadline the grace period from its entry before it expires', async () => {
    // Entered on 03-09 00:00Z, a week past its 03-02 deadline: with an hour's grace it expires at 01:00Z, not at once,
    // so the decision typed in next is not refused; the expiry's care time is still the deadline (process-plans.ts).
    const recorded = '2026-03-09T00:00:00.000Z';
    const late = new Database(':memory:');
    late.exec(processActionsTable.create);
    const insert = late.prepare(processActionsTable.insert);
    for (const row of deriveProcessActions(fold([opened, referral('r-9', CHC, HOSP)], recorded), 'j-9'))
      insert.run(processActionsTable.encode(row));
    expect(await countDue(sqliteReader(late), 'referral-expiry', ms(recorded), timing)).toBe(0);
    expect(await dueActions(sqliteReader(late), 'referral-expiry', ms(recorded) + 3_600_000, timing)).toEqual(
      [expect.objectContaining({ dueMs: ms(recorded) + 3_600_000 })],
    );
    expect(await nextDueMs(sqliteReader(late), ['referral-expiry'], ms(recorded), timing)).toBe(
      ms(recorded) + 3_600_000,
    );
    late.close();
  });
});

/*
 * Given a journey whose proposal row is due, when the process records the proposal at the row's due time, then the
 * decider, judging it against the journey as it stood at that care time (docs/care-time.md), records it: a row the
 * decider refuses as settled stays due forever and the processes never settle. Found by `npm run simulate --
 * --preset chaoyang-2023 --scale 0.05 --seed 1`: a downward referral made hours after a surgery expired after the
 * stable period had run.
 */
describe('a due proposal the decider records', () => {
  const timing: ProcessTiming = {
    reminderFraction: 0.8,
    transferStableMs: 3 * 86_400_000,
    lateEntryGraceMs: 3_600_000,
  };
  const OFFSET = 8 * 60;
  const stay = [admitted('a-1', HOSP)];
  const downRequested = (referralId: string, day: number, hour: number, deadline: string): Given => [
    {
      type: 'DownwardReferralRequested',
      data: {
        referralId,
        from: HOSP,
        to: CHC,
        department: 'rehab',
        priority: 'routine',
        setting: 'outpatient',
        reasonCode: 'S72.0',
        deadline,
        redirectedFromReferralId: null,
      },
    },
    at(day, hour),
  ];
  const proposed = (proposalId: string, surgeryId: string, day: number, hour: number): Given => [
    {
      type: 'DownwardTransferProposed',
      data: {
        proposalId,
        admissionId: 'a-1',
        surgeryId,
        from: HOSP,
        to: CHC,
        basis: 'alliance-centre',
        signedDoctorId: null,
      },
    },
    at(day, hour),
  ];

  /**
   * The proposal row due by day 9, and what the decider says to the act the process records at its due time (or at
   * another care time: the event types it records, or the code it refuses with).
   */
  async function actWhenDue(...events: Given[]) {
    const state = fold([opened, ...events]);
    const db = new Database(':memory:');
    try {
      db.exec(processActionsTable.create);
      const insert = db.prepare(processActionsTable.insert);
      for (const row of deriveProcessActions(state, 'j-1')) insert.run(processActionsTable.encode(row));
      const due = await dueActions(sqliteReader(db), 'transfer-proposal', ms(at(9)), timing);
      expect(due).toHaveLength(1);
      const { row, dueMs } = due[0]!;
      const decideAt = (careMs: number) => {
        const command = {
          type: 'ProposeDownwardTransfer',
          data: {
            proposalId: 'p-9',
            surgeryId: row.subjectId,
            to: CHC,
            basis: 'alliance-centre',
            signedDoctorId: null,
          },
          metadata: {
            occurredAt: formatInOffset(careMs, OFFSET),
            recordedAt: new Date(ms(at(9))).toISOString(),
            actorId: 'process:transfer-proposals',
            actorRole: 'system',
            institutionId: HOSP.institutionId,
            correlationId: 'c',
            causationId: 'c',
          },
        } as JourneyCommand;
        try {
          return decideJourney(command, state).map((e) => e.type);
        } catch (error) {
          if (error instanceof DomainError) return error.code;
          throw error;
        }
      };
      return { dueMs, atDue: decideAt(dueMs), decideAt };
    } finally {
      db.close();
    }
  }

  it('waits for a downward referral that ended after the stable period had run, then proposes a second after', async () => {
    // Surgery on 03-02 07:00; the hospital refers down that afternoon; nobody answers and it expires on 03-05 14:00,
    // seven hours after the stable period ran out (03-05 07:00), and is escalated.
    const { dueMs, atDue, decideAt } = await actWhenDue(
      ...stay,
      surgery('s-1', 'a-1', 2, 7),
      downRequested('r-down', 2, 14, at(5, 14)),
      [{ type: 'ReferralExpired', data: { referralId: 'r-down', deadline: at(5, 14) } }, at(5, 14)],
      [
        { type: 'ReferralEscalated', data: { referralId: 'r-down', allianceId: 'CY-G1', reason: 'expired' } },
        at(5, 14),
      ],
    );
    expect(atDue).toEqual(['DownwardTransferProposed']);
    expect(dueMs).toBe(ms(at(5, 14)) + 1000);
    // At the end of the stable period the referral was still under way, and at the instant of its expiry too: a
    // proposal ranks before an expiry at the same care time.
    expect(decideAt(ms(at(5, 7)))).toBe('DOWNWARD_REFERRAL_OPEN');
    expect(decideAt(ms(at(5, 14)))).toBe('DOWNWARD_REFERRAL_OPEN');
  });

  it('waits for an earlier proposal of the stay declined after the stable period of the latest surgery', async () => {
    const { dueMs, atDue, decideAt } = await actWhenDue(
      ...stay,
      surgery('s-1', 'a-1', 1, 14),
      surgery('s-2', 'a-1', 2, 10),
      proposed('p-1', 's-1', 4, 14),
      [
        { type: 'DownwardTransferProposalDeclined', data: { proposalId: 'p-1', reason: 'not-stable' } },
        at(6),
      ],
    );
    expect(atDue).toEqual(['DownwardTransferProposed']);
    expect(dueMs).toBe(ms(at(6)) + 1000);
    // At the end of the latest surgery's stable period (03-05 10:00) the earlier proposal was still open.
    expect(decideAt(ms(at(5)))).toBe('PROPOSAL_ALREADY_OPEN');
  });

  it('keeps the stable period when what stood in the way ended before it ran out', async () => {
    const { dueMs, atDue } = await actWhenDue(
      ...stay,
      surgery('s-1', 'a-1', 2, 7),
      downRequested('r-down', 2, 14, at(5, 14)),
      [
        {
          type: 'ReferralRejected',
          data: {
            referralId: 'r-down',
            reason: 'capacity-full',
            redirectedToInstitutionId: null,
            redirectReferralId: null,
          },
        },
        at(3),
      ],
    );
    expect(dueMs).toBe(ms(at(2, 7)) + timing.transferStableMs);
    expect(atDue).toEqual(['DownwardTransferProposed']);
  });
});
