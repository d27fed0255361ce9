import type Database from 'better-sqlite3';
import { chainHash, envelopeBytes, GENESIS_HASH } from '../audit/hash-chain';

/**
 * Schema migrations, applied in order and recorded in PRAGMA user_version. Append only: a released migration is
 * never edited, because databases in the field have already run it.
 */
export const MIGRATIONS: readonly (string | ((db: Database.Database) => void))[] = [
  `
  CREATE TABLE events (
    position       INTEGER PRIMARY KEY,
    stream_id      TEXT    NOT NULL,
    revision       INTEGER NOT NULL,
    event_id       TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    UNIQUE (stream_id, revision)
  ) STRICT;
  `,
  // 2: the hash chain (issue 5). Events written before it are chained now, in log order, as they stand.
  (db) => {
    db.exec(
      'ALTER TABLE events ADD COLUMN stream_hash TEXT; ALTER TABLE events ADD COLUMN global_hash TEXT;',
    );
    const update = db.prepare('UPDATE events SET stream_hash = ?, global_hash = ? WHERE position = ?');
    const streams = new Map<string, string>();
    let previous = GENESIS_HASH;
    const rows = db.prepare('SELECT * FROM events ORDER BY position').safeIntegers(true).all() as {
      position: bigint;
      stream_id: string;
      revision: bigint;
      event_id: string;
      type: string;
      schema_version: bigint;
      data: string;
      metadata: string;
    }[];
    for (const r of rows) {
      const canonical = envelopeBytes({
        id: r.event_id,
        streamId: r.stream_id,
        revision: r.revision,
        position: r.position,
        type: r.type,
        schemaVersion: Number(r.schema_version),
        data: JSON.parse(r.data) as unknown,
        metadata: JSON.parse(r.metadata) as unknown,
      });
      const streamHash = chainHash(streams.get(r.stream_id) ?? GENESIS_HASH, canonical);
      previous = chainHash(previous, canonical);
      streams.set(r.stream_id, streamHash);
      update.run(streamHash, previous, r.position);
    }
  },
];
