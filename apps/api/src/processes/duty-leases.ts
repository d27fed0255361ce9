import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type AppConfig, PgProjectionLeases } from '@carepath/runtime';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { APP_CONFIG } from '../config/app-config.token';
import { WebhookDispatcher } from '../notifications/webhook-dispatcher';
import { DutyLeaseRunner } from './duty-lease-runner';
import { ProcessManager } from './process-manager';

export const PROCESS_DUTY = 'duty:process-manager';
export const WEBHOOK_DUTY = 'duty:webhook-delivery';
const DUTIES = [PROCESS_DUTY, WEBHOOK_DUTY] as const;

/**
 * The single-instance duties of a deployment with several API replicas (docs/scaling.md, "API replicas"): the
 * process manager and the webhook deliveries. With READ_MODEL_STORE=postgres each replica whose duty is on
 * (PROCESSES, WEBHOOK_DELIVERY) competes for the duty's lease in PostgreSQL and runs it only while it holds it; at
 * shutdown it gives the lease back, so another replica takes over at its next round rather than after the TTL. On
 * SQLite read models there is no lease: the one API runs its duties itself (ProcessManager, WebhookDispatcher).
 */
@Injectable()
export class DutyLeases implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('duties');
  private readonly leases: PgProjectionLeases | null = null;
  private readonly runners: DutyLeaseRunner[] = [];
  readonly holder: string | null = null;
  /** Without leases (SQLite read models): the duties this API runs on its own, as configured. */
  private readonly unleased: readonly string[];

  constructor(@Inject(APP_CONFIG) config: AppConfig, manager: ProcessManager, dispatcher: WebhookDispatcher) {
    const settings = config.dutyLeases;
    const enabled = {
      [PROCESS_DUTY]: config.processes.enabled,
      [WEBHOOK_DUTY]: config.notifications.deliver,
    };
    this.unleased = settings ? [] : DUTIES.filter((duty) => enabled[duty]);
    if (!settings) return;
    this.holder = settings.holder ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.leases = new PgProjectionLeases({
      connectionString: settings.connectionString,
      schema: settings.schema,
      table: 'duty_leases',
      ttlMs: settings.ttlMs,
    });
    const logger = {
      log: (message: object) => this.logger.log({ ...message, holder: this.holder }),
      error: (message: object) => this.logger.error({ ...message, holder: this.holder }),
    };
    const work = { [PROCESS_DUTY]: manager, [WEBHOOK_DUTY]: dispatcher };
    for (const duty of DUTIES) {
      if (!enabled[duty]) continue;
      this.runners.push(
        new DutyLeaseRunner(this.leases, this.holder, duty, work[duty], { ttlMs: settings.ttlMs, logger }),
      );
    }
  }

  /** `postgres` when the duties are leased, `none` when this API runs its own. */
  get mode(): 'postgres' | 'none' {
    return this.leases ? 'postgres' : 'none';
  }

  /** The duties this replica competes for (without leases: those it runs alone). */
  competing(): string[] {
    return this.leases ? this.runners.map((r) => r.duty) : [...this.unleased];
  }

  /** The duties this replica runs now: with leases, those whose lease it holds. */
  holding(): string[] {
    return this.leases ? this.runners.filter((r) => r.holding).map((r) => r.duty) : [...this.unleased];
  }

  onApplicationBootstrap(): void {
    for (const runner of this.runners) void runner.start();
  }

  /** Before the duties' own shutdown: stop them and give their leases back. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.leases?.close();
  }
}
