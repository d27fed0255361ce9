import Database from 'better-sqlite3';
import { sqliteReader } from '../runtime/sql-reader';
import { queryActionRequired } from './action-required.query';
import { queryPatientJourneys } from './patient-journeys.query';
import {
  type FollowUpRow,
  followUpsTable,
  type OpenReferralRow,
  openReferralsTable,
  type ReferralOutcomeRow,
  referralOutcomesTable,
  type TransferProposalRow,
  transferProposalsTable,
  worklistProjection,
} from './worklist.projection';
import { WorklistQueryError } from './worklist-page';
import { queryWorklist, type WorklistReferral } from './worklist.query';

/* Given worklist rows, when a coordinator filters and pages, then the order is stable and no row repeats or drops. */
const HOSP = 'HOSP-CY-01';
const CHC = 'CHC-CY-01';
const NOW = Date.parse('2026-03-05T10:00:00+08:00');

let db: Database.Database;
beforeEach(() => {
  db = new Database(':memory:');
  db.exec(worklistProjection.schema);
});
afterEach(() => db.close());

let seq = 0;
function referral(over: Partial<OpenReferralRow>): OpenReferralRow {
  const row: OpenReferralRow = {
    referralId: `r-${String(++seq).padStart(3, '0')}`,
    journeyId: `j-${seq}`,
    patientId: `pt-0000${seq}`,
    direction: 'up',
    priority: 'routine',
    setting: 'outpatient',
    department: 'cardiology',
    fromInstitutionId: CHC,
    toInstitutionId: HOSP,
    status: 'requested',
    requestedAt: '2026-03-01T10:00:00+08:00',
    deadline: '2026-03-08T10:00:00+08:00',
    dueSoonAt: null,
    updatedAt: '2026-03-01T10:00:00+08:00',
    ...over,
  };
  db.prepare(openReferralsTable.insert).run(openReferralsTable.encode(row));
  return row;
}

const ids = (rows: readonly WorklistReferral[] | undefined) => (rows ?? []).map((r) => r.referralId);
const worklist = (filter: Parameters<typeof queryWorklist>[4] = {}, institution = HOSP) =>
  queryWorklist(sqliteReader(db), institution, NOW, () => undefined, filter);

