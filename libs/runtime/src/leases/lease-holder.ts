/** Schedules the next round; injectable so that specs run the rounds themselves. */
export type RoundScheduler = (run: () => void, delayMs: number) => { cancel(): void };

/**
 * Rounds on a timer. `keepAlive`: whether the timer alone keeps the process alive. The projector's does (while it
 * holds no projection, its rounds are what keeps it running); the API's does not (its server keeps it alive, and a
 * renewal alone never should).
 */
export const timerScheduler =
  ({ keepAlive }: { readonly keepAlive: boolean }): RoundScheduler =>
  (run, delayMs) => {
    const timer = setTimeout(run, delayMs);
    if (!keepAlive) timer.unref();
    return { cancel: () => clearTimeout(timer) };
  };

/**
 * What holds leases in rounds (a projector's LeaseCoordinator, an API replica's DutyLeaseRunner): one round now,
 * then one every third of the leases' time to live, so that a lease held is renewed well before it expires, and
 * never two rounds at a time. The round itself (renew, take, start or stop the work) is the holder's.
 */
export abstract class LeaseHolder {
  private timer: { cancel(): void } | null = null;
  private ticking: Promise<void> | null = null;
  private halted = false;

  protected constructor(
    private readonly roundTtlMs: number,
    private readonly schedule: RoundScheduler,
  ) {}

  /** One round: what this holder does with its leases. Never throws; a failure is logged. */
  protected abstract round(): Promise<void>;

  /** True once `stop` was called: a round under way takes nothing more. */
  protected get stopped(): boolean {
    return this.halted;
  }

  /** Runs a round now and then every third of the time to live, until `stop`. */
  start(): Promise<void> {
    const loop = async () => {
      await this.tick();
      if (!this.halted)
        this.timer = this.schedule(() => void loop(), Math.max(100, Math.floor(this.roundTtlMs / 3)));
    };
    return loop();
  }

  /** One round now, or the one already under way. */
  tick(): Promise<void> {
    this.ticking ??= this.round().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  /** Schedules no more rounds and resolves once the round under way, if any, has ended; a holder then lets go. */
  async stop(): Promise<void> {
    this.halted = true;
    this.timer?.cancel();
    await this.ticking;
  }
}
