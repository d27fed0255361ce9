import { EventStoreUnavailableError } from '../event-store.port';

/**
 * Another process held the embedded log's write lock for longer than the append may wait (the busy budget). The
 * append wrote nothing; the caller may retry once the other writer is done.
 */
export class EventStoreBusyError extends EventStoreUnavailableError {
  readonly code = 'STORE_BUSY';

  constructor(waitedMs: number, retryAfterSeconds: number) {
    super(
      `The event log is locked by another writer; waited ${Math.round(waitedMs)} ms, nothing was written`,
      retryAfterSeconds,
    );
    this.name = 'EventStoreBusyError';
  }
}
