import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore } from '@carepath/event-store';
import { ALL_PROJECTIONS } from '../projections.registry';
import { isJourneyProjection } from './journey-projection';
import { failureKind, projectionError } from './projection-runner';
import {
  deriveJourneyRebuild,
  PAGES_IN_FLIGHT,
  type RebuildMessage,
  type RebuildWorkerData,
} from './journey-rebuild';
import { nameThread, THREAD_NAMES } from './worker-thread';

/*
 * A worker thread of `rebuildInWorker`: reads its partition of the embedded log on a connection of its own, folds and
 * derives, and posts pages to the writing thread, which acknowledges each once written. It waits when PAGES_IN_FLIGHT
 * are unacknowledged, so a slow disk holds the reading back instead of filling memory with pages.
 */
async function main(port: NonNullable<typeof parentPort>, data: RebuildWorkerData): Promise<void> {
  const specs = data.projections.map((name) => {
    const definition = ALL_PROJECTIONS.find((d) => d.name === name);
    if (!definition || !isJourneyProjection(definition))
      throw new Error(`no journey projection named ${name}`);
    return definition.journey;
  });
  let inFlight = 0;
  let acknowledged: (() => void) | null = null;
  port.on('message', () => {
    inFlight--;
    acknowledged?.();
    acknowledged = null;
  });
  const send = async (message: RebuildMessage): Promise<void> => {
    port.postMessage(message);
    if (message.kind !== 'page') return;
    inFlight++;
    while (inFlight >= PAGES_IN_FLIGHT) await new Promise<void>((resolve) => (acknowledged = resolve));
  };
  const store = SqliteEventStore.open({ filename: data.logFile });
  try {
    await deriveJourneyRebuild(
      store,
      specs,
      {
        pageSize: data.pageSize,
        commitEvery: data.commitEvery,
        ...(data.maxValuesPerMessage !== undefined ? { maxValuesPerMessage: data.maxValuesPerMessage } : {}),
        partition: data.partition,
        head: data.head,
      },
      send,
    );
  } finally {
    await store.close();
  }
}

if (parentPort) {
  nameThread(THREAD_NAMES.rebuild);
  const port = parentPort;
  main(port, workerData as RebuildWorkerData).then(
    () => port.close(),
    (error: unknown) => {
      port.postMessage({
        kind: 'failed',
        projection: 'all',
        error: projectionError(error),
        transient: failureKind(error) === 'transient',
      } satisfies RebuildMessage);
      port.close();
    },
  );
}
