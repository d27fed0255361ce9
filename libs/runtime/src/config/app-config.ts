import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type ContractPolicy,
  type DeadlineRules,
  DEFAULT_CALENDAR_ID,
  parseCareTime,
  type SlotReleasePolicy,
} from '@carepath/domain';
import { type AuthConfig, type EdgeConfig, loadAuthConfig, loadEdgeConfig } from './auth-config';
import { type ConsoleConfig, loadConsoleConfig } from './console-config';
import { type Env, numberSetting, oneOf } from './env-settings';
import { loadContractPolicy, loadSlotReleasePolicy } from './family-doctor-config';
import { loadNotificationConfig, type NotificationConfig } from './notification-config';
import { loadProcessConfig, type ProcessConfig } from './process-config';
import { type DutyLeaseConfig, loadDutyLeaseConfig } from '../leases/lease-config';

/**
 * Everything CarePath reads from its environment, parsed once at start-up and validated: the API, the projector,
 * the CLI and the simulator share one configuration, so they find the same store and read-model files.
 */
export interface AppConfig {
  readonly port: number;
  readonly host: string;
  /** `sqlite` (embedded, the default) or `esdb` (EventStoreDB, for clusters). */
  readonly eventStore: 'sqlite' | 'esdb';
  /** EventStoreDB connection string when eventStore is `esdb`, e.g. esdb://node1:2113,node2:2113?tls=false. */
  readonly eventStoreConnectionString: string | null;
  /** SQLite file of the embedded event store. */
  readonly databaseFile: string;
  /** Largest accepted JSON body; clinical commands are small, so a tight limit blunts abuse. */
  readonly bodyLimit: string;
  /** Deadline lengths; the working days they count come from the holiday calendar's stream (docs/holidays.md). */
  readonly deadlinePolicy: DeadlineRules;
  /**
   * The holiday calendar routine deadlines count (docs/holidays.md), and the file of its years shipped with the
   * release, recorded at start-up when missing (null: none).
   */
  readonly holidayCalendar: { readonly calendarId: string; readonly shippedFile: string | null };
  /** Tolerated clock skew for occurredAt in the future, in ms. */
  readonly futureSkewMs: number;
  /** Earliest plausible care time (epoch ms): older ones are typing errors (docs/robustness.md). */
  readonly careTimeNotBeforeMs: number;
  /** Streams the write path keeps folded between writes (RECENT_FOLDS; 0 turns the cache off). */
  readonly recentFolds: number;
  /**
   * Byte budget of the write path's cache of folded streams (FOLD_CACHE_MB, default 32). Folded states are weighed by
   * the events folded into them (FoldCache), so long journeys count.
   */
  readonly foldCacheBytes: number;
  /**
   * Byte budget of the folded journeys the journey projections of a process share between pages
   * (PROJECTION_FOLD_CACHE_MB, default 8). Smaller than the write path's: a miss there is paid by the request that
   * waits on it, here by a projection thread re-reading the journey, which only delays its rows (docs/benchmarks.md,
   * "HTTP commands").
   */
  readonly projectionFoldCacheBytes: number;
  readonly logJson: boolean;
  /** Folder of the read-model files (one SQLite file per projection generation). */
  readonly readModelDir: string;
  /** `in-process`: the API runs the projections; `external`: apps/projector does, the API only reads. */
  readonly projections: 'in-process' | 'external';
  /**
   * In-process projections on the embedded store and files: `worker` (PROJECTIONS_THREAD, the default) runs them in
   * a worker thread of the API, off the event loop that serves requests; `main` on that loop, as before.
   */
  readonly projectionsThread: 'worker' | 'main';
  /**
   * Where read models live (READ_MODEL_STORE): SQLite files in `readModelDir` (the embedded default), or PostgreSQL
   * at DATABASE_URL, in schemas named after READ_MODEL_SCHEMA (docs/scaling.md, "Read models in PostgreSQL").
   */
  readonly readModelStore: ReadModelStoreConfig;
  /** Time zone of the midnight census and of period boundaries (docs/domain.md, "Indicators"): Asia/Shanghai. */
  readonly censusTimeZone: string;
  /**
   * Where a patient on leave from a held bed is counted at midnight (docs/domain.md, "Sequential ward (held beds)"):
   * by default where they are.
   */
  readonly heldBedRule: 'physical' | 'held-bed';
  /** How long a write with consistency=projected waits for the read models, in ms. */
  readonly projectedWaitMs: number;
  /** Ed25519 private key (PEM file) that signs exported audit checkpoints; none: checkpoints are not offered. */
  readonly auditSigningKeyFile: string | null;
  /** How long an append waits for a write lock another process holds before answering 503 STORE_BUSY, in ms. */
  readonly storeBusyBudgetMs: number;
  /** Worker threads for heavy reads (chain walk, asOf replays, analytics, rebuilds), and requests that may queue. */
  readonly workPool: { readonly size: number; readonly queueLimit: number; readonly idleMs: number };
  /** Time budget of each kind of heavy read, queueing included, in ms; past it: 503 WORK_TIMEOUT. */
  readonly workBudgetMs: {
    readonly verify: number;
    readonly asOf: number;
    readonly analytics: number;
    readonly rebuild: number;
  };
  /**
   * `/health/ready` answers 503 while a projection is further behind the log than this, in log positions (events
   * on the embedded store).
   */
  readonly readyMaxProjectionLag: number;
  /** How long `/health/ready` waits for the store to show it accepts a write, in ms. */
  readonly readyProbeTimeoutMs: number;
  /** Bearer-token verification: an identity provider's JWKS, or the development issuer (issue 17). */
  readonly auth: AuthConfig;
  /** CORS allow-list and per-actor rate limits. */
  readonly edge: EdgeConfig;
  /** A projection stopped by a transient failure is retried after this, doubled per failed attempt, in ms. */
  readonly projectionRetryBaseMs: number;
  /** The longest wait between two such retries, in ms. */
  readonly projectionRetryMaxMs: number;
  /** Family-doctor contract renewal (family-doctor-config.ts; docs/family-doctors.md, "Contracts"). */
  readonly contractPolicy: ContractPolicy;
  /** Specialist slot releases: window, priority, cancel cutoff (docs/family-doctors.md, "Release window and priority"). */
  readonly slotReleasePolicy: SlotReleasePolicy;
  /** The coordinator console: its files, sessions and sign-in (console-config.ts; docs/console.md). */
  readonly console: ConsoleConfig;
  /** Webhook deliveries and the notification stream (notification-config.ts; docs/notifications.md). */
  readonly notifications: NotificationConfig;
  /** Referral deadlines, transfer proposals and follow-ups the API acts on (process-config.ts). */
  readonly processes: ProcessConfig;
  /** Leases electing the replica that runs the processes and the webhooks; null on SQLite (lease-config.ts). */
  readonly dutyLeases: DutyLeaseConfig | null;
  /**
   * WEBHOOK_SIGNING_KEY_FILE: the webhook signing key (default `webhook-signing.key` beside DATABASE_FILE). API
   * replicas share one, so a webhook signed by whichever holds the delivery duty checks with the secret any gave.
   */
  readonly webhookSigningKeyFile: string | null;
}

