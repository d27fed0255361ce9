import type Database from 'better-sqlite3';
import { preparedOn } from '../runtime/sql-reader';
import { type ProcessActionRow, type ProcessKind, processActionsTable } from './care-processes.projection';

/** How long each timer runs, from configuration (changing it moves the due times of rows already there). */
export interface ProcessTiming {
  /** Share of the time to decision after which an undecided referral is reminded (0-1). */
  readonly reminderFraction: number;
  /** From surgery to the transfer proposal, in ms. */
  readonly transferStableMs: number;
  /** The least time between recording a referral's request and its expiry by a process, in ms. */
  readonly lateEntryGraceMs: number;
}

/** A pending act and when it falls due (epoch ms): the care time the act is recorded at. */
export interface DueAction {
  readonly row: ProcessActionRow;
  readonly dueMs: number;
}

/**
 * The due time of a row of `kind`, as SQL over its columns (parameters: `timing` as `dueParams` gives them). A
 * reminder is due at the fraction of its time to decision, and only before the deadline: past it, the expiry acts.
 */
function dueSql(kind: ProcessKind): { readonly due: string; readonly extra: string } {
  switch (kind) {
    case 'referral-reminder':
      return {
        due: 'start_ms + CAST((deadline_ms - start_ms) * @fraction AS INTEGER)',
        extra: 'AND deadline_ms > @now',
      };
    case 'referral-expiry':
      // A request entered after its deadline had passed (a late entry, history typed in from paper) is not expired
      // the moment it is recorded: its decision may be the next thing entered. Live requests, recorded as they are
      // made, have deadlines hours or days away and are expired at the deadline.
      return { due: 'MAX(deadline_ms, COALESCE(recorded_ms, 0) + @grace)', extra: '' };
    case 'transfer-proposal':
      // Not before a downward referral or an earlier proposal of the stay, open at the end of the stable period, has
      // ended (care-processes.projection.ts, transferDue): the decider would refuse it then.
      return { due: 'MAX(start_ms + @stable, COALESCE(not_before_ms, 0))', extra: '' };
    case 'follow-up':
      return { due: 'start_ms', extra: '' };
  }
}

const params = (timing: ProcessTiming, now: number) => ({
  fraction: timing.reminderFraction,
  stable: timing.transferStableMs,
  grace: timing.lateEntryGraceMs,
  now,
});

/**
 * Rows of `kind` due by `now`, earliest first (then by id, so every run takes them in the same order); all of them
 * by default (`limit` -1): a limit would let rows that cannot be acted on (skipped) hold back the ones after them.
 */
export function dueActions(
  db: Database.Database,
  kind: ProcessKind,
  now: number,
  timing: ProcessTiming,
  limit = -1,
): DueAction[] {
  const { due, extra } = dueSql(kind);
  return (
    preparedOn(
      db,
      `SELECT *, ${due} AS due_ms FROM process_actions WHERE kind = @kind AND ${due} <= @now ${extra}
         ORDER BY due_ms, action_id LIMIT @limit`,
    ).all({ ...params(timing, now), kind, limit }) as { due_ms: number }[]
  ).map((stored) => ({ row: processActionsTable.read(stored), dueMs: stored.due_ms }));
}

/** How many rows of `kind` are due by `now`. */
export function countDue(
  db: Database.Database,
  kind: ProcessKind,
  now: number,
  timing: ProcessTiming,
): number {
  const { due, extra } = dueSql(kind);
  const row = preparedOn(
    db,
    `SELECT COUNT(*) AS n FROM process_actions WHERE kind = @kind AND ${due} <= @now ${extra}`,
  ).get({ ...params(timing, now), kind }) as { n: number };
  return row.n;
}

/** The earliest due time after `now` among `kinds`, or null when no timer is pending. */
export function nextDueMs(
  db: Database.Database,
  kinds: readonly ProcessKind[],
  now: number,
  timing: ProcessTiming,
): number | null {
  let next: number | null = null;
  for (const kind of kinds) {
    const { due } = dueSql(kind);
    const extra = kind === 'referral-reminder' ? `AND deadline_ms > ${due}` : '';
    const row = preparedOn(
      db,
      `SELECT MIN(${due}) AS due_ms FROM process_actions WHERE kind = @kind AND ${due} > @now ${extra}`,
    ).get({ ...params(timing, now), kind }) as { due_ms: number | null };
    if (row.due_ms !== null && (next === null || row.due_ms < next)) next = row.due_ms;
  }
  return next;
}
