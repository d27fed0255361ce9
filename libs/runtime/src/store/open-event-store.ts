import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EsdbEventStore, type EventStore, SqliteEventStore } from '@carepath/event-store';
import type { AppConfig } from '../config/app-config';

interface Logger {
  log(message: object): void;
  warn(message: object): void;
  error(message: object): void;
}

/**
 * The configured event store, for every CarePath process alike. `followOtherWriters` is for a process
 * that reads an embedded store another process writes (the projector beside the API).
 */
export function openEventStore(
  config: AppConfig,
  logger: Logger,
  options: { followOtherWriters?: boolean } = {},
): EventStore {
  const log = { warn: (m: object) => logger.warn(m), error: (m: object) => logger.error(m) };
  if (config.eventStore === 'esdb') {
    logger.log({ msg: 'EventStoreDB event store', connection: redact(config.eventStoreConnectionString!) });
    return EsdbEventStore.open({ connectionString: config.eventStoreConnectionString!, logger: log });
  }
  mkdirSync(dirname(config.databaseFile), { recursive: true });
  const store = SqliteEventStore.open({
    filename: config.databaseFile,
    logger: log,
    busyBudgetMs: config.storeBusyBudgetMs,
    ...(options.followOtherWriters
      ? { externalWriters: { pollMs: Number(process.env.PROJECTOR_POLL_MS ?? 50) } }
      : {}),
  });
  logger.log({ msg: 'embedded event store open', file: config.databaseFile });
  return store;
}

/** Credentials never reach the logs. */
function redact(connectionString: string): string {
  return connectionString.replace(/\/\/[^@/]*@/, '//***@');
}