function connectionString(env: Env): string | null {
  const value = env.EVENTSTORE_CONNECTION_STRING;
  if (env.EVENT_STORE === 'esdb' && !value) {
    throw new Error('Configuration EVENTSTORE_CONNECTION_STRING is required when EVENT_STORE=esdb');
  }
  if (value && !/^esdb(\+discover)?:\/\//.test(value)) {
    throw new Error('Configuration EVENTSTORE_CONNECTION_STRING must start with esdb:// or esdb+discover://');
  }
  return value ?? null;
}

function careTimeSetting(env: Env, name: string, fallback: string): number {
  const raw = env[name] || fallback;
  const ms = parseCareTime(raw);
  if (ms === null)
    throw new Error(`Configuration ${name} must be an RFC 3339 date-time with an offset, got "${raw}"`);
  return ms;
}

function timeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new Error(`Configuration CENSUS_TIME_ZONE must be an IANA time zone, got "${zone}"`);
  }
  return zone;
}

function holidayCalendar(env: Env): AppConfig['holidayCalendar'] {
  const calendarId = env.HOLIDAY_CALENDAR_ID || DEFAULT_CALENDAR_ID;
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(calendarId)) {
    throw new Error(`Configuration HOLIDAY_CALENDAR_ID must be a short code such as CN, got "${calendarId}"`);
  }
  const file = env.HOLIDAY_CALENDAR_FILE ?? join('reference-data', 'holiday-calendars', `${calendarId}.json`);
  return { calendarId, shippedFile: file === '' ? null : file };
}

export type ReadModelStoreConfig =
  | { readonly kind: 'sqlite' }
  | {
      readonly kind: 'postgres';
      readonly connectionString: string;
      readonly schemaPrefix: string;
      /** READ_MODEL_ANALYST_ROLE: granted the analysts' views each time they are made again (docs/analytics.md). */
      readonly analystRole: string | null;
    };

function readModelStore(env: Env): ReadModelStoreConfig {
  if (oneOf(env, 'READ_MODEL_STORE', ['sqlite', 'postgres'] as const, 'sqlite') === 'sqlite')
    return { kind: 'sqlite' };
  const connectionString = env.DATABASE_URL;
  if (!connectionString) throw new Error('Configuration READ_MODEL_STORE=postgres needs DATABASE_URL');
  const schemaPrefix = env.READ_MODEL_SCHEMA || 'carepath';
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(schemaPrefix)) {
    throw new Error(
      `Configuration READ_MODEL_SCHEMA must be a lower-case SQL identifier, got "${schemaPrefix}"`,
    );
  }
  const analystRole = env.READ_MODEL_ANALYST_ROLE || null;
  if (analystRole !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(analystRole)) {
    throw new Error(
      `Configuration READ_MODEL_ANALYST_ROLE must be a lower-case SQL identifier, got "${analystRole}"`,
    );
  }
  return { kind: 'postgres', connectionString, schemaPrefix, analystRole };
}

