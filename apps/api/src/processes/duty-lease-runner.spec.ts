import type { Lease, ProjectionLeases, RoundScheduler } from '@carepath/runtime';
import { DutyLeaseRunner, type DutyWork } from './duty-lease-runner';

/*
 * The duty runner against leases kept in memory, with the database's clock and each replica's monotonic clock moved
 * by the spec and the rounds run by the spec: no timer and no sleep.
 */

const TTL = 3_000;

/** PgProjectionLeases' rules (take when free, expired or one's own; renew under the same fence) on a fake clock. */
class MemoryLeases implements Pick<ProjectionLeases, 'acquire' | 'renew' | 'release'> {
  dbNow = 0;
  unreachable = false;
  private readonly rows = new Map<string, { holder: string | null; fence: number; expiresAt: number }>();

  acquire(projection: string, holder: string): Promise<Lease | null> {
    if (this.unreachable) return Promise.reject(new Error('connection refused'));
    const row = this.rows.get(projection);
    if (row && row.holder !== null && row.expiresAt > this.dbNow && row.holder !== holder)
      return Promise.resolve(null);
    const kept = row && row.holder === holder && row.expiresAt > this.dbNow;
    const fence = row ? (kept ? row.fence : row.fence + 1) : 1;
    this.rows.set(projection, { holder, fence, expiresAt: this.dbNow + TTL });
    return Promise.resolve({ projection, holder, fence });
  }

  renew(lease: Lease): Promise<boolean> {
    if (this.unreachable) return Promise.reject(new Error('connection refused'));
    const row = this.rows.get(lease.projection);
    if (!row || row.holder !== lease.holder || row.fence !== lease.fence || row.expiresAt <= this.dbNow)
      return Promise.resolve(false);
    row.expiresAt = this.dbNow + TTL;
    return Promise.resolve(true);
  }

  release(lease: Lease): Promise<void> {
    const row = this.rows.get(lease.projection);
    if (row && row.holder === lease.holder && row.fence === lease.fence) {
      row.holder = null;
      row.expiresAt = 0;
    }
    return Promise.resolve();
  }
}

/** A duty that counts its starts and stops and says whether it runs. */
class CountingWork implements DutyWork {
  running = false;
  starts = 0;
  stops = 0;
  failStart = false;
  /** What the duty asks before each act. */
  held: () => boolean = () => false;
  start(held: () => boolean): void {
    if (this.failStart) throw new Error('no read model');
    this.starts++;
    this.running = true;
    this.held = held;
  }
  stop(): Promise<void> {
    this.stops++;
    this.running = false;
    return Promise.resolve();
  }
}