describe('worklist query', () => {
  it('orders incoming referrals by priority (green channel, urgent, routine), then deadline, then id', async () => {
    const routineEarly = referral({ deadline: '2026-03-02T10:00:00+08:00' });
    const green = referral({ priority: 'green-channel', deadline: '2026-03-09T10:00:00+08:00' });
    const urgentLate = referral({ priority: 'urgent', deadline: '2026-03-07T10:00:00+08:00' });
    // The same instant written with another offset sorts as the same instant; the id breaks the tie.
    const urgentA = referral({ priority: 'urgent', deadline: '2026-03-06T02:00:00Z' });
    const urgentB = referral({ priority: 'urgent', deadline: '2026-03-06T10:00:00+08:00' });
    expect(ids((await worklist()).incomingReferrals)).toEqual([
      green.referralId,
      urgentA.referralId,
      urgentB.referralId,
      urgentLate.referralId,
      routineEarly.referralId,
    ]);
  });

  it('filters by department, priority, status and overdue (by the caller’s now)', async () => {
    const overdue = referral({ deadline: '2026-03-04T10:00:00+08:00', status: 'received' });
    const neuro = referral({ department: 'neurology' });
    const urgent = referral({ priority: 'urgent' });
    expect(ids((await worklist({ overdue: true })).incomingReferrals)).toEqual([overdue.referralId]);
    expect(ids((await worklist({ overdue: false })).incomingReferrals).sort()).toEqual(
      [neuro.referralId, urgent.referralId].sort(),
    );
    expect(ids((await worklist({ department: 'neurology' })).incomingReferrals)).toEqual([neuro.referralId]);
    expect(ids((await worklist({ priority: 'urgent' })).incomingReferrals)).toEqual([urgent.referralId]);
    expect(ids((await worklist({ status: 'received' })).incomingReferrals)).toEqual([overdue.referralId]);
    // The same referral a day later by the clock is not overdue (the read model holds no "now").
    expect(
      (await queryWorklist(sqliteReader(db), HOSP, Date.parse('2026-03-03T10:00:00+08:00')))
        .incomingReferrals![0]?.overdue ?? false,
    ).toBe(false);
  });

  it('serves only the sections every filter given applies to; direction picks the side', async () => {
    referral({});
    const all = await worklist();
    expect(Object.keys(all)).toEqual([
      'institutionId',
      'at',
      'incomingReferrals',
      'outgoingReferrals',
      'inpatients',
      'onLeave',
      'expectedDownwardTransfers',
      'proposedDownwardTransfers',
      'withUsUpstairs',
      'followUpsDue',
    ]);
    expect(Object.keys(await worklist({ department: 'cardiology' }))).toEqual([
      'institutionId',
      'at',
      'incomingReferrals',
      'outgoingReferrals',
      'expectedDownwardTransfers',
      'withUsUpstairs',
    ]);
    expect(Object.keys(await worklist({ overdue: true }))).toEqual([
      'institutionId',
      'at',
      'incomingReferrals',
      'outgoingReferrals',
      'expectedDownwardTransfers',
      'followUpsDue',
    ]);
    expect(Object.keys(await worklist({ direction: 'outgoing' }))).toEqual([
      'institutionId',
      'at',
      'outgoingReferrals',
      'proposedDownwardTransfers',
      'withUsUpstairs',
    ]);
    expect(Object.keys(await worklist({ section: 'inpatients' }))).toEqual([
      'institutionId',
      'at',
      'inpatients',
    ]);
  });

  it('pages a section by keyset: rows added or removed meanwhile neither repeat nor push others off', async () => {
    const made = Array.from({ length: 7 }, (_, i) =>
      referral({ deadline: `2026-03-0${(i % 3) + 6}T10:00:00+08:00` }),
    );
    const first = await worklist({ section: 'incomingReferrals', limit: 3 });
    expect(first.incomingReferrals).toHaveLength(3);
    const cursor = first.next!.incomingReferrals!;
    expect(cursor).toEqual(expect.any(String));
    // Meanwhile: a row before the cursor is decided (gone), and a new one sorts before it.
    db.prepare('DELETE FROM open_referrals WHERE referral_id = ?').run(
      first.incomingReferrals![0]!.referralId,
    );
    referral({ deadline: '2026-03-06T09:00:00+08:00' });
    const served = [...ids(first.incomingReferrals)];
    let next: string | null | undefined = cursor;
    while (next) {
      const page = await worklist({ limit: 3, cursor: next });
      expect(Object.keys(page)).toEqual(['institutionId', 'at', 'incomingReferrals', 'next']);
      served.push(...ids(page.incomingReferrals));
      next = page.next!.incomingReferrals;
    }
    expect(served).toHaveLength(7);
    expect(new Set(served).size).toBe(7);
    expect(served.sort()).toEqual(made.map((r) => r.referralId).sort());
  });

  it('refuses a cursor it did not make, or one of another section, naming the cursor', async () => {
    referral({});
    for (const cursor of ['bm9wZQ', Buffer.from('["nowhere",1]').toString('base64url'), 'x'])
      await expect(worklist({ cursor })).rejects.toThrow(WorklistQueryError);
    const next = await worklist({ section: 'incomingReferrals', limit: 1 });
    referral({});
    const cursor = (await worklist({ section: 'incomingReferrals', limit: 1 })).next!.incomingReferrals!;
    expect(next.next!.incomingReferrals).toBeNull();
    await expect(worklist({ section: 'outgoingReferrals', cursor })).rejects.toThrow(
      expect.objectContaining({ field: 'cursor' }),
    );
  });
});

