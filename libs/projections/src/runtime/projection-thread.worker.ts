import { parentPort, workerData } from 'node:worker_threads';
import { EventStoreUnavailableError, SqliteEventStore } from '@carepath/event-store';
import { ALL_PROJECTIONS } from '../projections.registry';
import { AppendThrottle } from './append-throttle';
import {
  projectionError,
  ProjectionRunner,
  RebuildStoppedError,
  RebuildTimeoutError,
} from './projection-runner';
import type {
  FromProjectionThread,
  ProjectionThreadData,
  RebuildFailure,
  ServedProjection,
  ToProjectionThread,
} from './projection-thread';
import { ReadModelFiles } from './read-model-files';
import { nameThread, THREAD_NAMES } from './worker-thread';

/*
 * The API's projection thread (ProjectionThread): runs the projections on connections of its own to the log and the
 * read-model files, as ProjectionRunner runs them in any process, and posts their statuses to the thread that serves
 * requests after every change, batched per turn (a page commit of several projections is one message).
 */
/** The shortest time between two wake-ups of the runners for announced appends (AppendThrottle). */
export const APPEND_WAKE_MS = 10;

async function main(port: NonNullable<typeof parentPort>, data: ProjectionThreadData): Promise<void> {
  const post = (message: FromProjectionThread) => port.postMessage(message);
  // Appends come from the thread that serves requests, on another connection: it says when (`appended`), and the
  // poll only covers other processes appending to the same file.
  const store = SqliteEventStore.open({ filename: data.logFile, externalWriters: { pollMs: data.pollMs } });
  const files = new ReadModelFiles(data.readModelDir);
  const logger = {
    log: (message: object) => post({ kind: 'log', level: 'log', message }),
    error: (message: object) => post({ kind: 'log', level: 'error', message }),
  };
  const changed = new Set<ProjectionRunner>();
  let live = false;
  const flush = () => {
    const projections = [...changed].map(served);
    changed.clear();
    if (projections.length > 0) post({ kind: 'changed', projections });
  };
  const runners = new Map<string, ProjectionRunner>();
  for (const name of data.projections) {
    const definition = ALL_PROJECTIONS.find((d) => d.name === name);
    if (!definition) throw new Error(`no projection named ${name}`);
    const runner: ProjectionRunner = new ProjectionRunner(store, definition, files, {
      ...(data.rebuildCommitEvery !== undefined ? { rebuildCommitEvery: data.rebuildCommitEvery } : {}),
      ...(data.retry ? { retry: data.retry } : {}),
      ...(data.foldCacheBytes !== undefined ? { foldCacheBytes: data.foldCacheBytes } : {}),
      logger,
      onChange: () => {
        if (!live) return;
        if (changed.size === 0) queueMicrotask(flush);
        changed.add(runner);
      },
    });
    runners.set(name, runner);
  }
  const all = () => [...runners.values()].map(served);
  const runnerOf = (name: string) => {
    const runner = runners.get(name);
    if (!runner) throw new Error(`no projection named ${name} in this thread`);
    return runner;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const runner of runners.values()) await runner.stop();
    files.close();
    await store.close();
  };
  // Appends announced close together are read as one page (AppendThrottle).
  const appended = new AppendThrottle((head) => store.noticeAppended(head), APPEND_WAKE_MS);
  port.on('message', (message: ToProjectionThread) => {
    switch (message.kind) {
      case 'appended':
        appended.notice(message.head);
        return;
      case 'statuses':
        post({ kind: 'reply', id: message.id, projections: all() });
        return;
      case 'resume':
        runnerOf(message.name).resume();
        post({ kind: 'reply', id: message.id, projections: all() });
        return;
      case 'check':
        runnerOf(message.name).checkReadModel({ thorough: message.thorough });
        post({ kind: 'reply', id: message.id, projections: all() });
        return;
      case 'rebuild': {
        const runner = runnerOf(message.name);
        const done = runner.rebuild(message.budgetMs !== undefined ? { budgetMs: message.budgetMs } : {});
        post({ kind: 'reply', id: message.id, projections: all() });
        done.then(
          () => post({ kind: 'rebuilt', id: message.id, projection: served(runner), failure: null }),
          (error: unknown) =>
            post({ kind: 'rebuilt', id: message.id, projection: served(runner), failure: failureOf(error) }),
        );
        return;
      }
      case 'stop':
        void stop().then(() => {
          post({ kind: 'reply', id: message.id, projections: all() });
          port.close();
        });
        return;
    }
  });
  for (const runner of runners.values()) await runner.start();
  live = true;
  post({ kind: 'started', projections: all() });
}

function served(runner: ProjectionRunner): ServedProjection {
  return { status: runner.status(), tables: runner.tables() };
}

/** A rebuild's failure as data: the thread that serves requests raises the same error from it (rebuildError). */
function failureOf(error: unknown): RebuildFailure {
  const message = error instanceof Error ? error.message : String(error);
  const report = projectionError(error);
  if (error instanceof RebuildTimeoutError)
    return { type: 'timeout', message, budgetMs: error.budgetMs, report, cause: null };
  if (error instanceof RebuildStoppedError)
    return { type: 'stopped', message, budgetMs: null, report, cause: null };
  let cause: RebuildFailure['cause'] = null;
  const seen = new Set<unknown>();
  for (let e: unknown = error; typeof e === 'object' && e !== null && !seen.has(e) && cause === null;) {
    seen.add(e);
    const { code, message: text, cause: next } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (e instanceof EventStoreUnavailableError)
      cause = { code: null, message: String(text), unavailable: true };
    else if (typeof code === 'string') cause = { code, message: String(text), unavailable: false };
    e = next;
  }
  return { type: 'failed', message, budgetMs: null, report, cause };
}

if (parentPort) {
  nameThread(THREAD_NAMES.projections);
  const port = parentPort;
  // A failure to start ends the thread, with its reason: the thread that serves requests reports every projection
  // failed with it.
  main(port, workerData as ProjectionThreadData).catch((error: unknown) => {
    port.postMessage({
      kind: 'failed',
      reason: error instanceof Error ? error.message : String(error),
    } satisfies FromProjectionThread);
    process.exit(1);
  });
}
