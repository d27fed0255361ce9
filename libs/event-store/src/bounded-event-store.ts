import type {
  AppendResult,
  EventStore,
  EventStoreHealth,
  ReadAllOptions,
  ReadAllPage,
  ReadStreamOptions,
  StoredEvent,
  StreamFilter,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
} from './event-store.port';

/**
 * The log as it stood at a position: a read-only view that ends there. Replays (`carepath replay --to`, analytics
 * `asOf`) build scratch projections from it, so a figure is recomputed exactly as it would have been reported then.
 */
export class BoundedEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    readonly bound: bigint,
  ) {}

  append(): Promise<AppendResult> {
    return Promise.reject(new Error('A replay view of the log is read-only'));
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    return (await this.inner.readStream(streamId, options)).filter((e) => e.position <= this.bound);
  }

  async streamRevision(streamId: string): Promise<bigint | 'no-stream'> {
    const events = await this.readStream(streamId);
    return events.at(-1)?.revision ?? 'no-stream';
  }

  async readAll(options: ReadAllOptions): Promise<ReadAllPage> {
    if (options.after >= this.bound) return { events: [], lastPosition: options.after, isEnd: true };
    const page = await this.inner.readAll(options);
    const events = page.events.filter((e) => e.position <= this.bound);
    const reachedBound = page.isEnd || events.length < page.events.length || page.lastPosition >= this.bound;
    const lastPosition = reachedBound ? this.bound : page.lastPosition;
    return { events, lastPosition, isEnd: reachedBound };
  }

  async headPosition(filter?: StreamFilter): Promise<bigint> {
    if (!filter) return this.bound;
    let head = 0n;
    for (let after = 0n; ;) {
      const page = await this.readAll({ after, maxCount: 5000, filter });
      if (page.events.length > 0) head = page.events.at(-1)!.position;
      after = page.lastPosition;
      if (page.isEnd) return head;
    }
  }

  /** Pages up to the bound, then caught up for good: nothing is appended to the past. */
  subscribeToAll(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    let stopped = false;
    const run = async () => {
      try {
        for (let after = options.after; !stopped;) {
          const page = await this.readAll({
            after,
            maxCount: options.pageSize ?? 500,
            filter: options.filter,
          });
          if (page.events.length > 0) await handler.onEvents(page.events, page.lastPosition);
          after = page.lastPosition;
          if (page.isEnd) {
            handler.onCaughtUp?.(after);
            return;
          }
          // As the stores' own subscriptions do: a turn of the event loop between pages, so a long catch-up does not
          // hold back the process's timers and I/O.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } catch (error) {
        handler.onError?.(error);
      }
    };
    const loop = run();
    return {
      stop: async () => {
        stopped = true;
        await loop;
      },
    };
  }

  health(): Promise<EventStoreHealth> {
    return this.inner.health();
  }

  /** The view does not own the store it reads. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The last position recorded at or before an instant (recordedAt), for replays "as of" a time. */
export async function positionAsOf(store: EventStore, instant: string): Promise<bigint> {
  const limit = Date.parse(instant);
  let last = 0n;
  for (let after = 0n; ;) {
    const page = await store.readAll({ after, maxCount: 5000 });
    for (const e of page.events) {
      if (Date.parse(String(e.metadata.recordedAt)) > limit) return last;
      last = e.position;
    }
    after = page.lastPosition;
    if (page.isEnd) return last;
  }
}
