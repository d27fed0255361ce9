import { AppendThrottle } from './append-throttle';

function harness(intervalMs = 10) {
  let now = 0;
  const wakes: bigint[] = [];
  const timers: { at: number; run: () => void }[] = [];
  const throttle = new AppendThrottle(
    (head) => wakes.push(head),
    intervalMs,
    () => now,
    (run, delayMs) => timers.push({ at: now + delayMs, run }),
  );
  /** Moves the clock on, firing the timers due by then. */
  const advance = (ms: number) => {
    now += ms;
    for (const timer of timers.filter((t) => t.at <= now)) {
      timers.splice(timers.indexOf(timer), 1);
      timer.run();
    }
  };
  return { throttle, wakes, timers, advance };
}

describe('AppendThrottle', () => {
  it('wakes at once for an append after a quiet spell', () => {
    const h = harness();
    h.throttle.notice(5n);
    expect(h.wakes).toEqual([5n]);
    h.advance(10);
    h.throttle.notice(6n);
    expect(h.wakes).toEqual([5n, 6n]);
    expect(h.timers).toEqual([]);
  });

  it('wakes once, for the furthest head, for appends that follow closely, when the interval is over', () => {
    const h = harness();
    h.throttle.notice(5n);
    h.advance(3);
    h.throttle.notice(7n);
    h.throttle.notice(9n);
    // Announcements may arrive out of order: the furthest one counts.
    h.throttle.notice(8n);
    expect(h.wakes).toEqual([5n]);
    h.advance(6);
    expect(h.wakes).toEqual([5n]);
    h.advance(1);
    expect(h.wakes).toEqual([5n, 9n]);
    // The interval runs from that wake-up: the next close append waits again.
    h.advance(4);
    h.throttle.notice(10n);
    expect(h.wakes).toEqual([5n, 9n]);
    h.advance(6);
    expect(h.wakes).toEqual([5n, 9n, 10n]);
  });
});
