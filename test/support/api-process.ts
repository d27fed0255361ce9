import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
export { freePort } from '@carepath/runtime';

const ROOT = resolve(__dirname, '../..');

/**
 * Transpiles apps/ and libs/ into `outDir` (as ts-node's transpile-only mode would, file by file, with the project's
 * compiler options), once: a spec that restarts the API many times then starts plain JavaScript each time, in about
 * a second, rather than transpiling the whole API (and its worker threads) again on every start.
 */
export function transpileApi(outDir: string): string {
  const parsed = ts.parseJsonConfigFileContent(
    ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path)).config,
    ts.sys,
    ROOT,
  );
  const options = { ...parsed.options, sourceMap: false, inlineSourceMap: false, declaration: false };
  const walk = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
    });
  for (const file of [...walk(join(ROOT, 'apps')), ...walk(join(ROOT, 'libs'))]) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: options,
      fileName: file,
    });
    const target = join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  return outDir;
}

/** One of the project's programs in a process of its own, so a spec can SIGKILL it. */
export interface AppProcess {
  readonly child: ChildProcess;
  /** The last 8 kB of its stderr, for failure messages. */
  stderr(): string;
  /** Resolves once the process has exited, with its signal or code. */
  readonly exited: Promise<string>;
}

/** The real API in a process of its own, so a spec can SIGKILL it. */
export interface ApiProcess extends AppProcess {
  readonly url: string;
}

/**
 * Starts the API transpiled by transpileApi into `build`, with `env`, on `port` (as `npm run start:prod` starts
 * dist/), and resolves once it logs that it listens (its JSON log line on stdout: an event, so nothing polls).
 * Rejects with its stderr if it exits first.
 */
export async function startApiProcess(
  build: string,
  port: number,
  env: Readonly<Record<string, string>>,
): Promise<ApiProcess> {
  const app = await startBuilt(build, 'apps/api/src/main.js', 'CarePath API listening', {
    // As in startTestApp: specs record care months ago, which running processes would expire at once while the
    // spec still acts on it. A spec of processes passes PROCESSES=on.
    PROCESSES: 'off',
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
  });
  return { ...app, url: `http://127.0.0.1:${port}` };
}

/** Starts apps/projector from `build` with `env`; resolves once it logs that it runs. */
export function startProjectorProcess(
  build: string,
  env: Readonly<Record<string, string>>,
): Promise<AppProcess> {
  return startBuilt(build, 'apps/projector/src/main.js', 'projector running', env);
}

/**
 * Runs the operators' projections CLI (apps/projector/src/cli.ts) from `build` to its end: its code and output. Not
 * spawnSync: a protocol double serving the CLI may live in this very process, and must keep answering meanwhile.
 */
export function runProjectionsCli(
  build: string,
  env: Readonly<Record<string, string>>,
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['-r', 'tsconfig-paths/register', join(build, 'apps/projector/src/cli.js'), ...args],
    { cwd: ROOT, env: builtEnv(build, env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** The environment a program from `build` runs with. */
function builtEnv(build: string, env: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...env,
    // tsconfig-paths maps @carepath/* under the build rather than the sources.
    TS_NODE_BASEURL: build,
    // The build lives outside the project: its packages are the project's.
    NODE_PATH: join(ROOT, 'node_modules'),
    LOG_FORMAT: 'json',
  };
}

function startBuilt(
  build: string,
  main: string,
  ready: string,
  env: Readonly<Record<string, string>>,
): Promise<AppProcess> {
  const child = spawn(process.execPath, ['-r', 'tsconfig-paths/register', join(build, main)], {
    cwd: ROOT,
    env: builtEnv(build, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-8192);
  });
  const exited = new Promise<string>((done) =>
    child.once('exit', (code, signal) => done(signal ?? `exit code ${String(code)}`)),
  );
  const app: AppProcess = { child, stderr: () => tail, exited };
  return new Promise((done, fail) => {
    let pending = '';
    child.stdout.setEncoding('utf8');
    // Read every line (request logs included) so the pipe never fills and stalls the process.
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (lines.some((line) => line.includes(ready))) done(app);
    });
    void exited.then((how) => fail(new Error(`${main} exited (${how}) before it was ready:\n${tail}`)));
  });
}

/** A JSON request to an API process, as `who` (the headers of `as(...)`); its status and parsed body. */
export async function callApi(
  api: ApiProcess,
  method: string,
  path: string,
  who: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...who },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Kills whichever of `processes` still run, and waits for them to be gone. */
export async function killAll(...processes: (AppProcess | null | undefined)[]): Promise<void> {
  for (const p of processes) {
    if (p && p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
}
