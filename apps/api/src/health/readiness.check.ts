import { basename } from 'node:path';
import type { EventStore, EventStoreHealth } from '@carepath/event-store';
import type { AppConfig } from '@carepath/runtime';
import type { ProjectionsService } from '../projections/projections.service';
import type { HolidayCalendars } from '../reference/holiday-calendars';
import type { LiveReferenceModel } from '../reference/live-reference.model';
import { healthReport, type HealthReport, type IndicatorResult, withoutPaths } from './health-report';
import { SqliteWriteProbe, type StoreWriteProbe } from './store-write.probe';

/** The store's write probe as configured: the embedded file's, or none (EventStoreDB answers its own health). */
export function storeWriteProbeFor(config: AppConfig): StoreWriteProbe | null {
  return config.eventStore === 'sqlite'
    ? new SqliteWriteProbe(config.databaseFile, config.readyProbeTimeoutMs)
    : null;
}

/**
 * Ready means every route can do its work: the store accepts a write (not only a read: a full disk or a read-only
 * file leaves reads working), the in-process reference model runs, and every read model is sound, not failed,
 * and close enough to the log. Each indicator that is down says why.
 */
export class ReadinessCheck {
  constructor(
    private readonly store: EventStore,
    private readonly probe: StoreWriteProbe | null,
    private readonly reference: Pick<LiveReferenceModel, 'status'>,
    private readonly projections: Pick<ProjectionsService, 'readiness'>,
    private readonly config: Pick<AppConfig, 'readyMaxProjectionLag' | 'readyProbeTimeoutMs'>,
    /** The holiday calendar's years covered (docs/holidays.md): it warns, it never makes the service unready. */
    private readonly calendar: Pick<HolidayCalendars, 'indicator'> | null = null,
  ) {}

  async run(): Promise<HealthReport> {
    const [store, projections, calendar] = await Promise.all([
      this.storeIndicator(),
      this.projections
        .readiness(this.config.readyMaxProjectionLag)
        .catch((error: unknown): Record<string, IndicatorResult> => ({
          projections: { status: 'down', reason: `cannot be checked: ${describe(error)}` },
        })),
      this.calendar
        ? this.calendar.indicator().catch((error: unknown): Record<string, unknown> & IndicatorResult => ({
            status: 'down',
            reason: `cannot be read: ${describe(error)}`,
          }))
        : Promise.resolve(null),
    ]);
    const reference = this.reference.status;
    return withoutPaths(
      healthReport({
        store,
        referenceModel: reference.healthy
          ? { status: 'up', ...reference }
          : { status: 'down', reason: 'the in-process reference model stopped', ...reference },
        ...projections,
        ...(calendar ? { holidayCalendar: calendar } : {}),
      }),
    );
  }

  private async storeIndicator(): Promise<IndicatorResult> {
    const [health, problem] = await Promise.all([
      this.within(this.store.health(), 'the store did not answer its health check').catch(
        (error: unknown): EventStoreHealth => ({
          status: 'down',
          kind: 'unknown',
          details: { error: describe(error) },
        }),
      ),
      this.probe
        ? this.within(this.probe.check(), 'the write probe did not finish').catch((error: unknown) =>
            describe(error),
          )
        : Promise.resolve(null),
    ]);
    // The file's name is enough to tell which; where it lies is this server's business.
    const details: Record<string, string | number | boolean> = { ...health.details };
    if (typeof details.file === 'string') details.file = basename(details.file);
    const reasons = [
      ...(health.status === 'down'
        ? [`the store is down${details.error !== undefined ? `: ${String(details.error)}` : ''}`]
        : []),
      ...(problem ? [problem] : []),
    ];
    return reasons.length === 0
      ? { status: 'up', kind: health.kind, ...details }
      : { status: 'down', reason: reasons.join('; '), kind: health.kind, ...details };
  }

  private within<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} within ${this.config.readyProbeTimeoutMs} ms`)),
        // The probe itself may retry a held lock until its own timeout: this one only catches a hang.
        this.config.readyProbeTimeoutMs + 1000,
      );
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
