import { setTimeout as delay } from 'node:timers/promises';
import type { ProjectionStatus } from '@carepath/projections';

/** A process as GET /processes reports it (apps/api/src/processes/processes.dto.ts), the fields waited on. */
interface ProcessStatus {
  readonly name: string;
  readonly enabled: boolean;
  readonly checkpoint: { readonly headPosition: string; readonly lag: string; readonly state: string } | null;
  readonly dueNow: number;
  readonly acted: number;
  readonly skipped: number;
  readonly lastSkipReason: string | null;
  readonly failed: number;
  readonly lastError: { readonly message: string; readonly actionId: string } | null;
}

/** What the processes did once let act: acts appended, by process. */
export type ProcessActs = Readonly<Record<string, number>>;

async function get<T>(url: string, token: string): Promise<T> {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok)
    throw new Error(`GET ${new URL(url).pathname} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * Waits until the API's care processes have nothing left to do and every projection has applied what they wrote:
 * every process enabled, none due now, its read model live at the log head, every projection live with no lag, and
 * the log head the same at two looks in a row (an act appended between them starts the wait over). A process
 * that failed an act, or found one it cannot do, fails the wait: the plan gives every act what it needs, so
 * either is a difference from the truth. Polls GET /processes and GET /projections, as an auditor may; gives up
 * after `quietMs` without the log growing.
 */
export async function processesSettled(url: string, token: string, quietMs = 120_000): Promise<ProcessActs> {
  /** The head at the last look that found everything quiet, and the last head seen with when it last moved. */
  let quietAt: string | null = null;
  let seen: string | null = null;
  let since = Date.now();
  for (;;) {
    const { processes } = await get<{ processes: ProcessStatus[] }>(`${url}/processes`, token);
    for (const p of processes) {
      if (!p.enabled) throw new Error(`process ${p.name} is off (PROCESSES=on expected)`);
      if (p.failed > 0)
        throw new Error(
          `process ${p.name} failed ${p.failed} act(s), last ${p.lastError?.actionId}: ${p.lastError?.message}`,
        );
      if (p.skipped > 0)
        throw new Error(`process ${p.name} skipped ${p.skipped} act(s): ${p.lastSkipReason}`);
    }
    const { projections } = await get<{ projections: ProjectionStatus[] }>(`${url}/projections`, token);
    const failed = projections.find((p) => p.state === 'failed');
    if (failed) throw new Error(`projection ${failed.name} failed: ${failed.lastError?.message ?? '?'}`);
    const head = processes[0]?.checkpoint?.headPosition ?? null;
    const quiet =
      processes.every((p) => p.dueNow === 0 && p.checkpoint?.state === 'live' && p.checkpoint.lag === '0') &&
      projections.every((p) => p.state === 'live' && p.lag === '0');
    if (quiet && head !== null && head === quietAt)
      return Object.fromEntries(processes.map((p) => [p.name, p.acted]));
    quietAt = quiet ? head : null;
    if (head !== seen) {
      seen = head;
      since = Date.now();
    } else if (Date.now() - since > quietMs) {
      throw new Error(`the processes did not settle within ${quietMs} ms: ${JSON.stringify(processes)}`);
    }
    await delay(100);
  }
}

/**
 * The API's environment once the plan is recorded: processes on, and no late-entry grace (docs/operations.md,
 * "Processes"): the whole plan was entered minutes ago with care times long past, and every decision it has is
 * recorded, so the processes may expire what is left undecided at once rather than an hour after its entry.
 */
export const ACTING_ENV: Readonly<Record<string, string>> = {
  PROCESSES: 'on',
  REFERRAL_LATE_ENTRY_GRACE_MINUTES: '0',
};
