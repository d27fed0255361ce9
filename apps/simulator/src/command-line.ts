import { HelpRequested, parseCommandLine, UsageError } from '@carepath/runtime';
import { HELD_BED_RULES } from './ground-truth';
import { DEFAULT_PLAN_OPTIONS, type PlanOptions, type Preset, PRESETS } from './simulation.plan';

export const USAGE = `--preset <${Object.keys(PRESETS).join('|')}> --scale <0..1> --seed <n> [--concurrency <n>] [--late-share <0..1>, default ${DEFAULT_PLAN_OPTIONS.lateShare}]`;

/** The options some of the simulator's programs add to the common ones, as their usage shows them. */
const EXTRA_USAGE: Readonly<Record<string, string>> = {
  truth: '[--truth <file>]',
  url: '[--url <http://host:port>]',
  token: '[--token <jwt>]',
  'held-bed-rule': `[--held-bed-rule <${HELD_BED_RULES.join('|')}>]`,
};

/**
 * `--name value` options of the simulator's command lines (node:util parseArgs, strict); null when one is unknown,
 * has no value or is out of range. `--help` or `-h` prints the options on stdout and exits 0.
 */
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
  const names = ['preset', 'scale', 'seed', 'concurrency', 'late-share', ...extra];
  let values: Record<string, string | undefined>;
  try {
    values = parseCommandLine(argv, {
      options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
    }).values;
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(
        `Options: ${USAGE} ${extra.map((name) => EXTRA_USAGE[name] ?? `[--${name} <value>]`).join(' ')}\n`,
      );
      process.exit(0);
    }
    if (error instanceof UsageError) return null;
    throw error;
  }
  const options = new Map(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
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
    !(lateShare >= 0 && lateShare <= 1)
  ) {
    return null;
  }
  return { preset, scale, seed, concurrency, plan: { lateShare }, options };
}
