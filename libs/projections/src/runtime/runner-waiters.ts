import type { ProjectionError, ProjectionState, ProjectionStatus, RebuildOutcome } from './projection-runner';

/**
 * Callers waiting for a projection to reach a log position (read-your-writes): what both runners, on files and on
 * PostgreSQL, keep, release as their checkpoint moves, and reject when they fail or stop.
 */
export class PositionWaiters {
  private waiting: { position: bigint; resolve: () => void; reject: (e: Error) => void }[] = [];

  /** Resolves once `reached` has been called with `position` or beyond. */
  wait(position: bigint): Promise<void> {
    return new Promise((resolve, reject) => this.waiting.push({ position, resolve, reject }));
  }

  /** Resolves every wait for `position` or before. */
  reached(position: bigint): void {
    const ready = this.waiting.filter((w) => w.position <= position);
    if (ready.length === 0) return;
    this.waiting = this.waiting.filter((w) => w.position > position);
    for (const w of ready) w.resolve();
  }

  /** Rejects every wait with `message`. */
  rejectAll(message: string): void {
    for (const w of this.waiting.splice(0)) w.reject(new Error(message));
  }
}

/** Backoff after a transient failure: `baseMs` doubled at each failed attempt, at most `maxMs` (250 ms, 30 s). */
export function retryDelayMs(
  attempts: number,
  retry?: { readonly baseMs?: number; readonly maxMs?: number },
): number {
  const base = retry?.baseMs ?? 250;
  const max = retry?.maxMs ?? 30_000;
  return Math.min(max, base * 2 ** Math.min(attempts - 1, 30));
}

/** A runner's status from what it knows, the lag worked out the same way by both runners. */
export function runnerStatus(parts: {
  readonly name: string;
  readonly version: number;
  readonly generation: number;
  readonly state: ProjectionState;
  readonly position: bigint;
  readonly head: bigint;
  readonly events: number;
  readonly lastError: ProjectionError | null;
  readonly rebuild: {
    readonly generation: number;
    readonly position: bigint;
    readonly where: 'worker' | 'in-process';
  } | null;
  readonly lastRebuild: RebuildOutcome | null;
  readonly retry: { readonly attempt: number; readonly delayMs: number; readonly at: string } | null;
}): ProjectionStatus {
  const head = parts.head > parts.position ? parts.head : parts.position;
  return {
    name: parts.name,
    version: parts.version,
    generation: parts.generation,
    state: parts.state,
    position: parts.position.toString(),
    headPosition: head.toString(),
    lag: (head - parts.position).toString(),
    eventsApplied: parts.events,
    lastError: parts.lastError,
    rebuild: parts.rebuild ? { ...parts.rebuild, position: parts.rebuild.position.toString() } : null,
    lastRebuild: parts.lastRebuild,
    retry: parts.retry
      ? { attempt: parts.retry.attempt, delayMs: parts.retry.delayMs, at: parts.retry.at }
      : null,
  };
}
