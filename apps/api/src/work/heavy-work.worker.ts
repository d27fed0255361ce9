import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { DomainError } from '@carepath/domain';
import { SqliteEventStore } from '@carepath/event-store';
import { lowerThreadPriority, nameThread, THREAD_NAMES } from '@carepath/projections';
import { type HeavyTask, performTask } from './heavy-work.tasks';

/*
 * A heavy-work thread (HeavyWorkPool): takes one task at a time from the request loop, on connections of its own to
 * the embedded log and to the read models, so that a chain walk, a replay or a long analytics query holds no other
 * request back. It may be terminated mid-task when its budget runs out: it holds no write lock and owns no file.
 */

export interface HeavyWorkerData {
  /** The embedded log; null on EventStoreDB (only read-model queries come here then). */
  readonly logFile: string | null;
}

export type TaskRequest = { readonly id: number; readonly task: HeavyTask };

/** A failure as data: its class does not cross threads, so what the request loop needs to answer it travels. */
export interface TaskFailure {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

export type TaskReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: TaskFailure };

function failure(error: unknown): TaskFailure {
  if (error instanceof DomainError)
    return { name: error.name, message: error.message, code: error.code, details: error.details };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

if (parentPort) {
  nameThread(THREAD_NAMES.heavyWork);
  lowerThreadPriority();
  const port = parentPort;
  const { logFile } = workerData as HeavyWorkerData;
  let log: SqliteEventStore | null = null;
  const store = (): SqliteEventStore => {
    if (!logFile)
      throw new Error('The event log is not an embedded file: its reads stay on the request loop');
    // Another connection appends to this file: `externalWriters` makes this one read the head afresh before reads.
    log ??= SqliteEventStore.open({ filename: logFile, externalWriters: { pollMs: 1000 } });
    return log;
  };
  // Read models are replaced by new generations (new files): a connection is kept per file, and dropped when the
  // file at that path is no longer the one it opened.
  const readModels = new Map<string, { db: Database.Database; inode: number }>();
  const readModel = (file: string): Database.Database => {
    const inode = statSync(file).ino;
    const open = readModels.get(file);
    if (open && open.inode === inode) return open.db;
    open?.db.close();
    // A rebuild has just put a new generation in service: connections to files since removed are closed too.
    for (const [other, { db }] of readModels) {
      try {
        statSync(other);
      } catch {
        db.close();
        readModels.delete(other);
      }
    }
    const db = new Database(file, { readonly: true, fileMustExist: true });
    readModels.set(file, { db, inode });
    return db;
  };
  port.on('message', ({ id, task }: TaskRequest) => {
    performTask(task, { store, readModel }).then(
      (result) => port.postMessage({ id, ok: true, result } satisfies TaskReply),
      (error: unknown) => port.postMessage({ id, ok: false, error: failure(error) } satisfies TaskReply),
    );
  });
}
