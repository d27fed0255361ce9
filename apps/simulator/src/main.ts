import { writeFileSync } from 'node:fs';
import { createApp } from '../../api/src/app.setup';
import { loadConfig } from '../../api/src/config/app-config';
import { groundTruth } from './ground-truth';
import { makePlan, PRESETS } from './simulation.plan';
import { SimulationRunner } from './simulation.runner';

/**
 * npm run simulate -- --preset chaoyang-2023 --scale 0.01 --seed 1 [--truth truth.json]
 * Writes the generated city and journeys through the real command path into the configured store
 * (DATABASE_FILE or EVENT_STORE=esdb), then the ground truth it knows to a JSON file.
 */
async function main(argv: readonly string[]): Promise<number> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) args.set(argv[i]!.replace(/^--/, ''), argv[i + 1] ?? '');
  const preset = PRESETS[args.get('preset') ?? 'chaoyang-2023'];
  const scale = Number(args.get('scale') ?? '0.01');
  const seed = Number(args.get('seed') ?? '1');
  if (!preset || !(scale > 0 && scale <= 1) || !Number.isInteger(seed)) {
    console.error(
      `Usage: npm run simulate -- --preset <${Object.keys(PRESETS).join('|')}> --scale <0..1] --seed <n> [--truth <file>]`,
    );
    return 2;
  }
  const plan = makePlan(preset, scale, seed);
  const truth = groundTruth(plan);
  const app = await createApp(loadConfig(), { logger: false });
  await app.init();
  const runner = new SimulationRunner(app);
  const started = Date.now();
  try {
    await runner.run(plan, (done, total) => {
      if (done % 25 === 0 || done === total) {
        const bar = '#'.repeat(Math.round((done / total) * 30)).padEnd(30, '.');
        process.stderr.write(`\rjourneys [${bar}] ${done}/${total}`);
      }
    });
    process.stderr.write('\n');
  } finally {
    await app.close();
  }
  const file = args.get('truth') ?? `truth-${preset.name}-${scale}-${seed}.json`;
  writeFileSync(file, `${JSON.stringify({ preset: preset.name, scale, seed, ...truth }, null, 2)}\n`);
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `${plan.journeys.length} journeys, ${runner.commands} commands in ${seconds.toFixed(1)} s; ground truth in ${file}`,
  );
  console.log(
    `referrals up ${truth.referrals.up}, down ${truth.referrals.down}; visits ${truth.visits.total} (${truth.visits.community} at community centres)`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