describe('action-required query', () => {
  const outcome = (over: Partial<ReferralOutcomeRow>) => {
    const row: ReferralOutcomeRow = {
      referralId: `r-${++seq}`,
      journeyId: `j-${seq}`,
      patientId: 'pt-00000001',
      direction: 'up',
      priority: 'urgent',
      department: 'cardiology',
      fromInstitutionId: CHC,
      toInstitutionId: HOSP,
      status: 'rejected',
      requestedAt: '2026-03-01T10:00:00+08:00',
      deadline: '2026-03-02T10:00:00+08:00',
      outcomeAt: '2026-03-01T12:00:00+08:00',
      rejectionReason: 'not-indicated',
      escalatedToAllianceId: null,
      ...over,
    };
    db.prepare(referralOutcomesTable.insert).run(referralOutcomesTable.encode(row));
    return row;
  };
  const followUp = (dueBy: string) => {
    const row: FollowUpRow = {
      followUpId: `f-${++seq}`,
      journeyId: `j-${seq}`,
      patientId: 'pt-00000002',
      admissionId: `a-${seq}`,
      dischargedAt: '2026-02-20T10:00:00+08:00',
      owedByInstitutionId: CHC,
      signedDoctorId: null,
      dueBy,
      basis: 'standard',
    };
    db.prepare(followUpsTable.insert).run(followUpsTable.encode(row));
    return row;
  };
  const proposal = () => {
    const row: TransferProposalRow = {
      proposalId: `p-${++seq}`,
      journeyId: `j-${seq}`,
      patientId: 'pt-00000003',
      admissionId: `a-${seq}`,
      surgeryId: `s-${seq}`,
      fromInstitutionId: HOSP,
      toInstitutionId: CHC,
      basis: 'alliance-centre',
      signedDoctorId: null,
      proposedAt: '2026-03-03T10:00:00+08:00',
    };
    db.prepare(transferProposalsTable.insert).run(transferProposalsTable.encode(row));
    return row;
  };
  const list = async (institutionId: string, escalations = true) =>
    (
      await queryActionRequired(sqliteReader(db), institutionId, {
        allianceId: 'CY-G1',
        escalations,
        now: NOW,
      })
    ).items;

  it('lists the centre’s outcomes, overdue follow-ups and proposals to it, oldest first, with what clears each', async () => {
    const rejected = outcome({});
    const expired = outcome({
      status: 'expired',
      outcomeAt: '2026-03-02T10:00:00+08:00',
      escalatedToAllianceId: 'CY-G1',
    });
    const late = followUp('2026-03-04T10:00:00+08:00');
    followUp('2026-03-06T10:00:00+08:00');
    const proposed = proposal();
    expect((await list(CHC)).map((i) => [i.kind, i.action, i.clearedBy])).toEqual([
      [
        'referral-rejected',
        'acknowledge',
        `POST /journeys/${rejected.journeyId}/referrals/${rejected.referralId}/acknowledge`,
      ],
      [
        'referral-expired',
        'acknowledge',
        `POST /journeys/${expired.journeyId}/referrals/${expired.referralId}/acknowledge`,
      ],
      ['transfer-proposal', 'await-decision', null],
      [
        'follow-up-overdue',
        'complete-follow-up',
        `POST /journeys/${late.journeyId}/follow-ups/${late.followUpId}/complete`,
      ],
    ]);
    // (Its coordinators would also see the expired referral, escalated to their alliance: next spec.)
    expect((await list(HOSP, false)).map((i) => [i.kind, i.proposalId, i.action])).toEqual([
      ['transfer-proposal', proposed.proposalId, 'accept-or-decline'],
    ]);
  });

  it('shows an escalation to the other coordinators of the alliance, not to other roles', async () => {
    const expired = outcome({ status: 'expired', escalatedToAllianceId: 'CY-G1' });
    expect((await list(HOSP)).map((i) => [i.kind, i.referralId, i.escalatedToAllianceId])).toEqual([
      ['escalation', expired.referralId, 'CY-G1'],
    ]);
    expect(await list(HOSP, false)).toEqual([]);
    expect(
      (
        await queryActionRequired(sqliteReader(db), HOSP, {
          allianceId: 'HD-G1',
          escalations: true,
          now: NOW,
        })
      ).items,
    ).toEqual([]);
  });

  it('pages by kind with a cursor', async () => {
    const made = Array.from({ length: 5 }, (_, i) =>
      outcome({ outcomeAt: `2026-03-0${i + 1}T10:00:00+08:00` }),
    );
    const first = await queryActionRequired(
      sqliteReader(db),
      CHC,
      { allianceId: null, escalations: false, now: NOW },
      { limit: 2 },
    );
    const second = await queryActionRequired(
      sqliteReader(db),
      CHC,
      { allianceId: null, escalations: false, now: NOW },
      { limit: 10, cursor: first.next! },
    );
    expect([...first.items, ...second.items].map((i) => i.referralId)).toEqual(made.map((r) => r.referralId));
    expect(second.next).toBeNull();
  });
});

describe('patient index', () => {
  it('finds a patient’s journeys, oldest first, and no one else’s', async () => {
    const insert = db.prepare(
      'INSERT INTO patient_journeys (journey_id, patient_id, status, opened_at, closed_at) VALUES (?, ?, ?, ?, ?)',
    );
    insert.run('j-b', 'pt-7f3a9c21', 'open', '2026-03-02T10:00:00+08:00', null);
    insert.run('j-a', 'pt-7f3a9c21', 'closed', '2026-01-02T10:00:00+08:00', '2026-01-09T10:00:00+08:00');
    insert.run('j-c', 'pt-00000009', 'open', '2026-03-01T10:00:00+08:00', null);
    expect((await queryPatientJourneys(sqliteReader(db), 'pt-7f3a9c21')).map((j) => j.journeyId)).toEqual([
      'j-a',
      'j-b',
    ]);
    expect(await queryPatientJourneys(sqliteReader(db), 'pt-nobody00')).toEqual([]);
  });
});
