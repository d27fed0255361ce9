import {
  type Lease,
  LeaseHolder,
  type ProjectionLeases,
  type RoundScheduler,
  timerScheduler,
} from '@carepath/runtime';

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

export interface DutyLeaseOptions {
  readonly ttlMs: number;
  readonly logger: { log(message: object): void; error(message: object): void };
  /** Monotonic milliseconds (default `performance.now`): how long since the lease was last renewed. */
  readonly now?: () => number;
  /** Default: a timer that does not keep the process alive (the API's server does). */
  readonly schedule?: RoundScheduler;
}

/**
 * Runs one duty while this replica holds its lease (docs/scaling.md, "API replicas"). Every third of the time to
 * live it renews the lease it holds or tries to take it: a renewal refused (the fence moved: another replica holds
 * it now) stops the duty at once, and so does a lease not renewed for most of its time to live (the database out of
 * reach), before another replica may take it. Expiry is judged by the database's clock alone (PgProjectionLeases);
 * the duty's own acts are idempotent, so the one act in flight at a handover is at worst sent twice, never lost.
 */
export class DutyLeaseRunner extends LeaseHolder {
  private lease: Lease | null = null;
  private renewedAt = 0;
  private readonly now: () => number;

  constructor(
    private readonly leases: Pick<ProjectionLeases, 'acquire' | 'renew' | 'release'>,
    private readonly holder: string,
    readonly duty: string,
    private readonly work: DutyWork,
    private readonly options: DutyLeaseOptions,
  ) {
    super(options.ttlMs, options.schedule ?? timerScheduler({ keepAlive: false }));
    this.now = options.now ?? (() => performance.now());
  }

  /** True while this replica holds the duty's lease and runs the duty. */
  get holding(): boolean {
    return this.lease !== null;
  }

  /** The fence of the lease held, or null. */
  get fence(): number | null {
    return this.lease?.fence ?? null;
  }

  /** Stops the duty and gives its lease back, so another replica takes it at its next round, not after the TTL. */
  override async stop(): Promise<void> {
    await super.stop();
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

  /** Renews or takes the lease, starts or stops the duty. */
  protected async round(): Promise<void> {
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