export function loadConfig(env: Env = process.env): AppConfig {
  return {
    port: numberSetting(env, 'PORT', 3000),
    host: env.HOST ?? '127.0.0.1',
    eventStore: oneOf(env, 'EVENT_STORE', ['sqlite', 'esdb'] as const, 'sqlite'),
    eventStoreConnectionString: connectionString(env),
    databaseFile: env.DATABASE_FILE ?? 'data/carepath.db',
    bodyLimit: env.BODY_LIMIT ?? '64kb',
    // Defaults (docs/domain.md, "Referral workflow states"): green channel 2 h, urgent 24 h, routine 2 working days.
    deadlinePolicy: {
      greenChannelMinutes: numberSetting(env, 'REFERRAL_DEADLINE_GREEN_CHANNEL_MINUTES', 120, 1),
      urgentMinutes: numberSetting(env, 'REFERRAL_DEADLINE_URGENT_MINUTES', 24 * 60, 1),
      routineWorkingDays: numberSetting(env, 'REFERRAL_DEADLINE_ROUTINE_WORKING_DAYS', 2, 1),
      utcOffsetMinutes: numberSetting(env, 'CARE_UTC_OFFSET_MINUTES', 480, -720),
    },
    holidayCalendar: holidayCalendar(env),
    futureSkewMs: numberSetting(env, 'OCCURRED_AT_MAX_FUTURE_SKEW_SECONDS', 300) * 1000,
    careTimeNotBeforeMs: careTimeSetting(env, 'CARE_TIME_NOT_BEFORE', '2000-01-01T00:00:00Z'),
    recentFolds: numberSetting(env, 'RECENT_FOLDS', 10_000),
    foldCacheBytes: numberSetting(env, 'FOLD_CACHE_MB', 32) * 1024 * 1024,
    projectionFoldCacheBytes: numberSetting(env, 'PROJECTION_FOLD_CACHE_MB', 8) * 1024 * 1024,
    logJson: (env.LOG_FORMAT ?? 'json') === 'json',
    readModelDir: env.READ_MODEL_DIR ?? join(dirname(env.DATABASE_FILE ?? 'data/carepath.db'), 'read-models'),
    projections: oneOf(env, 'PROJECTIONS', ['in-process', 'external'] as const, 'in-process'),
    projectionsThread: oneOf(env, 'PROJECTIONS_THREAD', ['worker', 'main'] as const, 'worker'),
    readModelStore: readModelStore(env),
    censusTimeZone: timeZone(env.CENSUS_TIME_ZONE ?? 'Asia/Shanghai'),
    heldBedRule: oneOf(env, 'HELD_BED_RULE', ['physical', 'held-bed'] as const, 'physical'),
    projectedWaitMs: numberSetting(env, 'PROJECTED_WAIT_MS', 5000, 1),
    auditSigningKeyFile: env.AUDIT_SIGNING_KEY_FILE || null,
    storeBusyBudgetMs: numberSetting(env, 'STORE_BUSY_BUDGET_MS', 5000),
    // One core is left to the request loop: heavy reads then slow each other down, never the writes.
    workPool: {
      size: numberSetting(env, 'WORK_POOL_SIZE', Math.max(1, Math.min(4, availableParallelism() - 1)), 1),
      queueLimit: numberSetting(env, 'WORK_QUEUE_LIMIT', 32),
      // A thread starts with the first heavy read (its first answer about 0.3 s later, from the built API) and stops
      // after this long without one.
      idleMs: numberSetting(env, 'WORK_IDLE_MS', 30_000, 1),
    },
    workBudgetMs: {
      verify: numberSetting(env, 'WORK_BUDGET_VERIFY_MS', 120_000, 1),
      asOf: numberSetting(env, 'WORK_BUDGET_AS_OF_MS', 30_000, 1),
      analytics: numberSetting(env, 'WORK_BUDGET_ANALYTICS_MS', 15_000, 1),
      rebuild: numberSetting(env, 'WORK_BUDGET_REBUILD_MS', 3_600_000, 1),
    },
    readyMaxProjectionLag: numberSetting(env, 'READY_MAX_PROJECTION_LAG', 10_000),
    readyProbeTimeoutMs: numberSetting(env, 'READY_PROBE_TIMEOUT_MS', 2000, 1),
    auth: loadAuthConfig(env),
    edge: loadEdgeConfig(env),
    projectionRetryBaseMs: numberSetting(env, 'PROJECTION_RETRY_BASE_MS', 250, 1),
    projectionRetryMaxMs: numberSetting(env, 'PROJECTION_RETRY_MAX_MS', 30_000, 1),
    contractPolicy: loadContractPolicy(env),
    slotReleasePolicy: loadSlotReleasePolicy(env),
    console: loadConsoleConfig(env),
    notifications: loadNotificationConfig(env),
    processes: loadProcessConfig(env),
    dutyLeases: loadDutyLeaseConfig(env),
    webhookSigningKeyFile: env.WEBHOOK_SIGNING_KEY_FILE || null,
  };
}
