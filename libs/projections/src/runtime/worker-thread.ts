import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread from a module given without its extension (`join(__dirname, 'x.worker')`). Compiled, the
 * worker is a sibling .js file and inherits this process's flags (tsconfig-paths); from the TypeScript sources
 * (tests, ts-node) it needs a transpiler of its own. Every worker of CarePath starts here, so the two cases are
 * handled once.
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
          ],
        }
      : {}),
  });
}
