import { fairShare, type Lease, LeaseHolder, type ProjectionLeases, timerScheduler } from '@carepath/runtime';

/** What the coordinator starts and stops: a projection's runner, made afresh for each lease it wins. */
export interface LeasedWork {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CoordinatorOptions {
  readonly ttlMs: number;
  readonly logger: { log(message: object): void; error(message: object): void };
  /** Monotonic milliseconds (default `performance.now`): how long since each lease was last renewed. */
  readonly now?: () => number;
}

/**
 * Holds this projector's share of the projections (docs/scaling.md, "Projectors that share work"). Every third of
 * the lease's time to live it says it is alive, renews what it holds, gives back what is above an even share of the
 * projectors now alive, and takes free or expired projections up to that share. A projection is run only while its
 * lease is held: one lost, or not renewed for most of its time to live (the database out of reach), is stopped
 * before another projector may take it. Another projector then resumes it from the read model's checkpoint, which
 * only moves from the position its writer last committed (ProjectionRunner), so no page is applied twice.
 */
export class LeaseCoordinator extends LeaseHolder {
  private readonly held = new Map<string, { lease: Lease; work: LeasedWork; renewedAt: number }>();
  private readonly now: () => number;

  constructor(
    private readonly leases: ProjectionLeases,
    private readonly member: string,
    private readonly projections: readonly string[],
    private readonly workFor: (projection: string) => LeasedWork,
    private readonly options: CoordinatorOptions,
  ) {
    super(options.ttlMs, timerScheduler({ keepAlive: true }));
    this.now = options.now ?? (() => performance.now());
  }

  /** Projections held now. */
  holding(): string[] {
    return [...this.held.keys()].sort();
  }

  /** Stops every projection it runs, gives their leases back and leaves, so the others take them at once. */
  override async stop(): Promise<void> {
    await super.stop();
    for (const projection of [...this.held.keys()]) await this.giveBack(projection);
    // Counted out now, the others raise their share and take what was given back at their next round.
    await this.leases
      .leave(this.member)
      .catch((error: unknown) => this.options.logger.error({ msg: 'leaving failed', error: String(error) }));
  }

  /** Heartbeat, renew, give back above the share, take up to it. */
  protected async round(): Promise<void> {
    try {
      const members = await this.leases.heartbeat(this.member);
      for (const [projection, entry] of [...this.held]) {
        if (await this.leases.renew(entry.lease)) entry.renewedAt = this.now();
        else await this.drop(projection, 'lease lost');
      }
      const share = fairShare(this.projections.length, members);
      for (const projection of this.holding().reverse()) {
        if (this.held.size <= share) break;
        await this.giveBack(projection);
      }
      for (const projection of this.order()) {
        if (this.stopped || this.held.size >= share) break;
        if (this.held.has(projection)) continue;
        const lease = await this.leases.acquire(projection, this.member);
        if (!lease) continue;
        const work = this.workFor(projection);
        this.held.set(projection, { lease, work, renewedAt: this.now() });
        this.options.logger.log({ msg: 'projection taken', projection, fence: lease.fence, members, share });
        await work.start();
      }
    } catch (error) {
      this.options.logger.error({ msg: 'lease round failed', error: String(error) });
    }
    // Out of touch with the database for most of the time to live: another projector may take these any moment.
    const deadline = this.now() - this.options.ttlMs * 0.75;
    for (const [projection, entry] of [...this.held]) {
      if (entry.renewedAt < deadline) await this.drop(projection, 'lease not renewed in time');
    }
  }

  /** Starts with a different projection on each projector, so that projectors starting together rarely collide. */
  private order(): string[] {
    let hash = 0;
    for (const c of this.member) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
    const at = hash % Math.max(1, this.projections.length);
    return [...this.projections.slice(at), ...this.projections.slice(0, at)];
  }

  private async drop(projection: string, reason: string): Promise<void> {
    const entry = this.held.get(projection);
    if (!entry) return;
    this.held.delete(projection);
    this.options.logger.error({ msg: 'projection stopped', projection, reason });
    await entry.work
      .stop()
      .catch((error: unknown) =>
        this.options.logger.error({ msg: 'projection stop failed', projection, error: String(error) }),
      );
  }

  private async giveBack(projection: string): Promise<void> {
    const entry = this.held.get(projection);
    if (!entry) return;
    this.held.delete(projection);
    await entry.work.stop();
    await this.leases
      .release(entry.lease)
      .catch((error: unknown) =>
        this.options.logger.error({ msg: 'lease release failed', projection, error: String(error) }),
      );
    this.options.logger.log({ msg: 'projection given back', projection });
  }
}
