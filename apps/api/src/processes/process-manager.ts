import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DomainError, type InstitutionSnapshot, type SignedContractReference } from '@carepath/domain';
import {
  appliedPosition,
  countDue,
  dueActions,
  nextDueMs,
  type ProcessActionRow,
  type ProcessKind,
  type ProcessTiming,
  type SqlReader,
} from '@carepath/projections';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { CLOCK, type Clock } from '../store/tokens';
import {
  DAY_MS,
  type PlannedAct,
  planExpiry,
  planFollowUp,
  planProposal,
  planReminder,
  PROCESS_NAMES,
  PROCESS_OF,
  type ProcessName,
  processKey,
  type Skip,
} from './process-plans';

/** Schedules a pass; injectable so that specs fire it themselves instead of waiting (as the projection runner's). */
export type ProcessScheduler = (run: () => void, delayMs: number) => { cancel(): void };
export const PROCESS_SCHEDULER = Symbol('PROCESS_SCHEDULER');
export const PROCESS_PORTS = Symbol('PROCESS_PORTS');

export const realProcessScheduler: ProcessScheduler = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
};

/** Where the manager reads its timers, what it knows of institutions and contracts, and how it acts. */
export interface ProcessPorts {
  /** True when this process runs the projection itself (PROJECTIONS=in-process); false: apps/projector does. */
  readonly inProcess: boolean;
  /**
   * The care-processes read model in service: the file this process or apps/projector keeps, or with
   * READ_MODEL_STORE=postgres the tables the projectors keep there, shared by every replica.
   */
  reader(): SqlReader;
  /** The projection's checkpoint as GET /projections reports it. */
  checkpoint(): Promise<{ position: string; headPosition: string; lag: string; state: string }>;
  /**
   * Resolves once the projection has applied past `position` (each page applied wakes the manager); null when
   * this process does not run the projection (external mode: the manager polls).
   */
  advancedPast(position: bigint): Promise<bigint> | null;
  institutions(): readonly InstitutionSnapshot[];
  contractOn(residentId: string, date: string): Promise<SignedContractReference | null>;
  /** Appends through the one write path (system role, the key as Idempotency-Key); `replayed`: done before. */
  act(
    row: ProcessActionRow,
    process: ProcessName,
    plan: PlannedAct,
    idempotencyKey: string,
  ): Promise<{ replayed: boolean; position: bigint }>;
}

/**
 * Refusals that mean the act is already done or no longer called for (someone decided the referral, the stay
 * ended, the journey closed): the projection has not caught up with that yet. Not failures.
 */
const SETTLED = new Set<string>([
  'REMINDER_ALREADY_SENT',
  'REFERRAL_INVALID_TRANSITION',
  'PROPOSAL_ALREADY_EXISTS',
  'PROPOSAL_ALREADY_OPEN',
  'DOWNWARD_REFERRAL_OPEN',
  'FOLLOW_UP_ALREADY_OWED',
  'JOURNEY_CLOSED',
  'NOT_ADMITTED',
]);

/** Expiries before reminders: a referral past its deadline while the API was down is expired, not reminded. */
const ORDER: readonly ProcessKind[] = [
  'referral-expiry',
  'referral-reminder',
  'transfer-proposal',
  'follow-up',
];
/** The longest one timer waits: a far due time is re-checked rather than trusted to one long timer. */
const MAX_TIMER_MS = 15 * 60_000;
/** In external mode no page wakes the manager: it looks for new rows this often. */
const EXTERNAL_POLL_MS = 5_000;
/**
 * How long after a page is applied the pass it wakes runs: pages that come meanwhile share it. A pass is nine
 * queries; at 1,000 commands/s evenly paced each command is a page, and a pass per page was among the largest
 * items of a profile of the request thread (docs/benchmarks.md, "HTTP commands"). Acts wait minutes or hours; this wait is nothing to them.
 */
export const PAGE_WAKE_MS = 20;
/** Backoff of a failed act: doubled per failure, at most this. */
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 5 * 60_000;

export interface ProcessError {
  readonly message: string;
  readonly code: string | null;
  readonly actionId: string;
  readonly at: string;
}

interface Counters {
  acted: number;
  /** Found done already by its idempotency key (a restart after an append not yet projected). */
  replayed: number;
  /** Refused as already done or no longer called for. */
  settled: number;
  failed: number;
  lastError: ProcessError | null;
  lastActedAt: string | null;
  /** Rows due that cannot be acted on (no centre to propose to), by action id, with the reason. */
  readonly skipped: Map<string, string>;
}

