/*
 * What every benchmark shares: its arguments, a monotonic clock, the machine it ran on, and one way to save a
 * result (bench/results/<name>.json, holding the figures and the Markdown table printed for them, which
 * `npm run bench:report` copies into docs/benchmarks.md so every number there comes from a run).
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export function benchArgs(argv: readonly string[] = process.argv.slice(2)): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) args.set(argv[i]!.replace(/^--/, ''), argv[i + 1] ?? '');
  return args;
}

/**
 * Node's arguments for the API as `npm run start:prod` (what `npm start` runs) gives them, its heap flags included, so
 * a bench measures the API as it is deployed rather than a copy of its command line that could drift from it.
 */
export function apiNodeArgs(root: string): string[] {
  const scripts = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const words = (scripts['start:prod'] ?? '').split(/\s+/).filter((word) => word !== '');
  const node = words.indexOf('node');
  if (node < 0 || words.slice(0, node).some((word) => !/^[A-Z_]+=/.test(word)))
    throw new Error(`package.json start:prod is not "[VAR=value ...] node <args>": ${scripts['start:prod']}`);
  return words.slice(node + 1);
}

/** Milliseconds from a monotonic clock. */
export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * When the bench exits, crashed or stopped (Ctrl-C) too, kills the servers it started and removes its folder: none
 * may be left holding a port or files.
 */
export function cleanUpOnExit(children: ReadonlySet<ChildProcess>, folder: string): void {
  process.on('exit', () => {
    children.forEach((child) => child.kill('SIGKILL'));
    rmSync(folder, { recursive: true, force: true });
  });
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly node: string;
}

export function machine(): Machine {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** a / b rounded to 3 decimals: the ratio every figure is reported as (brief, rule 6). */
export const ratio = (value: number, baseline: number): number =>
  Math.round((value / baseline) * 1000) / 1000;

export const fmt = (n: number): string => Math.round(n).toLocaleString('en');

/** Nearest-rank quantile of an ascending array. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Writes bench/results/<name>.json (figures, machine, date, table) and prints the table with its footer. */
export function saveResult(
  name: string,
  figures: Record<string, unknown>,
  table: string,
  out = 'bench/results',
): void {
  const date = new Date().toISOString();
  const m = machine();
  const footer = `${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}, ${date}`;
  const markdown = `${table.trim()}\n\n${footer}`;
  mkdirSync(out, { recursive: true });
  const file = join(out, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ date, machine: m, ...figures, markdown }, null, 2)}\n`);
  // Results are committed and `npm test` checks their formatting: lists of figures must come out as Prettier has them.
  execFileSync(process.execPath, [
    require.resolve('prettier/bin/prettier.cjs'),
    '--write',
    '--log-level',
    'warn',
    file,
  ]);
  console.log(markdown);
}
