/**
 * Wakes the projection thread's runners for announced appends at most once per `intervalMs`: an append after a quiet
 * spell wakes them at once; appends that follow it closely wait for the rest of that time and wake them once, for
 * the furthest head announced. Each wake-up is a page, and each page a transaction per projection: at 1,000
 * commands/s evenly paced a page per command cost the thread more than the commands' own rows did
 * (docs/benchmarks.md, "HTTP commands"). Under such a load the read models lag by up to `intervalMs` more.
 */
export class AppendThrottle {
  private lastWake = Number.NEGATIVE_INFINITY;
  private pending: { head: bigint } | null = null;

  constructor(
    private readonly wake: (head: bigint) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly later: (run: () => void, delayMs: number) => void = (run, delayMs) => {
      setTimeout(run, delayMs);
    },
  ) {}

  /** The log has grown to `head`. */
  notice(head: bigint): void {
    if (this.pending) {
      if (head > this.pending.head) this.pending.head = head;
      return;
    }
    const wait = this.lastWake + this.intervalMs - this.now();
    if (wait <= 0) {
      this.wakeFor(head);
      return;
    }
    const pending = { head };
    this.pending = pending;
    this.later(() => {
      this.pending = null;
      this.wakeFor(pending.head);
    }, wait);
  }

  private wakeFor(head: bigint): void {
    this.lastWake = this.now();
    this.wake(head);
  }
}
