import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../api/src/app.setup';
import { loadConfig } from '@carepath/runtime';
import { EVENT_STORE } from '../../api/src/store/tokens';
import type { EventStore } from '@carepath/event-store';
import { BusCommandSink } from './command-sink';
import { progressBar as progress } from '@carepath/runtime';
import { simulationArgs, USAGE } from './command-line';
import { groundTruth, HELD_BED_RULES, type HeldBedRule, summary } from './ground-truth';
import { compareWithTruth, figureCount, projectionsCaughtUp, rebuildProjections } from './oracle-comparison';
import { makePlan } from './simulation.plan';
import { SimulationRunner } from './simulation.runner';

/**
 * npm run simulate:oracle -- --preset chaoyang-2023 --scale 0.02 --seed 7 [--held-bed-rule held-bed] [--late-share 0.1]
 * Runs the simulation into a temporary database, waits for the projections, compares every figure of the ground
 * truth with what the projections report, rebuilds them all from the log and compares again. The app counts a
 * patient away from a held bed by the rule given (HELD_BED_RULE; default `physical`), and the truth is computed
 * for the same rule. Exit status 1 on any difference, 2 on bad usage.
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
  const folder = mkdtempSync(join(tmpdir(), 'carepath-oracle-'));
  const app = await createApp(
    {
      ...loadConfig({}),
      databaseFile: join(folder, 'carepath.db'),
      readModelDir: join(folder, 'read-models'),
      // The truth is computed for this census; the projections are waited for, however long they take.
      censusTimeZone: truth.census.timeZone,
      heldBedRule: truth.census.heldBedRule,
      projectedWaitMs: 10 * 60_000,
    },
    { logger: false },
  );
  try {
    await app.init();
    const runner = new SimulationRunner(new BusCommandSink(app), concurrency);
    let started = Date.now();
    await runner.run(plan, progress('journey commands'));
    process.stderr.write('\n');
    console.log(
      `${preset.name} at scale ${scale}, seed ${seed}, held-bed rule ${rule}: ${plan.journeys.length} journeys, ${runner.commands} commands in ${seconds(started)} s`,
    );
    for (const line of summary(plan, truth)) console.log(`  ${line}`);
    // What the log holds after the run: the figures docs/scaling.md sizes a province from.
    const events = Number(await app.get<EventStore>(EVENT_STORE).headPosition());
    const bytes = statSync(join(folder, 'carepath.db')).size + walSize(join(folder, 'carepath.db-wal'));
    console.log(
      `  log: ${events} events (${(events / plan.journeys.length).toFixed(2)} per journey, ${(events / runner.commands).toFixed(2)} per command), ${(bytes / 2 ** 20).toFixed(1)} MB on disk (${Math.round(bytes / events)} bytes per event)`,
    );
    started = Date.now();
    await projectionsCaughtUp(app);
    const figures = figureCount(truth);
    const live = compareWithTruth(app, truth);
    console.log(
      `live:          ${figures} figures over ${plan.months.length} months compared, ${live.length} differ (caught up and compared in ${seconds(started)} s)`,
    );
    started = Date.now();
    await rebuildProjections(app);
    const rebuilt = compareWithTruth(app, truth);
    console.log(
      `after rebuild: ${figures} figures compared, ${rebuilt.length} differ (rebuilt and compared in ${seconds(started)} s)`,
    );
    const all = [...live.map((d) => `live: ${d}`), ...rebuilt.map((d) => `rebuilt: ${d}`)];
    for (const line of all.slice(0, 40)) console.log(`  ${line}`);
    if (all.length > 40) console.log(`  ... and ${all.length - 40} more`);
    console.log(all.length === 0 ? 'OK: every projection equals the ground truth' : 'FAILED');
    return all.length === 0 ? 0 : 1;
  } finally {
    await app.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

const walSize = (file: string) => (existsSync(file) ? statSync(file).size : 0);

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
