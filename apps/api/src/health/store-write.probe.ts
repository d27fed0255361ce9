import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/** Whether the store would accept a write now: null when it would, else why not (a sentence for an operator). */
export interface StoreWriteProbe {
  check(): Promise<string | null>;
}

/** The file system and SQLite as the probe uses them; a spec may hand in a disk that is full. */
export interface ProbeIo {
  /** Creates `file`, writes `bytes` to it, flushes it to the disk, and deletes it. */
  writeScratch(file: string, bytes: Buffer): Promise<void>;
  /** Rejects when this process may not write `file` (its mode, an immutable flag, a read-only mount). */
  mayWrite(file: string): Promise<void>;
  openDatabase(file: string): Database.Database;
}

export const FILE_SYSTEM_IO: ProbeIo = {
  async writeScratch(file, bytes) {
    const handle = await open(file, 'w');
    try {
      await handle.write(bytes);
      await handle.sync();
    } finally {
      await handle.close();
      await rm(file, { force: true });
    }
  },
  mayWrite: (file) => access(file, constants.W_OK),
  openDatabase: (file) => new Database(file, { fileMustExist: true }),
};

const SCRATCH_BYTES = 4096;
const BUSY = Symbol('busy');

/**
 * The embedded store's write probe. It appends nothing to the log: (1) a block written and flushed beside the event
 * file shows the disk has room (a transaction that is rolled back would not need any), (2) the file may be written
 * by this process, and (3) on a connection of
 * its own, `BEGIN IMMEDIATE` takes the write lock and rewrites the schema version with the value it has, then rolls
 * back: SQLite refuses that on a file it could only open read-only. The lock is never waited for (busy_timeout 0:
 * the event loop keeps turning); a lock held by another writer is asked for again until `timeoutMs`.
 */
export class SqliteWriteProbe implements StoreWriteProbe {
  constructor(
    private readonly file: string,
    private readonly timeoutMs: number,
    private readonly io: ProbeIo = FILE_SYSTEM_IO,
  ) {}

  async check(): Promise<string | null> {
    const name = basename(this.file);
    try {
      // Random bytes: a file system that compresses or deduplicates would store zeros in no block at all.
      await this.io.writeScratch(
        join(dirname(this.file), `.${name}.ready-${process.pid}`),
        randomBytes(SCRATCH_BYTES),
      );
    } catch (error) {
      return scratchProblem(error, name);
    }
    // SQLite alone cannot tell: once one of its connections to a file has closed, the next one in this process
    // reuses that descriptor, opened for writing whatever the file has become since.
    try {
      await this.io.mayWrite(this.file);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
        return `${name} is read-only: the store cannot append`;
      if (code === 'ENOENT') return `${name} is missing`;
      return scratchProblem(error, name);
    }
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const problem = this.tryWriteLock(name);
      if (problem !== BUSY) return problem;
      if (Date.now() >= deadline) return `${name} is locked by another writer`;
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Null when the lock was taken, BUSY when another writer holds it, else what is wrong. */
  private tryWriteLock(name: string): string | null | typeof BUSY {
    let db: Database.Database | null = null;
    try {
      db = this.io.openDatabase(this.file);
      db.pragma('busy_timeout = 0');
      db.exec('BEGIN IMMEDIATE');
      try {
        const version = Number(db.pragma('user_version', { simple: true }));
        db.pragma(`user_version = ${version}`);
      } finally {
        db.exec('ROLLBACK');
      }
      return null;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'string') return `${name}: ${String(error)}`;
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return BUSY;
      if (code.startsWith('SQLITE_READONLY')) return `${name} is read-only: the store cannot append`;
      if (code === 'SQLITE_FULL') return `the disk holding ${name} is full`;
      if (code.startsWith('SQLITE_CANTOPEN')) return `${name} cannot be opened`;
      if (code.startsWith('SQLITE_IOERR')) return `${name}: I/O error (${code})`;
      return `${name}: ${code}`;
    } finally {
      db?.close();
    }
  }
}

function scratchProblem(error: unknown, name: string): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk holding ${name} is full`;
    case 'EROFS':
      return `the file system holding ${name} is read-only`;
    case 'EACCES':
    case 'EPERM':
      return `the folder of ${name} is not writable`;
    case 'EIO':
      return `the disk holding ${name} reports an I/O error`;
    default:
      return `cannot write beside ${name} (${typeof code === 'string' ? code : String(error)})`;
  }
}
