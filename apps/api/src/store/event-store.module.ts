import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { EventStore } from '@carepath/event-store';
import { type AppConfig, openEventStore } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { StreamWriter } from './stream-writer';
import { CLOCK, type Clock, EVENT_STORE } from './tokens';

@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): EventStore => openEventStore(config, new Logger('event-store')),
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