export interface ProcessStatus {
  readonly name: ProcessName;
  readonly enabled: boolean;
  /** Acting in this replica now: enabled and, with duty leases, holding `duty:process-manager`. */
  readonly running: boolean;
  readonly actorId: string;
  readonly checkpoint: { position: string; headPosition: string; lag: string; state: string } | null;
  readonly dueNow: number;
  readonly nextDueAt: string | null;
  readonly acted: number;
  readonly replayed: number;
  readonly settled: number;
  readonly skipped: number;
  readonly lastSkipReason: string | null;
  readonly failed: number;
  readonly lastError: ProcessError | null;
  readonly lastActedAt: string | null;
}

/**
 * The process manager (docs/architecture.md, "Processes"): its timers are rows of the care-processes read model,
 * derived from the log; it reads those due by the injected clock and acts through the one write path, as the
 * system, with an idempotency key per act. Woken by each page the projection applies and by a timer set to the next
 * due time; a pass never runs twice at once. Nothing it keeps in memory is needed for correctness: counters and the
 * backoff of failed acts only.
 */
@Injectable()
export class ProcessManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('processes');
  private readonly counters = new Map<ProcessName, Counters>(
    PROCESS_NAMES.map((name) => [
      name,
      {
        acted: 0,
        replayed: 0,
        settled: 0,
        failed: 0,
        lastError: null,
        lastActedAt: null,
        skipped: new Map(),
      },
    ]),
  );
  /** Failed acts wait until this time of the clock (ms) before the next attempt, with their attempt count. */
  private readonly backoff = new Map<string, { until: number; attempts: number }>();
  /**
   * Acts this process appended (or found appended) at a log position the read model has not reached yet: their rows
   * are still there, and acting again would only be a replay. Forgotten once the checkpoint passes them; a restart
   * forgets them all, and then the idempotency key answers.
   */
  private readonly awaitingProjection = new Map<string, bigint>();
  /**
   * Acts refused as settled, with the log head at the refusal: the fact that settled them is at or before it. One
   * refused again once the read model has applied that head is not lagging: the model and the decider disagree.
   */
  private readonly settledAt = new Map<string, bigint>();
  private pass$: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private held: () => boolean = () => true;
  /** Counts starts: a wake-up from the projection armed before a stop and a start belongs to the old run. */
  private generation = 0;
  private timer: { cancel(): void } | null = null;
  private poll: { cancel(): void } | null = null;
  /** The pass a page woke, not yet run. */
  private wake: { cancel(): void } | null = null;
  private readerError: string | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PROCESS_SCHEDULER) private readonly schedule: ProcessScheduler,
    @Inject(PROCESS_PORTS) private readonly ports: ProcessPorts,
  ) {}

  get enabled(): boolean {
    return this.config.processes.enabled;
  }

  private get timing(): ProcessTiming {
    return {
      reminderFraction: this.config.processes.reminderFraction,
      transferStableMs: this.config.processes.transferStableDays * DAY_MS,
      lateEntryGraceMs: this.config.processes.lateEntryGraceMinutes * 60_000,
    };
  }

  /** True while this replica runs the processes (with duty leases: while it holds `duty:process-manager`). */
  get running(): boolean {
    return !this.stopped;
  }

  onApplicationBootstrap(): void {
    // With duty leases (READ_MODEL_STORE=postgres) DutyLeases starts the manager when this replica wins the lease.
    if (!this.enabled || this.config.dutyLeases) return;
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /**
   * Starts following the read model and acting on what is due; `held` (DutyLeases) is asked before each act, so a
   * replica whose lease may have passed to another acts no more.
   */
  start(held: () => boolean = () => true): void {
    if (!this.enabled || !this.stopped) return;
    this.held = held;
    this.stopped = false;
    this.generation++;
    this.followProjection(0n, this.generation);
    this.kick();
  }

  /** Stops acting: no act starts after this; resolves once the pass under way (its act in flight) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.poll?.cancel();
    this.poll = null;
    this.wake?.cancel();
    this.wake = null;
    await this.pass$;
  }

  /** Starts a pass now, or right after the one under way. */
  kick(): void {
    if (this.stopped) return;
    if (this.pass$) {
      this.again = true;
      return;
    }
    this.pass$ = this.passes().finally(() => {
      this.pass$ = null;
    });
  }

  /** Runs a pass (after the one under way, if any) and resolves when it is done: what a timer firing does. */
  async runDue(): Promise<void> {
    if (this.stopped) return;
    if (this.pass$) this.again = true;
    else this.kick();
    await this.pass$;
  }

  private async passes(): Promise<void> {
    // This pass reads every row there is: a wake-up still waiting would find nothing this one does not.
    this.wake?.cancel();
    this.wake = null;
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (error) {
        // Never crash the app: a pass that could not read its timers is retried by the next wake-up.
        this.readerError = error instanceof Error ? error.message : String(error);
        this.logger.warn({ msg: 'process pass failed', error: this.readerError });
        this.arm(RETRY_BASE_MS * 5);
      }
    } while (this.again && !this.stopped);
  }

  private async pass(): Promise<void> {
    // A read model catching up from far behind (rebuilt for a new version, or after a long stop) holds journeys
    // folded part-way: a stay not yet discharged, a journey not yet closed. The decider, judging an act at its care
    // time, may take it there (a proposal for a stay long since discharged): nothing is done while it is behind.
    const model = await this.ports.checkpoint();
    if (model.state !== 'live' && model.state !== 'external' && BigInt(model.lag) > 0n) {
      this.arm(RETRY_BASE_MS);
      return;
    }
    const reader = this.ports.reader();
    const now = this.clock().getTime();
    const checkpoint = await appliedPosition(reader);
    this.readerError = null;
    for (const [actionId, position] of this.awaitingProjection)
      if (position <= checkpoint) this.awaitingProjection.delete(actionId);
    for (const kind of ORDER) {
      for (const due of await dueActions(reader, kind, now, this.timing)) {
        if (this.stopped) return;
        if (!this.held()) {
          // The lease's renewal is late: look again soon rather than act where another replica may be acting.
          this.arm(RETRY_BASE_MS);
          return;
        }
        if (this.awaitingProjection.has(due.row.actionId)) continue;
        await this.attempt(kind, due.row, due.dueMs, now, checkpoint);
      }
    }
    const next = await nextDueMs(reader, ORDER, now, this.timing);
    const retry = this.nextRetryDelay();
    const untilNext = next === null ? null : Math.max(0, next - now);
    const delays = [untilNext, retry].filter((d): d is number => d !== null);
    if (delays.length > 0) this.arm(Math.min(MAX_TIMER_MS, ...delays));
    else this.arm(null);
  }

  private async attempt(
    kind: ProcessKind,
    row: ProcessActionRow,
    dueMs: number,
    now: number,
    checkpoint: bigint,
  ): Promise<void> {
    const process = PROCESS_OF[kind];
    const counters = this.counters.get(process)!;
    const waiting = this.backoff.get(row.actionId);
    if (waiting && waiting.until > now) return;
    let plan: PlannedAct | Skip;
    try {
      plan = await this.plan(kind, row, dueMs, now);
    } catch (error) {
      this.failed(counters, row, error);
      return;
    }
    if ('skip' in plan) {
      counters.skipped.set(row.actionId, plan.skip);
      return;
    }
    counters.skipped.delete(row.actionId);
    try {
      const { replayed, position } = await this.ports.act(row, process, plan, processKey(row));
      this.awaitingProjection.set(row.actionId, position);
      this.settledAt.delete(row.actionId);
      if (replayed) counters.replayed++;
      else {
        counters.acted++;
        counters.lastActedAt = plan.occurredAt;
      }
      this.backoff.delete(row.actionId);
    } catch (error) {
      if (error instanceof DomainError && SETTLED.has(error.code)) {
        counters.settled++;
        this.backoff.delete(row.actionId);
        const head = await this.ports.checkpoint().then(
          (model) => BigInt(model.headPosition),
          () => checkpoint + 1n,
        );
        // The model had applied the log as far as the refusal (this time, or the last): it is not lagging.
        if ((this.settledAt.get(row.actionId) ?? head) <= checkpoint) {
          // Not a lag: the row would be asked again at every page for ever, and the processes never settle.
          counters.skipped.set(
            row.actionId,
            `refused as settled (${error.code}) though the read model has applied what settled it: the model still owes it`,
          );
        }
        // Its row goes once the read model applies what settled it, at or before the head now: not asked before.
        const settled = head > checkpoint ? head : checkpoint + 1n;
        this.settledAt.set(row.actionId, settled);
        this.awaitingProjection.set(row.actionId, settled);
        return;
      }
      this.failed(counters, row, error);
    }
  }

  private failed(counters: Counters, row: ProcessActionRow, error: unknown): void {
    counters.failed++;
    const code =
      error instanceof DomainError
        ? error.code
        : typeof (error as { code?: unknown }).code === 'string'
          ? String((error as { code: string }).code)
          : null;
    counters.lastError = {
      message: error instanceof Error ? error.message : String(error),
      code,
      actionId: row.actionId,
      at: this.clock().toISOString(),
    };
    const attempts = (this.backoff.get(row.actionId)?.attempts ?? 0) + 1;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1));
    this.backoff.set(row.actionId, { until: this.clock().getTime() + delay, attempts });
    this.logger.warn({ msg: 'process act failed; retried later', ...counters.lastError, retryInMs: delay });
  }

  private nextRetryDelay(): number | null {
    let soonest: number | null = null;
    const now = this.clock().getTime();
    for (const { until } of this.backoff.values()) {
      const delay = Math.max(0, until - now);
      if (soonest === null || delay < soonest) soonest = delay;
    }
    return soonest;
  }

  private async plan(
    kind: ProcessKind,
    row: ProcessActionRow,
    dueMs: number,
    now: number,
  ): Promise<PlannedAct | Skip> {
    const offset = this.config.deadlinePolicy.utcOffsetMinutes;
    switch (kind) {
      case 'referral-reminder':
        return planReminder(row, dueMs, now, offset);
      case 'referral-expiry':
        return planExpiry(row);
      case 'transfer-proposal': {
        const at = Math.min(dueMs, now);
        const contract = await this.ports.contractOn(row.patientId, careDate(at, offset));
        return planProposal(row, dueMs, now, offset, this.ports.institutions(), contract);
      }
      case 'follow-up': {
        const contract = await this.ports.contractOn(row.patientId, row.startAt.slice(0, 10));
        return planFollowUp(row, this.config.processes, offset, this.ports.institutions(), contract);
      }
    }
  }

  /** The next timer: `delayMs` from now (null: none due; external mode still polls for new rows). */
  private arm(delayMs: number | null): void {
    this.timer?.cancel();
    this.timer = null;
    if (this.stopped) return;
    // External mode: no page wakes the manager, so it also looks for new rows every EXTERNAL_POLL_MS.
    const delay = this.ports.inProcess ? delayMs : Math.min(delayMs ?? EXTERNAL_POLL_MS, EXTERNAL_POLL_MS);
    if (delay === null) return;
    this.timer = this.schedule(() => {
      this.timer = null;
      this.kick();
    }, delay);
  }

  /** A pass PAGE_WAKE_MS from now, unless one is waiting already. */
  private wakeSoon(): void {
    if (this.stopped || this.wake) return;
    this.wake = this.schedule(() => {
      this.wake = null;
      this.kick();
    }, PAGE_WAKE_MS);
  }

  /** Each page the projection applies wakes the manager: new rows may be due at once (a discharge, say). */
  private followProjection(after: bigint, generation: number): void {
    if (this.stopped || generation !== this.generation) return;
    // External mode: arm() polls instead.
    const advanced = this.ports.inProcess ? this.ports.advancedPast(after) : null;
    if (advanced === null) return;
    advanced.then(
      (position) => {
        if (generation !== this.generation) return;
        this.wakeSoon();
        this.followProjection(position, generation);
      },
      () => {
        // Failed or stopped: look again later rather than spin; the timers still fire meanwhile.
        this.poll = this.schedule(() => {
          this.poll = null;
          this.followProjection(after, generation);
        }, EXTERNAL_POLL_MS);
      },
    );
  }

  async status(): Promise<ProcessStatus[]> {
    let checkpoint: ProcessStatus['checkpoint'] = null;
    try {
      checkpoint = await this.ports.checkpoint();
    } catch {
      checkpoint = null;
    }
    const now = this.clock().getTime();
    return Promise.all(
      PROCESS_NAMES.map(async (name) => {
        const kinds = ORDER.filter((k) => PROCESS_OF[k] === name);
        const c = this.counters.get(name)!;
        const timers = await this.timers(kinds, now);
        const lastSkip = [...c.skipped.values()].at(-1) ?? null;
        return {
          name,
          enabled: this.enabled,
          running: this.running,
          actorId: `process:${name}`,
          checkpoint,
          dueNow: timers.dueNow,
          nextDueAt: timers.next === null ? null : new Date(timers.next).toISOString(),
          acted: c.acted,
          replayed: c.replayed,
          settled: c.settled,
          skipped: c.skipped.size,
          lastSkipReason: lastSkip,
          failed: c.failed,
          lastError:
            c.lastError ??
            (this.readerError
              ? { message: this.readerError, code: null, actionId: '', at: new Date(now).toISOString() }
              : null),
          lastActedAt: c.lastActedAt,
        };
      }),
    );
  }

  /** What is due now and next among `kinds`; none when the read model cannot be read (the status says why). */
  private async timers(
    kinds: readonly ProcessKind[],
    now: number,
  ): Promise<{ dueNow: number; next: number | null }> {
    try {
      const reader = this.ports.reader();
      const counts = await Promise.all(kinds.map((k) => countDue(reader, k, now, this.timing)));
      return {
        dueNow: counts.reduce((n, c) => n + c, 0),
        next: await nextDueMs(reader, kinds, now, this.timing),
      };
    } catch {
      return { dueNow: 0, next: null };
    }
  }
}

/** The calendar date on the care wall clock (a contract covers whole days there). */
function careDate(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 10);
}
