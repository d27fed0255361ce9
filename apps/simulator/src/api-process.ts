import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, STARTUP_FLAGS } from '@carepath/runtime';

/** The API in a child process, answering on `url`. */
export interface ApiProcess {
  readonly url: string;
  /** `error`, with the last 8 kB the API wrote on stderr (why it crashed, say) when it wrote any. */
  explain(error: unknown): Error;
  /** SIGTERM, then waits for the API to close its store and read models and exit. */
  stop(): Promise<void>;
}

export interface ApiProcessOptions {
  /** Environment of the API on top of this process's own (DATABASE_FILE, EVENT_STORE, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The compiled tree holding apps/api/src/main.js, as `npm run build` writes it to dist/. By default the tree this
   * file was compiled into, so `npm run simulate` starts the API it was built with.
   */
  readonly build?: string;
  /** How long the API may take to answer `/health/ready` with 200, in ms. */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts the API as `npm run start:prod` does (node with its start-up heap flags, -r tsconfig-paths/register, and
 * TS_NODE_BASEURL at the build), with this process's environment, on a free port of 127.0.0.1, and resolves once
 * `/health/ready` answers 200:
 * the store takes writes and the projections run. Rejects with the API's output if it exits or is not ready first.
 */
export async function startApiProcess(options: ApiProcessOptions = {}): Promise<ApiProcess> {
  const build = options.build ?? resolve(__dirname, '../../..');
  const main = join(build, 'apps/api/src/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build the API first (npm run build)`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...STARTUP_FLAGS, '-r', 'tsconfig-paths/register', main], {
    env: { ...process.env, ...options.env, TS_NODE_BASEURL: build, PORT: String(port), HOST: '127.0.0.1' },
    // Its log of every request (stdout) is not this program's output; what it says on failing (stderr) is kept.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-8192);
  });
  // How the process ended, once it has: set by the exit event, read by the loops below.
  const ended: { how: string | null } = { how: null };
  const exited = new Promise<string>((done) =>
    child.once('exit', (code, signal) => done((ended.how = signal ?? `exit code ${String(code)}`))),
  );
  const api: ApiProcess = {
    url,
    explain: (error) =>
      tail === ''
        ? error instanceof Error
          ? error
          : new Error(String(error))
        : new Error(`${String(error)}\nThe API's stderr:\n${tail}`, { cause: error }),
    async stop() {
      if (ended.how === null) child.kill('SIGTERM');
      // Unreferenced: once the API has exited, this timer must not keep the caller's process alive for a minute.
      const how = await Promise.race([exited, delay(60_000, null, { ref: false })]);
      if (how === null) {
        child.kill('SIGKILL');
        throw new Error(`The API did not stop within 60 s of SIGTERM:\n${tail}`);
      }
      // Nest closes the app on SIGTERM and then ends the process by the same signal.
      if (how !== 'SIGTERM' && how !== 'exit code 0') throw new Error(`The API ended by ${how}:\n${tail}`);
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (ended.how !== null) throw new Error(`The API exited (${ended.how}) before it was ready:\n${tail}`);
    const status = await fetch(`${url}/health/ready`).then(
      (response) => response.status,
      () => null, // Not listening yet.
    );
    if (status === 200) return api;
    if (Date.now() > deadline) {
      await api.stop().catch(() => undefined);
      throw new Error(`The API was not ready within ${options.readyTimeoutMs ?? 120_000} ms:\n${tail}`);
    }
    await delay(100);
  }
}
