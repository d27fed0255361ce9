import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { EventStore } from '@carepath/event-store';
import { type AppConfig, openEventStore } from '@carepath/runtime';
import { WritePath } from '@carepath/write-path';
import { APP_CONFIG } from '../config/app-config.token';
import { CLOCK, type Clock, EVENT_STORE } from './tokens';
import { WriteToStreamHandler } from './write-to-stream.command';

/** CLOCK comes from AppModule.forRoot (global): the one clock every write and every process reads. */
@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): EventStore => openEventStore(config, new Logger('event-store')),
    },
    {
      provide: WritePath,
      inject: [EVENT_STORE, CLOCK, APP_CONFIG],
      useFactory: (store: EventStore, clock: Clock, config: AppConfig) =>
        new WritePath(store, clock, config, { entries: config.recentFolds, bytes: config.foldCacheBytes }),
    },
    WriteToStreamHandler,
  ],
  exports: [EVENT_STORE, WritePath],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
