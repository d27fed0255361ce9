import { Logger } from '@nestjs/common';
import {
  ALL_PROJECTIONS,
  BATCH_RUNNER_OPTIONS,
  ProjectionRunner,
  ReadModelFiles,
} from '@carepath/projections';
import { loadConfig, openEventStore, parseCommandLine, runCommandLine } from '@carepath/runtime';

const USAGE = `Usage: npm run projector
Runs every projection against the event store the API writes, so the API can run with PROJECTIONS=external and
only read. It takes no options: it reads the API's environment (DATABASE_FILE or EVENT_STORE=esdb, READ_MODEL_DIR).
Stop it with SIGINT or SIGTERM.`;

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
  const runners = ALL_PROJECTIONS.map(
    (definition) =>
      new ProjectionRunner(store, definition, files, {
        ...BATCH_RUNNER_OPTIONS,
        foldCacheBytes: config.foldCacheBytes,
        logger: { log: (m) => logger.log(m), error: (m) => logger.error(m) },
      }),
  );
  for (const runner of runners) await runner.start();
  logger.log({ msg: 'projector running', eventStore: config.eventStore, readModels: config.readModelDir });
  const report = setInterval(
    () => logger.log({ msg: 'status', projections: runners.map((r) => r.status()) }),
    60_000,
  );
  report.unref();

  const shutdown = async (signal: string) => {
    logger.log({ msg: 'stopping', signal });
    clearInterval(report);
    for (const runner of runners) await runner.stop();
    files.close();
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
