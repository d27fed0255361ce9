import Database from 'better-sqlite3';
import { DomainError, type InstitutionSnapshot } from '@carepath/domain';
import { type ProcessActionRow, processActionsTable, sqliteReader } from '@carepath/projections';
import { type AppConfig, DEFAULT_PROCESS_CONFIG, loadConfig } from '@carepath/runtime';
import { fakeClock } from '../../../../test/support/fake-clock';
import { PAGE_WAKE_MS, ProcessManager, type ProcessPorts } from './process-manager';
import type { PlannedAct, ProcessName } from './process-plans';

/*
 * The manager with a fake clock, a scheduler the spec fires itself, and ports over an in-memory read model: when
 * does it act, how does it count, what does it arm next. Nothing sleeps.
 */
const HOSP: InstitutionSnapshot = {
  institutionId: 'HOSP-CY-01',
  tier: 'tertiary',
  allianceId: 'CY-G1',
  regionCode: '110105',
};
const CHC: InstitutionSnapshot = { ...HOSP, institutionId: 'CHC-CY-01', tier: 'community' };
const REQUESTED = '2026-03-01T10:00:00+08:00';
const DEADLINE = '2026-03-02T10:00:00+08:00';

const referralRows = (referralId: string): ProcessActionRow[] =>
  (['referral-reminder', 'referral-expiry'] as const).map((kind) => ({
    actionId: `${kind}:${referralId}`,
    kind,
    journeyId: 'j-1',
    subjectId: referralId,
    patientId: 'pt-7f3a9c21',
    residenceRegion: '110105',
    institutionId: CHC.institutionId,
    institutionTier: 'community',
    institutionAllianceId: 'CY-G1',
    counterpartId: HOSP.institutionId,
    counterpartAllianceId: 'CY-G1',
    priority: 'urgent',
    startAt: REQUESTED,
    startMs: Date.parse(REQUESTED),
    deadline: DEADLINE,
    deadlineMs: Date.parse(DEADLINE),
    recordedMs: null,
    admissionId: null,
    afterSurgery: false,
    referringCentreId: CHC.institutionId,
    referringCentreAllianceId: 'CY-G1',
    notBeforeMs: null,
  }));

interface Harness {
  readonly manager: ProcessManager;
  readonly clock: ReturnType<typeof fakeClock>;
  readonly acts: { key: string; process: ProcessName; plan: PlannedAct }[];
  /** Timers armed and not yet fired or cancelled, with their delay. */
  readonly timers: { delayMs: number; fire: () => void; cancelled: boolean }[];
  readonly db: Database.Database;
  /** What `act` does next (default: append, i.e. resolve not replayed). */
  behaviour: (key: string) => Promise<{ replayed: boolean }>;
  /** The read model applies everything appended so far, and the wait for the next page resolves. */
  pageApplied: () => void;
  /** The read model's state as GET /projections reports it, and how many events others appended it has not applied. */
  model: { state: string; lag: bigint };
}

