import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { EsdbEventStore, type EventStore, SqliteEventStore } from '@carepath/event-store';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { StreamWriter } from './stream-writer';
import { CLOCK, type Clock, EVENT_STORE } from './tokens';

@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): EventStore => {
        const logger = new Logger('event-store');
        if (config.eventStore === 'esdb') {
          logger.log({
            msg: 'EventStoreDB event store',
            connection: redact(config.eventStoreConnectionString!),
          });
          return EsdbEventStore.open({
            connectionString: config.eventStoreConnectionString!,
            logger: { warn: (message) => logger.warn(message), error: (message) => logger.error(message) },
          });
        }
        mkdirSync(dirname(config.databaseFile), { recursive: true });
        const store = SqliteEventStore.open({
          filename: config.databaseFile,
          logger: { warn: (message) => logger.warn(message), error: (message) => logger.error(message) },
        });
        logger.log({ msg: 'embedded event store open', file: config.databaseFile });
        return store;
      },
    },
    { provide: CLOCK, useValue: (() => new Date()) satisfies Clock },
    StreamWriter,
  ],
  exports: [EVENT_STORE, CLOCK, StreamWriter],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** Credentials never reach the logs. */
function redact(connectionString: string): string {
  return connectionString.replace(/\/\/[^@/]*@/, '//***@');
}
