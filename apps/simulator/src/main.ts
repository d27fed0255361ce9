import { writeFileSync } from 'node:fs';
import { createApp } from '../../api/src/app.setup';
import {
  devKeyFileFor,
  loadConfig,
  loadOrCreateDevKey,
  progressBar as progress,
  signDevToken,
} from '@carepath/runtime';
import { BusCommandSink } from './command-sink';
import { groundTruth, HELD_BED_RULES, type HeldBedRule, summary } from './ground-truth';
import { HttpCommandSink } from './http-command-sink';
import { simulationArgs, USAGE } from './command-line';
import { makePlan } from './simulation.plan';
import { SimulationRunner } from './simulation.runner';

/**
 * npm run simulate -- --preset chaoyang-2023 --scale 0.01 --seed 1 [--truth truth.json] [--url http://host:port]
 *   [--held-bed-rule held-bed] [--late-share 0.1]
 * Writes the generated city and journeys through the real command path, in process into the configured store
 * (DATABASE_FILE or EVENT_STORE=esdb) or over HTTP to a running server (`--url`), then the ground truth it knows
 * to a JSON file, its ward figures for the held-bed rule given (default `physical`; the rule the figures will be
 * read with, HELD_BED_RULE of the server that reads them: it plays no part in what is written). `--late-share`: the
 * share of surgeries, ward moves and earlier stays entered after the discharge they precede (default 0.1; it
 * changes when facts are entered, never the truth).
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
  const url = args.options.get('url');
  const app = url ? null : await createApp(loadConfig(), { logger: false });
  await app?.init();
  const runner = new SimulationRunner(
    url ? new HttpCommandSink(url, args.options.get('token') ?? serviceToken()) : new BusCommandSink(app!),
    concurrency,
  );
  const started = Date.now();
  try {
    await runner.run(plan, progress('journey commands'));
    process.stderr.write('\n');
  } finally {
    await app?.close();
  }
  const file = args.options.get('truth') ?? `truth-${preset.name}-${scale}-${seed}.json`;
  writeFileSync(
    file,
    `${JSON.stringify({ preset: preset.name, scale, seed, ...plan.options, ...truth }, null, 2)}\n`,
  );
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `${plan.journeys.length} journeys, ${runner.commands} commands in ${seconds.toFixed(1)} s${url ? ` over HTTP to ${url}` : ''}; ground truth in ${file}`,
  );
  for (const line of summary(plan, truth)) console.log(line);
  return 0;
}

/**
 * Over HTTP the simulator is a `system` service account (issue 17): its token comes from --token or
 * CAREPATH_TOKEN (an identity provider's), or else is signed here with the development issuer's key beside
 * DATABASE_FILE, for a server on this machine that trusts it.
 */
function serviceToken(): string {
  if (process.env.CAREPATH_TOKEN) return process.env.CAREPATH_TOKEN;
  const config = loadConfig();
  if (config.auth.mode !== 'development') {
    throw new Error(
      'AUTH_ISSUER is set: give the service account token of your identity provider in --token',
    );
  }
  const key = loadOrCreateDevKey(config.auth.keyFile ?? devKeyFileFor(config.databaseFile));
  return signDevToken(key, { sub: 'carepath-simulator', role: 'system', ttlSeconds: 24 * 3600 });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
