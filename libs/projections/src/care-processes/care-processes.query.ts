import type { SqlReader } from '../runtime/sql-reader';
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
 * The larger of two integer expressions: SQLite's two-argument MAX is PostgreSQL's GREATEST (each lacks the other's),
 * and both take NULL for NULL in the COALESCEs the callers wrap their operands in.
 */
const greatest = (dialect: SqlReader['dialect'], a: string, b: string): string =>
  dialect === 'postgres' ? `GREATEST(${a}, ${b})` : `MAX(${a}, ${b})`;

/**
 * An expression's value with its fraction dropped, toward zero: SQLite's CAST to INTEGER truncates, PostgreSQL's to
 * BIGINT rounds, so PostgreSQL truncates first. A reminder falls due at the same millisecond on both stores.
 */
const truncated = (dialect: SqlReader['dialect'], expression: string): string =>
  dialect === 'postgres' ? `CAST(TRUNC(${expression}) AS BIGINT)` : `CAST(${expression} AS INTEGER)`;

/**
 * The due time of a row of `kind`, as SQL over its columns (parameters: `timing` as `dueParams` gives them), in the
 * reader's dialect. A reminder is due at the fraction of its time to decision, and only before the deadline: past
 * it, the expiry acts.
 */
function dueSql(
  kind: ProcessKind,
  dialect: SqlReader['dialect'],
): { readonly due: string; readonly extra: string } {
  switch (kind) {
    case 'referral-reminder':
      return {
        // The fraction is cast so that PostgreSQL does not take it for a BIGINT from the column it multiplies.
        due: `start_ms + ${truncated(dialect, '(deadline_ms - start_ms) * CAST(@fraction AS DOUBLE PRECISION)')}`,
        extra: 'AND deadline_ms > @now',
      };
    case 'referral-expiry':
      // A request entered after its deadline had passed (a late entry, history typed in from paper) is not expired
      // the moment it is recorded: its decision may be the next thing entered. Live requests, recorded as they are
      // made, have deadlines hours or days away and are expired at the deadline.
      return { due: greatest(dialect, 'deadline_ms', 'COALESCE(recorded_ms, 0) + @grace'), extra: '' };
    case 'transfer-proposal':
      // Not before a downward referral or an earlier proposal of the stay, open at the end of the stable period, has
      // ended (care-processes.projection.ts, transferDue): the decider would refuse it then.
      return { due: greatest(dialect, 'start_ms + @stable', 'COALESCE(not_before_ms, 0)'), extra: '' };
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
 * by default: a limit would let rows that cannot be acted on (skipped) hold back the ones after them.
 */
export async function dueActions(
  reader: SqlReader,
  kind: ProcessKind,
  now: number,
  timing: ProcessTiming,
  limit?: number,
): Promise<DueAction[]> {
  const { due, extra } = dueSql(kind, reader.dialect);
  const rows = (await reader.all(
    `SELECT *, ${due} AS due_ms FROM process_actions WHERE kind = @kind AND ${due} <= @now ${extra}
       ORDER BY due_ms, action_id${limit === undefined ? '' : ' LIMIT @limit'}`,
    { ...params(timing, now), kind, ...(limit === undefined ? {} : { limit }) },
  )) as { due_ms: number }[];
  return rows.map((stored) => ({ row: processActionsTable.read(stored), dueMs: stored.due_ms }));
}

/** How many rows of `kind` are due by `now`. */
export async function countDue(
  reader: SqlReader,
  kind: ProcessKind,
  now: number,
  timing: ProcessTiming,
): Promise<number> {
  const { due, extra } = dueSql(kind, reader.dialect);
  const [row] = (await reader.all(
    `SELECT COUNT(*) AS n FROM process_actions WHERE kind = @kind AND ${due} <= @now ${extra}`,
    { ...params(timing, now), kind },
  )) as { n: number }[];
  return row?.n ?? 0;
}

/** The earliest due time after `now` among `kinds`, or null when no timer is pending. */
export async function nextDueMs(
  reader: SqlReader,
  kinds: readonly ProcessKind[],
  now: number,
  timing: ProcessTiming,
): Promise<number | null> {
  let next: number | null = null;
  for (const kind of kinds) {
    const { due } = dueSql(kind, reader.dialect);
    const extra = kind === 'referral-reminder' ? `AND deadline_ms > ${due}` : '';
    const [row] = (await reader.all(
      `SELECT MIN(${due}) AS due_ms FROM process_actions WHERE kind = @kind AND ${due} > @now ${extra}`,
      { ...params(timing, now), kind },
    )) as { due_ms: number | null }[];
    const dueMs = row?.due_ms ?? null;
    if (dueMs !== null && (next === null || dueMs < next)) next = dueMs;
  }
  return next;
}

/** The log position the read model has applied: the runner's checkpoint row, committed with the rows. */
export async function appliedPosition(reader: SqlReader): Promise<bigint> {
  // As text: a log position (EventStoreDB's commit position) need not fit a double, as the readers' integers do.
  const [row] = (await reader.all(
    'SELECT CAST(position AS TEXT) AS position FROM checkpoint WHERE id = 1',
  )) as {
    position: string;
  }[];
  return BigInt(row?.position ?? 0);
}