describe('DutyLeaseRunner', () => {
  const quiet = { log: () => undefined, error: () => undefined };
  const scheduled: { delayMs: number; cancelled: boolean }[] = [];
  const schedule: RoundScheduler = (_run, delayMs) => {
    const entry = { delayMs, cancelled: false };
    scheduled.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  };

  const replica = (leases: MemoryLeases, holder: string, clock: { ms: number }) => {
    const work = new CountingWork();
    const runner = new DutyLeaseRunner(leases, holder, 'duty:webhook-delivery', work, {
      ttlMs: TTL,
      logger: quiet,
      now: () => clock.ms,
      schedule,
    });
    return { work, runner };
  };

  it('given two replicas competing, when both run a round, then exactly one holds the duty and runs it', async () => {
    const leases = new MemoryLeases();
    const a = replica(leases, 'api-a', { ms: 0 });
    const b = replica(leases, 'api-b', { ms: 0 });

    await Promise.all([a.runner.tick(), b.runner.tick()]);
    await Promise.all([a.runner.tick(), b.runner.tick()]);

    expect([a.runner.holding, b.runner.holding]).toEqual([true, false]);
    expect([a.work.running, b.work.running]).toEqual([true, false]);
    expect(b.work.starts).toBe(0);
    expect(a.runner.fence).toBe(1);
  });

  it('given start(), then the next round is scheduled a third of the TTL later, and stop() cancels it', async () => {
    scheduled.length = 0;
    const leases = new MemoryLeases();
    const a = replica(leases, 'api-a', { ms: 0 });

    await a.runner.start();
    expect(scheduled.map((s) => s.delayMs)).toEqual([1_000]);
    await a.runner.stop();
    expect(scheduled[0]!.cancelled).toBe(true);
  });

  it('given the holder dies (no renewal), when the TTL passes on the database clock, then the other replica takes the duty with a new fence', async () => {
    const leases = new MemoryLeases();
    const a = replica(leases, 'api-a', { ms: 0 });
    const b = replica(leases, 'api-b', { ms: 0 });
    await a.runner.tick();

    leases.dbNow = TTL - 1;
    await b.runner.tick();
    expect(b.runner.holding).toBe(false);

    leases.dbNow = TTL;
    await b.runner.tick();
    expect(b.runner.holding).toBe(true);
    expect(b.work.running).toBe(true);
    expect(b.runner.fence).toBe(2);
  });

  it('given a holder whose lease was taken meanwhile, when its renewal is refused, then it stops the duty in that round', async () => {
    const leases = new MemoryLeases();
    const clockA = { ms: 0 };
    const a = replica(leases, 'api-a', clockA);
    const b = replica(leases, 'api-b', { ms: 0 });
    await a.runner.tick();
    // A paused for longer than the TTL (a long GC, a frozen VM): its lease expired and B took it.
    leases.dbNow = TTL + 1;
    await b.runner.tick();
    expect(b.runner.holding).toBe(true);

    await a.runner.tick();

    expect(a.runner.holding).toBe(false);
    expect(a.work).toMatchObject({ running: false, stops: 1 });
    expect(b.work.running).toBe(true);
  });

  it('given the database out of reach, then the holder stops the duty once 3/4 of the TTL pass without a renewal, before another may take it', async () => {
    const leases = new MemoryLeases();
    const clockA = { ms: 0 };
    const a = replica(leases, 'api-a', clockA);
    await a.runner.tick();
    leases.unreachable = true;

    clockA.ms = TTL * 0.75 - 1;
    await a.runner.tick();
    expect(a.work.running).toBe(true);

    clockA.ms = TTL * 0.75 + 1;
    await a.runner.tick();
    expect(a.runner.holding).toBe(false);
    expect(a.work.running).toBe(false);
  });

  it('given a holder paused past 3/4 of the TTL, then the guard its duty asks before each act says no before any round runs, and yes again once renewed', async () => {
    const leases = new MemoryLeases();
    const clockA = { ms: 0 };
    const a = replica(leases, 'api-a', clockA);
    await a.runner.tick();
    expect(a.work.held()).toBe(true);

    clockA.ms = TTL * 0.75 + 1;
    expect(a.work.held()).toBe(false);

    // Not lost after all (the database's clock had not passed the expiry): the round renews it.
    leases.dbNow = TTL - 1;
    await a.runner.tick();
    expect(a.runner.holding).toBe(true);
    expect(a.work.held()).toBe(true);
  });

  it('given the holder shuts down, then it stops the duty and releases the lease, and the other takes it at its next round, before the TTL', async () => {
    const leases = new MemoryLeases();
    const a = replica(leases, 'api-a', { ms: 0 });
    const b = replica(leases, 'api-b', { ms: 0 });
    await a.runner.tick();
    await b.runner.tick();
    expect(b.runner.holding).toBe(false);

    await a.runner.stop();
    expect(a.work).toMatchObject({ running: false, stops: 1 });
    await b.runner.tick();

    expect(b.runner.holding).toBe(true);
    expect(b.work.running).toBe(true);
    // Stopped, A takes nothing again.
    await a.runner.tick();
    expect(a.runner.holding).toBe(false);
  });

  it('given the duty fails to start, then its lease is given back for another replica', async () => {
    const leases = new MemoryLeases();
    const a = replica(leases, 'api-a', { ms: 0 });
    const b = replica(leases, 'api-b', { ms: 0 });
    a.work.failStart = true;

    await a.runner.tick();
    await b.runner.tick();

    expect(a.runner.holding).toBe(false);
    expect(b.runner.holding).toBe(true);
  });
});
