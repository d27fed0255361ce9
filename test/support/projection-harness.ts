import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EventStore,
  SqliteEventStore,
  type StoredEvent,
  type SubscribeOptions,
  type SubscriptionHandler,
} from '@carepath/event-store';
import {
  type ProjectionDefinition,
  ProjectionRunner,
  ReadModelFiles,
  type RunnerOptions,
} from '@carepath/projections';
import { generateJourney, institutionStreams } from './journey-generator';
import { waitFor } from './wait-for';

/*
 * What the projection runner's specs share: a log in a folder of its own, runners started on it and stopped after
 * the test, a log seeded with generated journeys, and stores and projections made to misbehave on purpose.
 */
export class RunnerHarness {
  folder = '';
  store!: SqliteEventStore;
  private readonly runners: ProjectionRunner[] = [];

  /** A fresh folder holding an empty log. */
  open(prefix: string): void {
    this.folder = mkdtempSync(join(tmpdir(), prefix));
    this.store = SqliteEventStore.open({ filename: join(this.folder, 'events.db') });
  }

  /** A runner started on `source`, stopped by `close`. */
  async start(
    source: EventStore,
    definition: ProjectionDefinition,
    files: ReadModelFiles,
    options: RunnerOptions,
  ): Promise<ProjectionRunner> {
    const runner = new ProjectionRunner(source, definition, files, options);
    this.runners.push(runner);
    await runner.start();
    return runner;
  }

  /** A runner on the log, its read model in `dir` of the folder, once it has taken in the whole log. */
  async caughtUpIn(
    dir: string,
    definition: ProjectionDefinition,
    options: RunnerOptions,
  ): Promise<ProjectionRunner> {
    const runner = await this.start(
      this.store,
      definition,
      new ReadModelFiles(join(this.folder, dir)),
      options,
    );
    await this.caughtUp(runner);
    return runner;
  }

  /** Until the runner has taken in the whole log as it is now. */
  async caughtUp(runner: ProjectionRunner): Promise<void> {
    const head = await this.store.headPosition();
    await runner.waitFor(head);
  }

  /** Stops a runner before the test ends, as a crash or a restart would. */
  async stop(runner: ProjectionRunner): Promise<void> {
    await runner.stop();
    this.runners.splice(this.runners.indexOf(runner), 1);
  }

  /** Stops every runner, closes what else the test opened on the folder, then the log, and removes the folder. */
  async close(...also: { close(): void }[]): Promise<void> {
    for (const r of this.runners.splice(0)) await r.stop();
    for (const other of also) other.close();
    await this.store.close();
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/**
 * Appends generated journeys from..to (the institutions first, from 0); with `firstAppend`, each journey in two
 * appends, its first events then the rest, so journeys interleave in the log as they would in life.
 */
export async function seedJourneys(
  store: SqliteEventStore,
  from: number,
  to: number,
  firstAppend?: number,
): Promise<void> {
  for (const { streamId, events } of from === 0 ? institutionStreams() : [])
    await store.append(streamId, events, { expectedRevision: 'no-stream' });
  for (let i = from; i < to; i++) {
    const { streamId, events } = generateJourney(i);
    if (firstAppend === undefined) {
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
      continue;
    }
    await store.append(streamId, events.slice(0, firstAppend), { expectedRevision: 'no-stream' });
    if (events.length > firstAppend)
      await store.append(streamId, events.slice(firstAppend), {
        expectedRevision: BigInt(firstAppend - 1),
      });
  }
}

/** Hands one page to the subscriber, or fails as the store would. */
export type PageDelivery = (
  events: readonly StoredEvent[],
  lastPosition: bigint,
  handler: SubscriptionHandler,
) => Promise<void>;

/** The store, with every page of each subscription passed through the delivery `perSubscription` makes for it. */
export function interceptPages(store: EventStore, perSubscription: () => PageDelivery): EventStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key !== 'subscribeToAll') return Reflect.get(target, key, receiver) as unknown;
      return (options: SubscribeOptions, handler: SubscriptionHandler) => {
        const deliver = perSubscription();
        return target.subscribeToAll(options, {
          ...handler,
          onEvents: (events, lastPosition) => deliver(events, lastPosition, handler),
        });
      };
    },
  });
}

type Writer = ReturnType<ProjectionDefinition['open']>;

/** The projection with its writer's methods replaced by what `wrap` makes around the real writer. */
export function wrapWriter(
  definition: ProjectionDefinition,
  wrap: (inner: Writer) => Partial<Writer>,
): ProjectionDefinition {
  return {
    ...definition,
    open(db, context) {
      const inner = definition.open(db, context);
      return { ...inner, ...wrap(inner) };
    },
  };
}

/** Waits until `runner` is live on `generation`: a runner following a generation another process put in service. */
export function liveOn(
  runner: { status(): { generation: number; state: string } },
  generation: number,
): Promise<unknown> {
  return waitFor(
    () => runner.status(),
    (status) => status.generation === generation && status.state === 'live',
    { timeoutMs: 20_000, what: `the runner live on generation ${generation}` },
  );
}
