import { Logger } from '@nestjs/common';
import {
  ALL_PROJECTIONS,
  BATCH_RUNNER_OPTIONS,
  configuredPgReadModels,
  PgProjectionRunner,
  servedFromPostgres,
  ProjectionRunner,
  ReadModelFiles,
} from '@carepath/projections';
import {
  loadConfig,
  loadLeaseConfig,
  openEventStore,
  parseCommandLine,
  PgProjectionLeases,
  runCommandLine,
} from '@carepath/runtime';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { LeaseCoordinator } from './lease-coordinator';

const USAGE = `Usage: npm run projector
Runs every projection against the event store the API writes, so the API can run with PROJECTIONS=external and
only read. It takes no options: it reads the API's environment (DATABASE_FILE or EVENT_STORE=esdb, READ_MODEL_DIR;
READ_MODEL_STORE=postgres with DATABASE_URL and READ_MODEL_SCHEMA puts the read models in PostgreSQL).
With PROJECTOR_LEASES=postgres and DATABASE_URL, several projectors share the projections through leases
(PROJECTOR_LEASE_TTL_MS, default 15000; PROJECTOR_ID). Stop it with SIGINT or SIGTERM.`;

/**
 * The projector on its own: runs every projection against the event store that the API writes, so the API can
 * run with PROJECTIONS=external and only read.
 */
async function main(argv: readonly string[]): Promise<number> {
  parseCommandLine(argv, {});
  const config = loadConfig();
  const logger = new Logger('projector');
  const store = openEventStore(config, logger, { followOtherWriters: true });
  const files = new ReadModelFiles(config.readModelDir);
  const postgres = configuredPgReadModels(config.readModelStore, config.censusTimeZone);
  const runnerOptions = {
    ...BATCH_RUNNER_OPTIONS,
    foldCacheBytes: config.projectionFoldCacheBytes,
    logger: { log: (m: object) => logger.log(m), error: (m: object) => logger.error(m) },
  };
  // With READ_MODEL_STORE=postgres the projectors write the read models in PostgreSQL, every one that can live there
  // (docs/scaling.md, "Read models in PostgreSQL").
  const definitions = postgres ? ALL_PROJECTIONS.filter(servedFromPostgres) : ALL_PROJECTIONS;
  const runnerFor = (definition: (typeof ALL_PROJECTIONS)[number]) =>
    postgres && servedFromPostgres(definition)
      ? new PgProjectionRunner(store, definition, postgres, runnerOptions)
      : new ProjectionRunner(store, definition, files, runnerOptions);
  const readModelsAt = postgres ? `postgres (${postgres.prefix}_*)` : config.readModelDir;
  const leaseConfig = loadLeaseConfig(process.env);
  let stopWork: () => Promise<void>;
  let report: NodeJS.Timeout;
  if (leaseConfig) {
    // Several projectors share the projections: each runs those whose leases it holds (docs/scaling.md).
    const leases = new PgProjectionLeases({
      connectionString: leaseConfig.connectionString,
      schema: leaseConfig.schema,
      ttlMs: leaseConfig.ttlMs,
    });
    const member = leaseConfig.member ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const runners = new Map<string, ReturnType<typeof runnerFor>>();
    const coordinator = new LeaseCoordinator(
      leases,
      member,
      definitions.map((p) => p.name),
      (name) => {
        const runner = runnerFor(definitions.find((p) => p.name === name)!);
        return {
          start: async () => {
            runners.set(name, runner);
            await runner.start();
          },
          stop: async () => {
            runners.delete(name);
            await runner.stop();
          },
        };
      },
      { ttlMs: leaseConfig.ttlMs, logger: { log: (m) => logger.log(m), error: (m) => logger.error(m) } },
    );
    await coordinator.start();
    logger.log({ msg: 'projector running', member, leases: 'postgres', readModels: readModelsAt });
    report = setInterval(
      () => logger.log({ msg: 'status', member, projections: [...runners.values()].map((r) => r.status()) }),
      60_000,
    );
    stopWork = async () => {
      await coordinator.stop();
      await leases.close();
    };
  } else {
    const runners = definitions.map(runnerFor);
    for (const runner of runners) await runner.start();
    logger.log({ msg: 'projector running', eventStore: config.eventStore, readModels: readModelsAt });
    report = setInterval(
      () => logger.log({ msg: 'status', projections: runners.map((r) => r.status()) }),
      60_000,
    );
    stopWork = async () => {
      for (const runner of runners) await runner.stop();
    };
  }
  report.unref();

  const shutdown = async (signal: string) => {
    logger.log({ msg: 'stopping', signal });
    clearInterval(report);
    await stopWork();
    files.close();
    await postgres?.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  return 0;
}

const argv = process.argv.slice(2);
// 0: the runners are running (they keep the process alive until a signal stops them), or the usage was asked for.
runCommandLine(USAGE, () => main(argv)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