function harness(rows: ProcessActionRow[], enabled = true, leased = false): Harness {
  const db = new Database(':memory:');
  db.exec(processActionsTable.create);
  db.exec('CREATE TABLE checkpoint (id INTEGER PRIMARY KEY, position INTEGER NOT NULL)');
  db.exec('INSERT INTO checkpoint (id, position) VALUES (1, 7)');
  let head = 7n;
  const insert = db.prepare(processActionsTable.insert);
  for (const row of rows) insert.run(processActionsTable.encode(row));
  const clock = fakeClock('2026-03-01T10:00:00+08:00');
  const defaults = loadConfig({});
  const config: AppConfig = {
    ...defaults,
    processes: { ...DEFAULT_PROCESS_CONFIG, enabled },
    dutyLeases: leased
      ? { connectionString: 'postgres://unused', ttlMs: 15_000, schema: 'carepath_duties', holder: 'api-a' }
      : null,
  };
  let page: (() => void) | null = null;
  const h: Harness = {
    clock,
    db,
    acts: [],
    timers: [],
    behaviour: () => Promise.resolve({ replayed: false }),
    pageApplied: () => {
      head += h.model.lag;
      h.model.lag = 0n;
      db.prepare('UPDATE checkpoint SET position = ?').run(head);
      page?.();
    },
    manager: null as unknown as ProcessManager,
    model: { state: 'live', lag: 0n },
  };
  const ports: ProcessPorts = {
    inProcess: true,
    reader: () => sqliteReader(db),
    checkpoint: () =>
      Promise.resolve({
        position: String(head),
        headPosition: String(head + h.model.lag),
        lag: String(h.model.lag),
        state: h.model.state,
      }),
    advancedPast: (after) =>
      new Promise((resolve) => {
        page = () => resolve(after + 1n);
      }),
    institutions: () => [HOSP, CHC],
    contractOn: () => Promise.resolve(null),
    act: (_row, process, plan, key) => {
      h.acts.push({ key, process, plan });
      return h.behaviour(key).then(({ replayed }) => ({ replayed, position: ++head }));
    },
  };
  const schedule = (fire: () => void, delayMs: number) => {
    // A timer fired is no longer armed.
    const timer = {
      delayMs,
      fire: () => {
        timer.cancelled = true;
        fire();
      },
      cancelled: false,
    };
    h.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  };
  (h as { manager: ProcessManager }).manager = new ProcessManager(config, clock, schedule, ports);
  return h;
}

const armed = (h: Harness) => h.timers.filter((t) => !t.cancelled).map((t) => t.delayMs);
const status = async (h: Harness) => (await h.manager.status()).find((s) => s.name === 'referral-deadlines')!;

