import { join } from 'node:path';
import BetterSqlite from 'better-sqlite3';
import type { SqliteEventStore, StoredEvent } from '@carepath/event-store';
import { RunnerHarness } from '../../../../test/support/projection-harness';
import { dumpReadModel } from '../runtime/read-model-files';
import { type NotificationFacts, notificationsOf } from './notification.model';
import { notificationsProjection } from './notifications.projection';
import { sqliteReader } from '../runtime/sql-reader';
import { queryNotifications, queryWebhookEndpoints } from './notifications.query';

const snapshot = (institutionId: string, allianceId: string | null = 'ALLY-CY') => ({
  institutionId,
  tier: 'secondary',
  allianceId,
  regionCode: '110105',
});
const meta = (i: number) => ({
  occurredAt: `2026-03-01T09:${String(i % 60).padStart(2, '0')}:00+08:00`,
  recordedAt: `2026-03-01T01:${String(i % 60).padStart(2, '0')}:05.000Z`,
  actorId: 'dr-1',
  actorRole: 'doctor',
  institutionId: 'CHC-CY-01',
  correlationId: 'c',
  causationId: 'r',
});
const request = (referralId: string, from: string, toId: string, redirectedFrom: string | null = null) => ({
  type: 'UpwardReferralRequested',
  data: {
    referralId,
    from: snapshot(from),
    to: snapshot(toId),
    department: 'cardiology',
    priority: 'urgent',
    setting: 'inpatient',
    reasonCode: 'I21.4',
    deadline: '2026-03-02T09:00:00+08:00',
    redirectedFromReferralId: redirectedFrom,
  },
});

const registered = (institutionId: string, name: string) => ({
  streamId: `institution-${institutionId}`,
  events: [{ type: 'InstitutionRegistered', data: { ...snapshot(institutionId), name } }],
});

/** A log touching every kind: two journeys, a slot block, three registered institutions, one webhook endpoint. */
function log(): { streamId: string; events: { type: string; data: object }[] }[] {
  return [
    registered('HOSP-CY-01', 'H'),
    registered('HOSP-CY-02', 'H2'),
    registered('CHC-CY-01', 'C'),
    {
      streamId: 'webhook-endpoints-HOSP-CY-01',
      events: [
        {
          type: 'WebhookEndpointRegistered',
          data: {
            endpointId: 'ep-1',
            institutionId: 'HOSP-CY-01',
            url: 'https://h/x',
            kinds: [],
            secretVersion: 1,
          },
        },
      ],
    },
    {
      streamId: 'journey-j1',
      events: [
        { type: 'JourneyOpened', data: { journeyId: 'j1', patientId: 'p-1' } },
        request('r1', 'CHC-CY-01', 'HOSP-CY-01'),
        { type: 'ReferralReceived', data: { referralId: 'r1' } },
        {
          type: 'ReferralRejected',
          data: {
            referralId: 'r1',
            reason: 'capacity-full',
            redirectedToInstitutionId: 'HOSP-CY-02',
            redirectReferralId: 'r1-redirect',
          },
        },
        request('r1-redirect', 'CHC-CY-01', 'HOSP-CY-02', 'r1'),
        {
          type: 'ReferralDueSoon',
          data: { referralId: 'r1-redirect', deadline: '2026-03-02T09:00:00+08:00' },
        },
        {
          type: 'ReferralExpired',
          data: { referralId: 'r1-redirect', deadline: '2026-03-02T09:00:00+08:00' },
        },
        {
          type: 'ReferralEscalated',
          data: { referralId: 'r1-redirect', allianceId: 'ALLY-CY', reason: 'expired' },
        },
      ],
    },
    {
      streamId: 'journey-j2',
      events: [
        { type: 'JourneyOpened', data: { journeyId: 'j2', patientId: 'p-2' } },
        request('r2', 'CHC-CY-01', 'HOSP-CY-01'),
        { type: 'ReferralAccepted', data: { referralId: 'r2' } },
        {
          type: 'DownwardTransferProposed',
          data: {
            proposalId: 'pr-1',
            admissionId: 'a-1',
            surgeryId: 's-1',
            from: snapshot('HOSP-CY-01'),
            to: snapshot('CHC-CY-01'),
            basis: 'alliance-centre',
            signedDoctorId: null,
          },
        },
        {
          type: 'FollowUpOwed',
          data: {
            followUpId: 'f-1',
            admissionId: 'a-1',
            dischargedAt: '2026-03-10T10:00:00+08:00',
            owedBy: snapshot('CHC-CY-01'),
            signedDoctorId: null,
            dueBy: '2026-03-24T10:00:00+08:00',
            basis: 'standard',
          },
        },
      ],
    },
    {
      streamId: 'slot-block-b1',
      events: [
        { type: 'SlotBlockPublished', data: { blockId: 'b1', hospital: snapshot('HOSP-CY-01') } },
        {
          type: 'SlotBooked',
          data: {
            blockId: 'b1',
            bookingId: 'k1',
            releaseId: 'rel',
            residentId: 'p-9',
            doctorId: 'fd',
            centreId: 'CHC-CY-01',
          },
        },
        {
          type: 'SlotBookingCancelled',
          data: { blockId: 'b1', bookingId: 'k1', releaseId: 'rel', reason: 'other', cancelledBy: 'centre' },
        },
      ],
    },
  ];
}

describe('notifications projection', () => {
  const harness = new RunnerHarness();
  let store: SqliteEventStore;
  const run = (dir: string, pageSize: number) =>
    harness.caughtUpIn(dir, notificationsProjection, { pageSize });

  beforeAll(async () => {
    harness.open('carepath-notifications-');
    store = harness.store;
    let i = 0;
    const stamp = (e: { type: string; data: object }) => ({
      ...e,
      id: `evt-${++i}`,
      schemaVersion: 1,
      data: e.data as Record<string, unknown>,
      metadata: meta(i),
    });
    const streams = log();
    // Streams interleaved, each in two appends, as writes arrive live.
    for (const { streamId, events } of streams)
      await store.append(streamId, events.slice(0, 2).map(stamp), { expectedRevision: 'no-stream' });
    for (const { streamId, events } of streams)
      if (events.length > 2)
        await store.append(streamId, events.slice(2).map(stamp), { expectedRevision: 1n });
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
    writer.apply(page);
    const once = dumpReadModel(db);
    writer.apply(page);
    // A fresh writer on the same file (a restart) applying it again changes nothing either.
    notificationsProjection.open(db, { readStream: (s) => store.readStream(s), store }).apply(page);
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
