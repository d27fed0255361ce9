import { progressBar as progress } from '@carepath/runtime';
import { simulationArgs, USAGE } from './command-line';
import { groundTruth, HELD_BED_RULES, type HeldBedRule, summary } from './ground-truth';
import { figureCount } from './oracle-comparison';
import { runOracle } from './oracle-run';
import { makePlan } from './simulation.plan';

/**
 * npm run simulate:oracle -- --preset chaoyang-2023 --scale 0.02 --seed 7 [--held-bed-rule held-bed] [--late-share 0.1]
 * Runs the simulation over HTTP into the built API (dist/) started on a temporary database with its care processes
 * off, waits for its projections, restarts it with the processes on until they have nothing left to do (see
 * runOracle), stops it, compares every figure of the ground truth with what the read models it left report,
 * rebuilds them from the log and compares again. The API counts a patient away from a held bed by the rule
 * given (HELD_BED_RULE; default `physical`), and the truth is computed for the same rule. Exit status 1 on any
 * difference, 2 on bad usage.
 */
async function main(argv: readonly string[]): Promise<number> {
  const args = simulationArgs(argv, ['held-bed-rule']);
  const rule = args?.options.get('held-bed-rule') ?? 'physical';
  if (!args || !HELD_BED_RULES.includes(rule as HeldBedRule)) {
    console.error(
      `Usage: npm run simulate:oracle -- ${USAGE} [--held-bed-rule <${HELD_BED_RULES.join('|')}>]`,
    );
    return 2;
  }
  const { preset, scale, seed, concurrency } = args;
  const plan = makePlan(preset, scale, seed, args.plan);
  const truth = groundTruth(plan, rule as HeldBedRule);
  const report = await runOracle(plan, truth, { concurrency, onProgress: progress('journey commands') });
  process.stderr.write('\n');
  const { commands, events, logBytes, live, rebuilt, ms } = report;
  console.log(
    `${preset.name} at scale ${scale}, seed ${seed}, held-bed rule ${rule}: ${plan.journeys.length} journeys, ${commands} commands over HTTP in ${seconds(ms.run)} s (${Math.round(commands / (ms.run / 1000))}/s; API started in ${seconds(ms.start)} s)`,
  );
  for (const line of summary(plan, truth)) console.log(`  ${line}`);
  // What the log holds after the run: the figures docs/scaling.md sizes a province from.
  console.log(
    `  log: ${events} events (${(events / plan.journeys.length).toFixed(2)} per journey, ${(events / commands).toFixed(2)} per command), ${(logBytes / 2 ** 20).toFixed(1)} MB on disk (${Math.round(logBytes / events)} bytes per event)`,
  );
  const acts = Object.entries(report.acts).map(([name, n]) => `${name} ${n}`);
  console.log(
    `  processes, restarted on once the plan was recorded: ${acts.join(', ')} acts in ${seconds(ms.processes)} s, nothing left due`,
  );
  const figures = figureCount(truth);
  console.log(
    `live:          ${figures} figures over ${plan.months.length} months compared, ${live.length} differ (caught up, API stopped, read models compared in ${seconds(ms.live)} s)`,
  );
  console.log(
    `after rebuild: ${figures} figures compared, ${rebuilt.length} differ (rebuilt by the lib and compared in ${seconds(ms.rebuild)} s)`,
  );
  const all = [...live.map((d) => `live: ${d}`), ...rebuilt.map((d) => `rebuilt: ${d}`)];
  for (const line of all.slice(0, 40)) console.log(`  ${line}`);
  if (all.length > 40) console.log(`  ... and ${all.length - 40} more`);
  console.log(all.length === 0 ? 'OK: every projection equals the ground truth' : 'FAILED');
  return all.length === 0 ? 0 : 1;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
