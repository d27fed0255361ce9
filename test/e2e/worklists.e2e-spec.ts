import { type AppConfig, loadConfig } from '@carepath/runtime';
import { fakeClock } from '../support/fake-clock';
import { bodies, CHC, CHC2, HOSP, HOSP2, OTHER, seedAlliance, seedSecondCentre } from '../support/fixtures';
import { oweFollowUpAtCentre, proposeTransferToCentre } from '../support/process-fixtures';
import { writeAsProcess } from '../support/process-writes';
import { as, startTestApp, type TestApp } from '../support/test-app';

type Body = Record<string, any>;

/** A second community centre of the alliance CY-G1: its coordinators see escalations to the alliance. */
const AT = (day: number, hour: number, minute = 0) =>
  `2026-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00+08:00`;

/**
 * Worklists, the action-required list and patient search through the real app (issue 20, docs/worklists.md), on a
 * fake clock: "overdue" is the clock's now, and moving it moves the flags. The processes are off, so nothing but
 * this spec writes: what a process would write (an expiry with its escalation, a follow-up owed) is written here
 * through the app's one write path with the system role, as the process manager does. Both stores: the read model
 * follows the EventStoreDB adapter's subscription as it follows the embedded store.
 */
describe.each(['sqlite', 'esdb'] as const)('worklists (issue 20, %s store)', (store) => {
  let t: TestApp;
  const clock = fakeClock(AT(2, 12));
  let patients = 0;

  beforeAll(async () => {
    // PROCESSES=off where the configuration knows it: the deadline process would expire what this spec reads.
    const off = loadConfig({ PROCESSES: 'off' }) as unknown as Record<string, unknown>;
    const overrides = Object.fromEntries(
      Object.entries(off).filter(([key]) => key === 'processes'),
    ) as Partial<AppConfig>;
    t = await startTestApp(overrides, store, { clock });
    await seedAlliance(t);
    await seedSecondCentre(t);
  }, 60_000);
  afterAll(() => t.close());

  /** A write that waits until the read models have it. */
  const send = async (path: string, institution: string, body: Body, role = 'doctor') =>
    (
      await t
        .http()
        .post(path)
        .set(as(institution, role))
        .set('X-Consistency', 'projected')
        .send(body)
        .expect(201)
    ).body as Body;
  const open = async (institution = CHC, patientId = `pt-wl${String(++patients).padStart(6, '0')}`) => {
    const body = bodies.openJourney({ patientId, institutionId: institution, occurredAt: AT(2, 8) });
    return (await send('/journeys', institution, body)).journeyId as string;
  };
  const refer = async (journeyId: string, over: Body = {}, from = CHC, to = HOSP): Promise<string> =>
    (
      await send(
        `/journeys/${journeyId}/referrals`,
        from,
        bodies.referUp({ fromInstitutionId: from, toInstitutionId: to, occurredAt: AT(2, 9), ...over }),
      )
    ).referralId as string;
  const worklist = async (institution: string, query = '', role = 'coordinator', status = 200) =>
    (
      await t
        .http()
        .get(`/worklists/${institution}${query}`)
        .set(as(institution, role, `${role}-${institution.toLowerCase()}`))
        .expect(status)
    ).body as Body;
  const actionRequired = async (institution: string, role = 'coordinator') =>
    (await worklist(institution, '/action-required', role)).items as Body[];
  /** Admits the journey's patient at `institution` (the body names the ward); answers the admission's id. */
  const admit = async (journeyId: string, institution: string, body: Body) =>
    (await send(`/journeys/${journeyId}/admissions`, institution, { institutionId: institution, ...body }))
      .admissionId as string;
  const ids = (rows: Body[] | undefined) => (rows ?? []).map((r) => r.referralId as string);

  /** Waits until the worklist read model has applied everything written so far. */
  const caughtUp = () =>
    send(
      '/journeys',
      CHC,
      bodies.openJourney({
        patientId: `pt-sync${String(++patients).padStart(5, '0')}`,
        diagnosisCode: 'Z00.0',
        occurredAt: AT(2, 8),
      }),
    );

  describe('filters, order and paging', () => {
    const made: Record<string, string> = {};

    beforeAll(async () => {
      clock.set(AT(2, 12));
      for (const [name, over] of [
        ['routine', { priority: 'routine' }],
        ['urgentLate', { priority: 'urgent', occurredAt: AT(2, 10) }],
        ['urgentEarly', { priority: 'urgent', occurredAt: AT(2, 9) }],
        ['green', { priority: 'green-channel', occurredAt: AT(2, 9) }],
        ['neuro', { priority: 'urgent', department: 'neurology', occurredAt: AT(2, 11) }],
      ] as const)
        made[name] = await refer(await open(), over);
    }, 60_000);

    it('orders incoming referrals green channel, urgent, routine, then by deadline; overdue is the clock’s', async () => {
      const list = await worklist(HOSP);
      expect(ids(list.incomingReferrals)).toEqual([
        made.green,
        made.urgentEarly,
        made.urgentLate,
        made.neuro,
        made.routine,
      ]);
      expect(list.at).toBe(new Date(Date.parse(AT(2, 12))).toISOString());
      // Green channel: 2 hours from 09:00, so past at 12:00; the others are not due yet.
      expect(list.incomingReferrals.filter((r: Body) => r.overdue).map((r: Body) => r.referralId)).toEqual([
        made.green,
      ]);
      expect(ids((await worklist(HOSP, '?overdue=true')).incomingReferrals)).toEqual([made.green]);

      clock.set(AT(3, 9, 30));
      expect(ids((await worklist(HOSP, '?overdue=true')).incomingReferrals)).toEqual([
        made.green,
        made.urgentEarly,
      ]);
      clock.set(AT(2, 12));
    });

    it('filters by department, priority and status, and serves only the sections a filter applies to', async () => {
      const neuro = await worklist(HOSP, '?department=neurology');
      expect(ids(neuro.incomingReferrals)).toEqual([made.neuro]);
      expect(neuro).not.toHaveProperty('inpatients');
      expect(ids((await worklist(HOSP, '?priority=routine')).incomingReferrals)).toEqual([made.routine]);
      expect(ids((await worklist(HOSP, '?status=received')).incomingReferrals)).toEqual([]);
      const outgoing = await worklist(CHC, '?direction=outgoing&priority=urgent');
      expect(Object.keys(outgoing).sort()).toEqual([
        'at',
        'institutionId',
        'outgoingReferrals',
        'withUsUpstairs',
      ]);
      expect(ids(outgoing.outgoingReferrals).sort()).toEqual(
        [made.urgentEarly, made.urgentLate, made.neuro].sort(),
      );
    });

    it('pages a section with a stable order: a referral added between pages is neither repeated nor skipped', async () => {
      const whole = ids((await worklist(HOSP, '?section=incomingReferrals')).incomingReferrals);
      const first = await worklist(HOSP, '?section=incomingReferrals&limit=2');
      expect(ids(first.incomingReferrals)).toEqual(whole.slice(0, 2));
      // A new urgent referral that sorts after the page already served.
      const late = await refer(await open(), { priority: 'urgent', occurredAt: AT(2, 11, 30) });
      const served = ids(first.incomingReferrals);
      let next: string | null = first.next.incomingReferrals;
      while (next) {
        const page = await worklist(HOSP, `?limit=2&cursor=${next}`);
        expect(Object.keys(page).sort()).toEqual(['at', 'incomingReferrals', 'institutionId', 'next']);
        served.push(...ids(page.incomingReferrals));
        next = page.next.incomingReferrals;
      }
      const after = ids((await worklist(HOSP, '?section=incomingReferrals')).incomingReferrals);
      expect(served).toEqual(after);
      expect(after).toContain(late);
      expect(after.length).toBe(whole.length + 1);
    });

    it('refuses a bad filter or cursor with a 400 naming it', async () => {
      for (const [query, field] of [
        ['?limit=0', 'limit'],
        ['?limit=many', 'limit'],
        ['?priority=high', 'priority'],
        ['?overdue=yes', 'overdue'],
        ['?direction=up', 'direction'],
        ['?section=everything', 'section'],
        ['?department=a%20b', 'department'],
        ['?cursor=not%20one', 'cursor'],
        ['?cursor=bm9wZQ', 'cursor'],
      ] as const) {
        const res = await worklist(HOSP, query, 'coordinator', 400);
        expect([query, (res.message as string[]).join(' ')]).toEqual([query, expect.stringContaining(field)]);
      }
    });
  });

  describe('with us upstairs', () => {
    it('keeps the centre’s patient from the acceptance upstairs until they come back down', async () => {
      clock.set(AT(4, 12));
      const journeyId = await open();
      const referralId = await refer(journeyId, { occurredAt: AT(4, 9) });
      const upstairs = async () =>
        ((await worklist(CHC, '?section=withUsUpstairs')).withUsUpstairs as Body[]).filter(
          (r) => r.journeyId === journeyId,
        );
      expect(await upstairs()).toEqual([]);

      await send(`/journeys/${journeyId}/referrals/${referralId}/accept`, HOSP, { occurredAt: AT(4, 10) });
      expect(await upstairs()).toEqual([
        expect.objectContaining({
          referralId,
          referredToInstitutionId: HOSP,
          whereInstitutionId: HOSP,
          admitted: false,
          since: AT(4, 10),
        }),
      ]);

      const admissionId = await admit(journeyId, HOSP, { wardId: 'icu', referralId, occurredAt: AT(4, 11) });
      expect(await upstairs()).toEqual([
        expect.objectContaining({
          whereInstitutionId: HOSP,
          admitted: true,
          stayStatus: 'in-bed',
          wardId: 'icu',
        }),
      ]);

      const { referralId: down } = await send(
        `/journeys/${journeyId}/referrals`,
        HOSP,
        bodies.referUp({
          direction: 'down',
          fromInstitutionId: HOSP,
          toInstitutionId: CHC,
          department: 'rehabilitation',
          priority: 'routine',
          reasonCode: 'Z50.1',
          occurredAt: AT(4, 11, 30),
        }),
      );
      expect(await upstairs()).toEqual([expect.objectContaining({ returnReferralId: down })]);

      await send(`/journeys/${journeyId}/referrals/${down}/accept`, CHC, { occurredAt: AT(4, 11, 45) });
      expect(await upstairs()).toEqual([]);
      expect(
        ids((await worklist(CHC, '?section=expectedDownwardTransfers')).expectedDownwardTransfers),
      ).toContain(down);
      expect(admissionId).toEqual(expect.any(String));
    });
  });

  describe('action required', () => {
    it('keeps a rejected outgoing referral on the centre’s list until it is acknowledged', async () => {
      clock.set(AT(5, 12));
      const journeyId = await open();
      const referralId = await refer(journeyId, { occurredAt: AT(5, 9) });
      await send(`/journeys/${journeyId}/referrals/${referralId}/reject`, HOSP, {
        reason: 'not-indicated',
        occurredAt: AT(5, 10),
      });
      const item = (await actionRequired(CHC)).find((i) => i.referralId === referralId);
      expect(item).toMatchObject({
        kind: 'referral-rejected',
        journeyId,
        at: AT(5, 10),
        rejectionReason: 'not-indicated',
        action: 'acknowledge',
        clearedBy: `POST /journeys/${journeyId}/referrals/${referralId}/acknowledge`,
      });
      expect((await actionRequired(HOSP)).some((i) => i.referralId === referralId)).toBe(false);

      await send(
        `/journeys/${journeyId}/referrals/${referralId}/acknowledge`,
        CHC,
        { occurredAt: AT(5, 11) },
        'coordinator',
      );
      expect((await actionRequired(CHC)).some((i) => i.referralId === referralId)).toBe(false);
    });

    it('puts an expiry escalated to the alliance before its other coordinators, until acknowledged', async () => {
      clock.set(AT(6, 12));
      const journeyId = await open();
      const referralId = await refer(journeyId, { priority: 'green-channel', occurredAt: AT(6, 9) });
      await writeAsProcess(t, journeyId, HOSP, AT(6, 11), {
        type: 'ExpireReferral',
        data: { referralId, escalateToAllianceId: 'CY-G1' },
      });
      await caughtUp();
      const find = async (institution: string, role = 'coordinator') =>
        (await actionRequired(institution, role)).find((i) => i.referralId === referralId);
      expect(await find(CHC)).toMatchObject({ kind: 'referral-expired', escalatedToAllianceId: 'CY-G1' });
      expect(await find(CHC2)).toMatchObject({ kind: 'escalation', escalatedToAllianceId: 'CY-G1' });
      expect(await find(CHC2, 'doctor')).toBeUndefined();
      expect(await find(OTHER)).toBeUndefined();

      await send(
        `/journeys/${journeyId}/referrals/${referralId}/acknowledge`,
        CHC,
        { occurredAt: AT(6, 11, 30) },
        'coordinator',
      );
      expect(await find(CHC)).toBeUndefined();
      expect(await find(CHC2)).toBeUndefined();
    });

    it('shows an open transfer proposal to the hospital that decides and the centre that waits, until declined', async () => {
      clock.set(AT(9, 12));
      const journeyId = await open();
      const admissionId = await admit(journeyId, HOSP, { wardId: 'icu', occurredAt: AT(9, 8) });
      const surgery = { institutionId: HOSP, procedureCode: '36.10', occurredAt: AT(9, 9) };
      const { surgeryId } = await send(`/journeys/${journeyId}/surgeries`, HOSP, surgery);
      const proposalId = '5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
      await proposeTransferToCentre(t, journeyId, HOSP, AT(9, 10), surgeryId as string, proposalId);
      await caughtUp();
      const item = async (institution: string) =>
        (await actionRequired(institution)).find((i) => i.proposalId === proposalId);
      expect(await item(HOSP)).toMatchObject({
        kind: 'transfer-proposal',
        admissionId,
        at: AT(9, 10),
        action: 'accept-or-decline',
        clearedBy: `POST /journeys/${journeyId}/proposals/${proposalId}/{accept,decline}`,
      });
      expect(await item(CHC)).toMatchObject({ action: 'await-decision', clearedBy: null });
      const proposed = async (institution: string, direction: string) =>
        ((await worklist(institution, `?direction=${direction}`)).proposedDownwardTransfers as Body[]).map(
          (p) => [p.proposalId, p.side],
        );
      expect(await proposed(HOSP, 'outgoing')).toEqual([[proposalId, 'outgoing']]);
      expect(await proposed(CHC, 'incoming')).toEqual([[proposalId, 'incoming']]);
      expect(await proposed(CHC, 'outgoing')).toEqual([]);

      await send(`/journeys/${journeyId}/proposals/${proposalId}/decline`, HOSP, {
        reason: 'not-stable',
        occurredAt: AT(9, 11),
      });
      expect(await item(HOSP)).toBeUndefined();
      expect(await item(CHC)).toBeUndefined();
    });

    it('lists a follow-up once past due by the clock, and it shows among the follow-ups due before then', async () => {
      clock.set(AT(7, 12));
      const journeyId = await open();
      const admissionId = await admit(journeyId, CHC, { wardId: 'rehab', occurredAt: AT(7, 9) });
      const home = { disposition: 'home', occurredAt: AT(7, 10) };
      await send(`/journeys/${journeyId}/admissions/${admissionId}/discharge`, CHC, home);
      const followUpId = '0b7e6f9e-5c3a-4f4e-9a55-6f1c2d3e4a5b';
      const owed = { admissionId, dueBy: AT(14, 10) };
      await oweFollowUpAtCentre(t, journeyId, CHC, AT(7, 10), owed, followUpId);
      await caughtUp();
      const due = (await worklist(CHC, '?section=followUpsDue')).followUpsDue as Body[];
      expect(due.find((f) => f.followUpId === followUpId)).toMatchObject({
        dueBy: AT(14, 10),
        overdue: false,
      });
      expect((await actionRequired(CHC)).some((i) => i.followUpId === followUpId)).toBe(false);

      clock.set(AT(15, 9));
      expect((await actionRequired(CHC)).find((i) => i.followUpId === followUpId)).toMatchObject({
        kind: 'follow-up-overdue',
        at: AT(14, 10),
        action: 'complete-follow-up',
        clearedBy: `POST /journeys/${journeyId}/follow-ups/${followUpId}/complete`,
      });
      clock.set(AT(7, 12));
    });
  });

  describe('patient search', () => {
    const patientId = 'pt-search0001';
    const journeys: Record<string, string> = {};
    const search = (
      institution: string,
      role = 'doctor',
      reason: string | null = 'treatment',
      id = patientId,
    ) => {
      const req = t
        .http()
        .get(`/journeys?patientId=${encodeURIComponent(id)}`)
        .set(as(institution, role, `${role}-${institution.toLowerCase()}`));
      return reason === null ? req : req.set('X-Access-Reason', reason);
    };
    /** Search disclosures of a journey in the access log, by role (and institution). */
    const searchesOf = async (journeyId: string, role: string, institution?: string) =>
      (
        (
          await t
            .http()
            .get(`/audit/access?journeyId=${journeyId}`)
            .set(as(HOSP, 'auditor', 'auditor-hosp'))
            .expect(200)
        ).body.records as Body[]
      )
        .filter(
          (r) =>
            r.resource === 'search' &&
            r.actorRole === role &&
            (institution === undefined || r.institutionId === institution),
        )
        .map((r) => [r.institutionId, r.reason, r.basis, r.flagged]);
    const found = async (institution: string, role = 'doctor') =>
      ((await search(institution, role).expect(200)).body.journeys as Body[]).map((j) => [
        j.journeyId,
        j.basis,
      ]);

    beforeAll(async () => {
      clock.set(AT(8, 12));
      journeys.centre = await open(CHC, patientId);
      await refer(journeys.centre, { occurredAt: AT(8, 9) });
      journeys.elsewhere = await open(OTHER, patientId);
    }, 60_000);

    it('answers the journeys the reader’s institution takes part in, and nothing to one that takes part in none', async () => {
      expect(await found(CHC)).toEqual([[journeys.centre, 'care-relationship']]);
      expect(await found(HOSP)).toEqual([[journeys.centre, 'care-relationship']]);
      expect(await found(OTHER)).toEqual([[journeys.elsewhere, 'care-relationship']]);
      expect(await found(HOSP2)).toEqual([]);
      expect((await found(HOSP, 'auditor')).sort()).toEqual(
        [
          [journeys.centre, 'audit'],
          [journeys.elsewhere, 'audit'],
        ].sort(),
      );
      expect((await search(CHC, 'doctor', 'treatment', 'pt-nobody0001').expect(200)).body).toEqual({
        patientId: 'pt-nobody0001',
        journeys: [],
      });
    });

    it('writes each disclosure to the access log, and none for what it left out', async () => {
      await search(HOSP2, 'nurse', 'care-coordination').expect(200);
      await search(CHC, 'nurse', 'care-coordination').expect(200);
      expect(await searchesOf(journeys.centre!, 'nurse')).toEqual([
        [CHC, 'care-coordination', 'care-relationship', false],
      ]);
      expect(await searchesOf(journeys.elsewhere!, 'nurse')).toEqual([]);
    });

    it('breaks the glass only with the reason emergency and a justification, flagged', async () => {
      const res = await search(HOSP2, 'doctor', 'emergency')
        .set('X-Access-Justification', 'ED-2026-0042')
        .expect(200);
      expect((res.body.journeys as Body[]).map((j) => j.basis)).toEqual(['break-glass', 'break-glass']);
      for (const journeyId of [journeys.centre!, journeys.elsewhere!])
        expect(await searchesOf(journeyId, 'doctor', HOSP2)).toEqual([
          [HOSP2, 'emergency', 'break-glass', true],
        ]);
      await search(HOSP2, 'doctor', 'emergency').expect(400);
    });

    it('refuses a bad id or a missing reason with a 400 naming it', async () => {
      for (const [id, reason, field] of [
        ['13812345678', 'treatment', 'patientId'],
        ['short', 'treatment', 'patientId'],
        ['', 'treatment', 'patientId'],
        [patientId, null, 'X-Access-Reason'],
      ] as const) {
        const res = await search(CHC, 'doctor', reason, id).expect(400);
        expect([id, (res.body.message as string[]).join(' ')]).toEqual([id, expect.stringContaining(field)]);
      }
      await t.http().get('/journeys').set(as(CHC)).set('X-Access-Reason', 'treatment').expect(400);
    });
  });
});