describe('process manager', () => {
  it('arms a timer to the next due time by its clock, and acts when it fires, once per act', async () => {
    const h = harness(referralRows('r-1'));
    h.manager.onApplicationBootstrap();
    await h.manager.runDue();
    expect(h.acts).toEqual([]);
    // The reminder is due at 80% of 24 h, at 05:12 the next day: a far timer is re-armed every 15 minutes at most.
    expect(armed(h)).toEqual([15 * 60_000]);
    h.clock.set('2026-03-02T05:00:00+08:00');
    await h.manager.runDue();
    expect(armed(h)).toEqual([12 * 60_000]);

    h.clock.set('2026-03-02T05:12:00+08:00');
    await h.manager.runDue();
    expect(h.acts.map((a) => a.key)).toEqual(['process:referral-reminder:r-1']);
    expect(h.acts[0]!.plan).toEqual({
      command: { type: 'RemindReferral', data: { referralId: 'r-1' } },
      occurredAt: '2026-03-02T05:12:00+08:00',
    });
    // Its row stays until the read model applies the event: no pass acts on it again before that.
    await h.manager.runDue();
    expect(h.acts).toHaveLength(1);
    h.db.prepare("DELETE FROM process_actions WHERE kind = 'referral-reminder'").run();
    h.pageApplied();
    await new Promise<void>((resolve) => setImmediate(resolve));
    await h.manager.runDue();
    expect(h.acts).toHaveLength(1);
    // The next timer is the deadline, 4 h 48 min on (15 minutes at most at a time).
    expect(armed(h)).toEqual([15 * 60_000]);
    await h.manager.onApplicationShutdown();
  });

  it('expires rather than reminds a referral whose deadline passed while it was down', async () => {
    const h = harness(referralRows('r-1'));
    h.clock.set('2026-03-03T10:00:00+08:00');
    h.manager.onApplicationBootstrap();
    await h.manager.runDue();
    expect(h.acts.map((a) => a.key)).toEqual(['process:referral-expiry:r-1']);
    expect(h.acts[0]!.plan).toEqual({
      command: { type: 'ExpireReferral', data: { referralId: 'r-1', escalateToAllianceId: 'CY-G1' } },
      occurredAt: DEADLINE,
    });
    expect((await status(h)).acted).toBe(1);
    await h.manager.onApplicationShutdown();
  });

  it('counts a replay and an "already done" refusal apart from failures', async () => {
    const h = harness([...referralRows('r-1'), ...referralRows('r-2')]);
    h.clock.set('2026-03-03T10:00:00+08:00');
    h.behaviour = (key) =>
      key.endsWith('r-1')
        ? Promise.resolve({ replayed: true })
        : Promise.reject(new DomainError('REFERRAL_INVALID_TRANSITION', 'accepted meanwhile'));
    h.manager.onApplicationBootstrap();
    await h.manager.runDue();
    await h.manager.runDue();
    expect(await status(h)).toMatchObject({ acted: 0, replayed: 1, settled: 1, failed: 0, lastError: null });
    await h.manager.onApplicationShutdown();
  });

  it('given a refusal as settled that the read model does not clear once applied, then it counts it skipped, with the reason', async () => {
    const h = harness(referralRows('r-1'));
    h.clock.set('2026-03-03T10:00:00+08:00');
    h.behaviour = () => Promise.reject(new DomainError('REFERRAL_INVALID_TRANSITION', 'expired meanwhile'));
    // Someone's decision was appended and the model has not applied it yet.
    h.model.lag = 3n;
    h.manager.onApplicationBootstrap();
    await h.manager.runDue();
    // A first refusal is the read model lagging: not asked again before it moves.
    expect(await status(h)).toMatchObject({ settled: 1, skipped: 0, dueNow: 1 });
    await h.manager.runDue();
    expect(h.acts).toHaveLength(1);
    // The model applied the log up to the refusal and still owes the act: a disagreement, said so, not a silent loop.
    h.pageApplied();
    await h.manager.runDue();
    expect(h.acts).toHaveLength(2);
    expect(await status(h)).toMatchObject({
      settled: 2,
      skipped: 1,
      lastSkipReason: expect.stringContaining('REFERRAL_INVALID_TRANSITION'),
    });
    await h.manager.onApplicationShutdown();
  });

  it('given a read model catching up from far behind, then it acts on nothing until it is live', async () => {
    const h = harness(referralRows('r-1'));
    h.clock.set('2026-03-03T10:00:00+08:00');
    h.model = { state: 'catching-up', lag: 5_000n };
    h.manager.onApplicationBootstrap();
    await h.manager.runDue();
    expect(h.acts).toEqual([]);
    expect(armed(h)).toEqual([1_000]);
    h.model = { state: 'live', lag: 0n };
    await h.manager.runDue();
    expect(h.acts.map((a) => a.key)).toEqual(['process:referral-expiry:r-1']);
    await h.manager.onApplicationShutdown();
  });

  it('logs and counts any other failure, keeps the app up, and retries it after a backoff', async () => {
    const h = harness(referralRows('r-1'));
    h.clock.set('2026-03-03T10:00:00+08:00');
    h.behaviour = () => Promise.reject(Object.assign(new Error('store busy'), { code: 'STORE_BUSY' }));
    h.manager.onApplicationBootstrap();
    await h.manager.runDue();
    expect(await status(h)).toMatchObject({
      acted: 0,
      failed: 1,
      dueNow: 1,
      lastError: { message: 'store busy', code: 'STORE_BUSY', actionId: 'referral-expiry:r-1' },
    });
    // Retried after the backoff (1 s), not at every pass before it.
    expect(armed(h)).toEqual([1_000]);
    await h.manager.runDue();
    expect(h.acts).toHaveLength(1);
    h.behaviour = () => Promise.resolve({ replayed: false });
    h.clock.advance({ seconds: 1 });
    const timer = h.timers.find((t) => !t.cancelled)!;
    timer.fire();
    await h.manager.runDue();
    expect(h.acts).toHaveLength(2);
    expect(await status(h)).toMatchObject({ acted: 1, failed: 1 });
    await h.manager.onApplicationShutdown();
  });

  it('wakes on the pages the read model applies, one pass for the pages of a short while', async () => {
    const h = harness([]);
    h.clock.set('2026-03-03T10:00:00+08:00');
    h.manager.onApplicationBootstrap();
    await h.manager.runDue();
    expect(armed(h)).toEqual([]);
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    // A discharge's follow-up row arrives with a page: due at once, acted on by the pass the page wakes.
    const insert = h.db.prepare(processActionsTable.insert);
    const [expiry] = referralRows('r-9').filter((r) => r.kind === 'referral-expiry');
    insert.run(processActionsTable.encode(expiry!));
    h.pageApplied();
    await turn();
    expect(armed(h)).toEqual([PAGE_WAKE_MS]);
    // A second page before that pass: the same pass.
    h.pageApplied();
    await turn();
    expect(armed(h)).toEqual([PAGE_WAKE_MS]);
    expect(h.acts).toEqual([]);
    h.timers.find((t) => !t.cancelled)!.fire();
    await turn();
    expect(h.acts.map((a) => a.key)).toEqual(['process:referral-expiry:r-9']);
    // A pass run for another reason takes the place of a wake-up still waiting.
    h.pageApplied();
    await turn();
    expect(armed(h)).toEqual([PAGE_WAKE_MS]);
    await h.manager.runDue();
    expect(armed(h)).toEqual([]);
    await h.manager.onApplicationShutdown();
  });

  it('counts a proposal it cannot make as skipped, with the reason, and acts on the rest', async () => {
    const [expiry] = referralRows('r-1').filter((r) => r.kind === 'referral-expiry');
    const orphan: ProcessActionRow = {
      ...expiry!,
      actionId: 'transfer-proposal:s-1',
      kind: 'transfer-proposal',
      subjectId: 's-1',
      institutionId: 'HOSP-XX-01',
      institutionTier: 'tertiary',
      // A hospital in no alliance, a patient with no family doctor: no community centre to propose to.
      institutionAllianceId: null,
      referringCentreId: null,
      startAt: REQUESTED,
      startMs: Date.parse(REQUESTED),
      deadline: null,
      deadlineMs: null,
      admissionId: 'a-1',
      afterSurgery: true,
    };
    const h = harness([orphan, expiry!]);
    h.clock.set('2026-03-05T10:00:00+08:00');
    h.manager.onApplicationBootstrap();
    await h.manager.runDue();
    expect(h.acts.map((a) => a.key)).toEqual(['process:referral-expiry:r-1']);
    const proposals = (await h.manager.status()).find((s) => s.name === 'transfer-proposals')!;
    expect(proposals).toMatchObject({
      acted: 0,
      failed: 0,
      skipped: 1,
      dueNow: 1,
      lastSkipReason: expect.stringContaining('no community centre'),
    });
    await h.manager.onApplicationShutdown();
  });

  it('given duty leases, then it acts only between the start and the stop its lease drives, and not while its lease may be lost', async () => {
    const h = harness([...referralRows('r-1'), ...referralRows('r-2')], true, true);
    h.clock.set('2026-03-03T10:00:00+08:00');
    h.manager.onApplicationBootstrap();
    await h.manager.runDue();
    expect(h.acts).toEqual([]);
    expect((await status(h)).running).toBe(false);

    // Won the lease; after the first act its renewal is late: the second waits, looked at again in a second.
    let held = true;
    h.behaviour = () => {
      held = false;
      return Promise.resolve({ replayed: false });
    };
    h.manager.start(() => held);
    await h.manager.runDue();
    expect(h.acts.map((a) => a.key)).toEqual(['process:referral-expiry:r-1']);
    expect(armed(h)).toEqual([1_000]);

    // Renewed: the next pass acts on the rest.
    held = true;
    h.behaviour = () => Promise.resolve({ replayed: false });
    await h.manager.runDue();
    expect(h.acts.map((a) => a.key)).toEqual(['process:referral-expiry:r-1', 'process:referral-expiry:r-2']);

    // Lost: stopped, it acts no more and arms nothing.
    await h.manager.stop();
    expect((await status(h)).running).toBe(false);
    h.db.prepare('DELETE FROM process_actions').run();
    for (const row of referralRows('r-3'))
      h.db.prepare(processActionsTable.insert).run(processActionsTable.encode(row));
    h.pageApplied();
    await new Promise<void>((resolve) => setImmediate(resolve));
    await h.manager.runDue();
    expect(h.acts).toHaveLength(2);
    expect(armed(h)).toEqual([]);
  });

  it('does nothing when PROCESSES=off', async () => {
    const h = harness(referralRows('r-1'), false);
    h.clock.set('2026-03-03T10:00:00+08:00');
    h.manager.onApplicationBootstrap();
    await h.manager.runDue();
    expect(h.acts).toEqual([]);
    expect(h.timers).toEqual([]);
  });
});
