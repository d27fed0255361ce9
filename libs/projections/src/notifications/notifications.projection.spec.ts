import { join } from 'node:path';
import BetterSqlite from 'better-sqlite3';
import type { SqliteEventStore, StoredEvent } from '@carepath/event-store';
import { appendNotificationLog, request } from '../../../../test/support/notification-log';
import { RunnerHarness } from '../../../../test/support/projection-harness';
import { dumpReadModel } from '../runtime/read-model-files';
import { type NotificationFacts, notificationsOf } from './notification.model';
import { notificationsProjection } from './notifications.projection';
import { sqliteReader } from '../runtime/sql-reader';
import { queryNotifications, queryWebhookEndpoints } from './notifications.query';

describe('notifications projection', () => {
  const harness = new RunnerHarness();
  let store: SqliteEventStore;
  const run = (dir: string, pageSize: number) =>
    harness.caughtUpIn(dir, notificationsProjection, { pageSize });

  beforeAll(async () => {
    harness.open('carepath-notifications-');
    store = harness.store;
    await appendNotificationLog(store);
  });
  afterAll(() => harness.close());

  it('given the log, then each kind reaches its recipients, numbered 1..n without gaps', async () => {
    const live = await run('live', 3);
    const rows = async (institutionId: string) =>
      (await queryNotifications(sqliteReader(live.reader()), institutionId, 0, 100)).map(
        (r) => `${r.kind} ${r.referralId ?? r.proposalId ?? r.followUpId ?? r.bookingId}`,
      );
    expect(await rows('HOSP-CY-01')).toEqual([
      'referral-requested r1',
      'referral-requested r2',
      'slot-booked k1',
      'referral-escalated r1-redirect',
      'transfer-proposed pr-1',
      'slot-booking-cancelled k1',
    ]);
    expect(await rows('HOSP-CY-02')).toEqual([
      'referral-redirected r1-redirect',
      'referral-due-soon r1-redirect',
      'referral-expired r1-redirect',
      'referral-escalated r1-redirect',
    ]);
    expect(await rows('CHC-CY-01')).toEqual([
      'slot-booked k1',
      'referral-redirected r1',
      'referral-expired r1-redirect',
      'referral-escalated r1-redirect',
      'referral-accepted r2',
      'transfer-proposed pr-1',
      'follow-up-owed f-1',
      'slot-booking-cancelled k1',
    ]);
    const all = live.reader().prepare('SELECT sequence FROM notifications ORDER BY sequence').pluck().all();
    expect(all).toEqual(all.map((_, i) => i + 1));
  });

  it('given small live pages, then a rebuild in one page gives the same rows, numbers and ids', async () => {
    const live = await run('live-2', 2);
    const rebuilt = await run('rebuilt', 10_000);
    expect(dumpReadModel(live.reader())).toEqual(dumpReadModel(rebuilt.reader()));
    await live.rebuild();
    expect(dumpReadModel(live.reader())).toEqual(dumpReadModel(rebuilt.reader()));
  });

  it('given the events applied, when the same page is applied again, then nothing changes', async () => {
    const db = new BetterSqlite(join(harness.folder, 'twice.db'));
    db.exec(notificationsProjection.schema);
    const writer = notificationsProjection.open(db, { readStream: (s) => store.readStream(s), store });
    const page = (await store.readAll({ after: 0n, maxCount: 1000 })).events as StoredEvent[];
    const applied = async (w: typeof writer) => {
      await w.prepare!(page);
      w.apply(page);
      w.committed!();
    };
    await applied(writer);
    const once = dumpReadModel(db);
    await applied(writer);
    // A fresh writer on the same file (a restart) applying it again changes nothing either.
    await applied(notificationsProjection.open(db, { readStream: (s) => store.readStream(s), store }));
    expect(dumpReadModel(db)).toEqual(once);
    db.close();
  });

  it('given a webhook endpoint registered before any notification, then it receives from the first on', async () => {
    const live = await run('endpoints', 5);
    const [endpoint] = await queryWebhookEndpoints(sqliteReader(live.reader()));
    expect(endpoint).toMatchObject({ endpointId: 'ep-1', institutionId: 'HOSP-CY-01', active: true });
    expect(endpoint!.afterSequence).toBe(0);
  });
});

describe('notificationsOf', () => {
  const facts: NotificationFacts = {
    referral: () => null,
    blockHospital: () => null,
    bookingCentre: () => null,
  };

  it('given an acceptance of a referral it never saw (its request voided before), then no notification', () => {
    expect(
      notificationsOf({ type: 'ReferralAccepted', streamId: 'journey-j', data: { referralId: 'x' } }, facts)
        .drafts,
    ).toEqual([]);
  });

  it('given a request, then the payload carries ids and codes only', () => {
    const { drafts } = notificationsOf(
      { streamId: 'journey-j', ...request('r', 'CHC-CY-01', 'HOSP-CY-01') },
      facts,
    );
    expect(drafts).toEqual([
      {
        kind: 'referral-requested',
        recipients: [{ institutionId: 'HOSP-CY-01' }],
        journeyId: 'j',
        referralId: 'r',
        proposalId: null,
        followUpId: null,
        blockId: null,
        bookingId: null,
        dueAt: '2026-03-02T09:00:00+08:00',
      },
    ]);
  });

  it('given an event of another kind (a visit), then nothing', () => {
    expect(notificationsOf({ type: 'VisitRecorded', streamId: 'journey-j', data: {} }, facts)).toEqual({
      drafts: [],
      learnt: [],
    });
  });
});
