import { readlinkSync, writeFileSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread from a module given without its extension (`join(__dirname, 'x.worker')`). Compiled, the
 * worker is a sibling .js file and inherits this process's flags (tsconfig-paths); from the TypeScript sources
 * (tests, ts-node) it needs a transpiler of its own. Every worker of CarePath starts here, so the two cases are
 * handled once; from the sources, what ts-node transpiles is kept on disk for the next worker
 * (transpile-cache.register.ts).
 */
export function startWorker(moduleWithoutExtension: string, options: WorkerOptions = {}): Worker {
  const typescript = __filename.endsWith('.ts');
  return new Worker(`${moduleWithoutExtension}.${typescript ? 'ts' : 'js'}`, {
    ...options,
    ...(typescript
      ? {
          execArgv: [
            ...(options.execArgv ?? []),
            '-r',
            'ts-node/register/transpile-only',
            '-r',
            'tsconfig-paths/register',
            '-r',
            join(__dirname, 'transpile-cache.register.ts'),
          ],
        }
      : {}),
  });
}

/**
 * Called by a heavy-work thread (a chain walk, a replay, a long analytics query): the thread yields the CPU to the
 * request loop whenever both want it; its work has a budget, so under a saturated loop it answers 503 rather than
 * hold writes back. On two cores such a thread otherwise competed with every write
 * for a core: write p99 beside the heavy loops went from 2.995x to 1.2-1.6x of writes alone (docs/benchmarks.md,
 * "Isolation"). Linux schedules threads, and /proc/thread-self names this one; elsewhere nothing changes. A rebuild's
 * worker keeps its priority: lowered, a busy request loop starved it, and a damaged read model then stayed
 * unrepaired (test/e2e/health.e2e-spec.ts, the garbage read-model file, timed out every run).
 */
export function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, constants.priority.PRIORITY_LOW);
  } catch {
    // Not Linux, or not allowed: the work still runs, only without the lower priority.
  }
}

/** The names CarePath's threads give themselves, as `top -H`, `ps -L` and /proc/<pid>/task/<tid>/comm show them. */
export const THREAD_NAMES = {
  projections: 'projections',
  heavyWork: 'heavy-work',
  rebuild: 'rebuild',
} as const;

/**
 * Names the calling thread (Linux keeps 15 bytes of it). Every thread of Node is called `node` otherwise, so an
 * operator looking at a busy API could not tell the projection thread from V8's collector threads, nor could the
 * HTTP benchmark split the API's CPU by thread (docs/benchmarks.md, "HTTP commands"). Elsewhere nothing changes.
 */
export function nameThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not Linux, or not allowed: the thread keeps its name.
  }
}
