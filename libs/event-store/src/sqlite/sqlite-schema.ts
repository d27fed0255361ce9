/**
 * Schema migrations, applied in order and recorded in PRAGMA user_version. Append only: a released migration is
 * never edited, because databases in the field have already run it.
 */
export const MIGRATIONS: readonly string[] = [
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
];
