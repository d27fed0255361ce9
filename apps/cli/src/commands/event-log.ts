import Database from 'better-sqlite3';
import type { AppConfig } from '@carepath/runtime';

/** The event file, read-only; refused while it predates the hash chain (opening it once with CarePath migrates it). */
export function openLog(config: AppConfig): Database.Database {
  if (config.eventStore !== 'sqlite') {
    throw new Error('The hash chain is kept by the embedded store (EVENT_STORE=sqlite)');
  }
  const db = new Database(config.databaseFile, { readonly: true, fileMustExist: true });
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version < 2) {
    db.close();
    throw new Error(
      `${config.databaseFile} predates the hash chain (schema ${version}); start CarePath on it once to migrate it`,
    );
  }
  return db;
}
