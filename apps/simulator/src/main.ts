import { writeFileSync } from 'node:fs';
import { loadConfig, progressBar as progress } from '@carepath/runtime';
import { type ApiProcess, startApiProcess } from './api-process';
import { groundTruth, HELD_BED_RULES, type HeldBedRule, summary } from './ground-truth';
import { HttpCommandSink } from './http-command-sink';
import { simulationArgs, USAGE } from './command-line';
import { ACTING_ENV, processesSettled } from './processes-settled';
import { devToken, SIMULATOR } from './service-account';
import { makePlan } from './simulation.plan';
import { SimulationRunner } from './simulation.runner';

/**
 * npm run simulate -- --preset chaoyang-2023 --scale 0.01 --seed 1 [--truth truth.json] [--url http://host:port]
 *   [--held-bed-rule held-bed] [--late-share 0.1]
 * Writes the generated city and journeys over HTTP, to a running server (`--url`) or else to the built API
 * (dist/, `npm run build`) started here as a child process on the configured store (DATABASE_FILE or
 * EVENT_STORE=esdb, this process's environment) and stopped at the end, then the ground truth it knows
 * to a JSON file, its ward figures for the held-bed rule given (default `physical`; the rule the figures will be
 * read with, HELD_BED_RULE of the server that reads them: it plays no part in what is written). `--late-share`: the
 * share of surgeries, ward moves and earlier stays entered after the discharge they precede (default 0.1; it
 * changes when facts are entered, never the truth). The API started here records the plan with its care processes
 * off, then is restarted with them on until they have nothing left to do (oracle-run.ts says why); a server given
 * by `--url` should run with PROCESSES=off while the plan is sent, and be restarted with them on afterwards.
 */
async function main(argv: readonly string[]): Promise<number> {
  const args = simulationArgs(argv, ['truth', 'url', 'held-bed-rule', 'token']);
  const rule = args?.options.get('held-bed-rule') ?? 'physical';
  if (!args || !HELD_BED_RULES.includes(rule as HeldBedRule)) {
    console.error(
      `Usage: npm run simulate -- ${USAGE} [--truth <file>] [--url <http://host:port> [--token <jwt>]] [--held-bed-rule <${HELD_BED_RULES.join('|')}>]`,
    );
    return 2;
  }
  const { preset, scale, seed, concurrency } = args;
  const plan = makePlan(preset, scale, seed, args.plan);
  const truth = groundTruth(plan, rule as HeldBedRule);
  const given = args.options.get('url');
  const token = args.options.get('token') ?? process.env.CAREPATH_TOKEN ?? devToken(loadConfig(), SIMULATOR);
  let started = Date.now();
  const api: ApiProcess | null = given ? null : await startApiProcess({ env: { PROCESSES: 'off' } });
  const url = given ?? api!.url;
  if (api) console.log(`API started from the build in ${seconds(started)} s at ${url}`);
  const runner = new SimulationRunner(new HttpCommandSink(url, token), concurrency);
  started = Date.now();
  try {
    await runner.run(plan, progress('journey commands'));
    process.stderr.write('\n');
  } catch (error) {
    throw api ? api.explain(error) : error;
  } finally {
    await api?.stop();
  }
  const took = seconds(started);
  if (!given) {
    const acting = await startApiProcess({ env: ACTING_ENV });
    try {
      const auditor = devToken(loadConfig(), {
        sub: 'carepath-simulator',
        role: 'auditor',
        institutionId: 'SIM-HC',
      });
      const acts = await processesSettled(acting.url, auditor);
      console.log(
        `care processes restarted on: ${Object.entries(acts)
          .map(([name, n]) => `${name} ${n}`)
          .join(', ')} acts, nothing left due`,
      );
    } catch (error) {
      throw acting.explain(error);
    } finally {
      await acting.stop();
    }
  }
  const file = args.options.get('truth') ?? `truth-${preset.name}-${scale}-${seed}.json`;
  writeFileSync(
    file,
    `${JSON.stringify({ preset: preset.name, scale, seed, ...plan.options, ...truth }, null, 2)}\n`,
  );
  console.log(
    `${plan.journeys.length} journeys, ${runner.commands} commands in ${took} s (${Math.round(runner.commands / Number(took))}/s) over HTTP to ${given ?? 'the API started here'}; ground truth in ${file}`,
  );
  for (const line of summary(plan, truth)) console.log(line);
  return 0;
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
