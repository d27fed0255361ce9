import { LeaseHolder, type RoundScheduler, timerScheduler } from './lease-holder';

/*
 * A holder whose rounds the spec ends, with a scheduler the spec holds: what was scheduled, after how long, and
 * whether it was cancelled. The spec runs what was scheduled itself: no timer and no sleep.
 */

interface Scheduled {
  readonly run: () => void;
  readonly delayMs: number;
  cancelled: boolean;
}

/** Counts its rounds; each ends when the spec says, or at once when `instant`. */
class SpecHolder extends LeaseHolder {
  calls = 0;
  private finish: (() => void) | null = null;
  constructor(
    ttlMs: number,
    schedule: RoundScheduler,
    private readonly instant = false,
  ) {
    super(ttlMs, schedule);
  }
  get isStopped(): boolean {
    return this.stopped;
  }
  end(): void {
    this.finish?.();
    this.finish = null;
  }
  protected round(): Promise<void> {
    this.calls++;
    if (this.instant) return Promise.resolve();
    return new Promise((resolve) => (this.finish = resolve));
  }
}

describe('LeaseHolder', () => {
  const scheduler = () => {
    const scheduled: Scheduled[] = [];
    const schedule: RoundScheduler = (run, delayMs) => {
      const entry = { run, delayMs, cancelled: false };
      scheduled.push(entry);
      return { cancel: () => void (entry.cancelled = true) };
    };
    return { scheduled, schedule };
  };

  it('given start(), then a round runs now and the next is scheduled a third of the TTL after it ends', async () => {
    const { scheduled, schedule } = scheduler();
    const holder = new SpecHolder(3_001, schedule);

    const started = holder.start();
    expect(holder.calls).toBe(1);
    expect(scheduled).toHaveLength(0);
    holder.end();
    await started;

    expect(scheduled.map((s) => s.delayMs)).toEqual([1_000]);
    scheduled[0]!.run();
    expect(holder.calls).toBe(2);
  });

  it('given a TTL under 300 ms, then rounds are still 100 ms apart at the least', async () => {
    const { scheduled, schedule } = scheduler();
    const holder = new SpecHolder(150, schedule, true);

    await holder.start();

    expect(scheduled.map((s) => s.delayMs)).toEqual([100]);
  });

  it('given a round under way, when another tick comes, then it joins that round rather than running a second', async () => {
    const holder = new SpecHolder(3_000, scheduler().schedule);

    const first = holder.tick();
    const second = holder.tick();
    expect(holder.calls).toBe(1);
    holder.end();
    await Promise.all([first, second]);

    const after = holder.tick();
    expect(holder.calls).toBe(2);
    holder.end();
    await after;
  });

  it('given stop() during a round, then it waits for that round, cancels the next and schedules no more', async () => {
    const { scheduled, schedule } = scheduler();
    const holder = new SpecHolder(3_000, schedule);
    const started = holder.start();
    holder.end();
    await started;
    scheduled[0]!.run();
    expect(holder.calls).toBe(2);

    let stopped = false;
    const stopping = holder.stop().then(() => (stopped = true));
    expect(holder.isStopped).toBe(true);
    await Promise.resolve();
    expect(stopped).toBe(false);
    holder.end();
    await stopping;

    expect(scheduled.map((s) => s.cancelled)).toEqual([true]);
  });

  it('given the timer scheduler, then only the one that keeps the process alive leaves its timer referenced', () => {
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const clearTimeoutSpy = jest.spyOn(global, 'clearTimeout');
    try {
      const kept = timerScheduler({ keepAlive: true })(() => undefined, 60_000);
      const unref = timerScheduler({ keepAlive: false })(() => undefined, 60_000);
      const timers = setTimeoutSpy.mock.results.map((r) => r.value as NodeJS.Timeout);
      expect(timers.map((t) => t.hasRef())).toEqual([true, false]);

      kept.cancel();
      unref.cancel();
      expect(clearTimeoutSpy.mock.calls).toEqual([[timers[0]], [timers[1]]]);
    } finally {
      setTimeoutSpy.mockRestore();
      clearTimeoutSpy.mockRestore();
    }
  });
});
