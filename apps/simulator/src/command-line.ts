import { DEFAULT_PLAN_OPTIONS, type PlanOptions, type Preset, PRESETS } from './simulation.plan';

export const USAGE = `--preset <${Object.keys(PRESETS).join('|')}> --scale <0..1] --seed <n> [--concurrency <n>] [--late-share <0..1>, default ${DEFAULT_PLAN_OPTIONS.lateShare}]`;

/** `--name value` pairs of the simulator's command lines; null when one is unknown or out of range. */
export function simulationArgs(
  argv: readonly string[],
  extra: readonly string[],
): {
  preset: Preset;
  scale: number;
  seed: number;
  concurrency: number;
  /** How the plan is recorded: `--late-share`, the share of surgeries, moves and earlier stays entered late. */
  plan: PlanOptions;
  options: Map<string, string>;
} | null {
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) options.set(argv[i]!.replace(/^--/, ''), argv[i + 1] ?? '');
  const known = ['preset', 'scale', 'seed', 'concurrency', 'late-share', ...extra];
  const preset = PRESETS[options.get('preset') ?? 'chaoyang-2023'];
  const scale = Number(options.get('scale') ?? '0.01');
  const seed = Number(options.get('seed') ?? '1');
  const concurrency = Number(options.get('concurrency') ?? '8');
  const lateShare = Number(options.get('late-share') ?? String(DEFAULT_PLAN_OPTIONS.lateShare));
  if (
    !preset ||
    !(scale > 0 && scale <= 1) ||
    !Number.isInteger(seed) ||
    !(Number.isInteger(concurrency) && concurrency >= 1) ||
    !(lateShare >= 0 && lateShare <= 1) ||
    [...options.keys()].some((name) => !known.includes(name))
  ) {
    return null;
  }
  return { preset, scale, seed, concurrency, plan: { lateShare }, options };
}

/** A progress bar on stderr, redrawn every 1% or so. */
export function progress(what: string): (done: number, total: number) => void {
  return (done, total) => {
    if (done % Math.max(1, Math.floor(total / 100)) !== 0 && done !== total) return;
    const bar = '#'.repeat(Math.round((done / total) * 30)).padEnd(30, '.');
    process.stderr.write(`\r${what} [${bar}] ${done}/${total}`);
  };
}
