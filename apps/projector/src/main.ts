import { Logger } from '@nestjs/common';
import {
  ALL_PROJECTIONS,
  BATCH_RUNNER_OPTIONS,
  ProjectionRunner,
  ReadModelFiles,
} from '@carepath/projections';
import { loadConfig, openEventStore } from '@carepath/runtime';

/**
 * The projector on its own: runs every projection against the event store that the API writes, so the API can
 * run with PROJECTIONS=external and only read. Usage: `npm run projector` (same environment as the API).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new Logger('projector');
  const store = openEventStore(config, logger, { followOtherWriters: true });
  const files = new ReadModelFiles(config.readModelDir);
  const runners = ALL_PROJECTIONS.map(
    (definition) =>
      new ProjectionRunner(store, definition, files, {
        ...BATCH_RUNNER_OPTIONS,
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
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
