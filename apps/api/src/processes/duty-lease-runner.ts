import type { Lease, ProjectionLeases } from '@carepath/runtime';

/** A duty one replica of a deployment runs at a time: started when its lease is won, stopped when it is lost. */
export interface DutyWork {
  /**
   * `held` says, at any moment, whether the lease was renewed recently enough that no other replica may hold it yet:
   * the duty asks it before each act, so one resumed after a long pause acts no more before its round notices.
   */
  start(held: () => boolean): void | Promise<void>;
  /** Resolves once nothing of the duty runs any more (the act or the attempt under way has ended). */
  stop(): Promise<void>;
}

/** Schedules the next round; injectable so that specs run the rounds themselves. */
export type DutyScheduler = (run: () => void, delayMs: number) => { cancel(): void };

export const realDutyScheduler: DutyScheduler = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  // The server keeps the process alive; a renewal alone never should.
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
};

export interface DutyLeaseOptions {
  readonly ttlMs: number;
  readonly logger: { log(message: object): void; error(message: object): void };
  /** Monotonic milliseconds (default `performance.now`): how long since the lease was last renewed. */
  readonly now?: () => number;
  readonly schedule?: DutyScheduler;
}

/**
 * Runs one duty while this replica holds its lease (docs/scaling.md, "API replicas"). Every third of the time to
 * live it renews the lease it holds or tries to take it: a renewal refused (the fence moved: another replica holds
 * it now) stops the duty at once, and so does a lease not renewed for most of its time to live (the database out of
 * reach), before another replica may take it. Expiry is judged by the database's clock alone (PgProjectionLeases);
 * the duty's own acts are idempotent, so the one act in flight at a handover is at worst sent twice, never lost.
 */
export class DutyLeaseRunner {
  private lease: Lease | null = null;
  private renewedAt = 0;
  private timer: { cancel(): void } | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private readonly now: () => number;
  private readonly schedule: DutyScheduler;

  constructor(
    private readonly leases: Pick<ProjectionLeases, 'acquire' | 'renew' | 'release'>,
    private readonly holder: string,
    readonly duty: string,
    private readonly work: DutyWork,
    private readonly options: DutyLeaseOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.schedule = options.schedule ?? realDutyScheduler;
  }

  /** True while this replica holds the duty's lease and runs the duty. */
  get holding(): boolean {
    return this.lease !== null;
  }

  /** The fence of the lease held, or null. */
  get fence(): number | null {
    return this.lease?.fence ?? null;
  }

  /** Runs a round now and then every third of the time to live, until `stop`. */
  start(): Promise<void> {
    const loop = async () => {
      await this.tick();
      if (!this.stopped)
        this.timer = this.schedule(() => void loop(), Math.max(100, Math.floor(this.options.ttlMs / 3)));
    };
    return loop();
  }

  /** One round: renew or take the lease, start or stop the duty. Never throws; a failure is logged. */
  tick(): Promise<void> {
    this.ticking ??= this.round().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  /** Stops the duty and gives its lease back, so another replica takes it at its next round, not after the TTL. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.ticking;
    const lease = this.lease;
    if (!lease) return;
    await this.drop('stopping');
    await this.leases.release(lease).catch((error: unknown) =>
      this.options.logger.error({
        msg: 'duty lease release failed',
        duty: this.duty,
        error: String(error),
      }),
    );
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.lease) {
        if (await this.leases.renew(this.lease)) this.renewedAt = this.now();
        else await this.drop('lease lost');
      } else {
        const lease = await this.leases.acquire(this.duty, this.holder);
        if (lease && !this.stopped) {
          this.lease = lease;
          this.renewedAt = this.now();
          this.options.logger.log({ msg: 'duty taken', duty: this.duty, fence: lease.fence });
          try {
            await this.work.start(() => this.fresh());
          } catch (error) {
            // Held but not running would keep every other replica from the duty: give it back.
            this.options.logger.error({ msg: 'duty start failed', duty: this.duty, error: String(error) });
            await this.drop('start failed');
            await this.leases.release(lease);
          }
        }
      }
    } catch (error) {
      this.options.logger.error({ msg: 'duty lease round failed', duty: this.duty, error: String(error) });
    }
    // Out of touch with the database for most of the time to live: another replica may take the duty any moment.
    if (this.lease && !this.fresh()) await this.drop('lease not renewed in time');
  }

  /** Held, and renewed within three quarters of the time to live by this replica's clock. */
  private fresh(): boolean {
    return this.lease !== null && this.now() - this.renewedAt < this.options.ttlMs * 0.75;
  }

  private async drop(reason: string): Promise<void> {
    if (!this.lease) return;
    this.lease = null;
    this.options.logger.log({ msg: 'duty stopped', duty: this.duty, reason });
    await this.work
      .stop()
      .catch((error: unknown) =>
        this.options.logger.error({ msg: 'duty stop failed', duty: this.duty, error: String(error) }),
      );
  }
}
