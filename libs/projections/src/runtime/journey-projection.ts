import type Database from 'better-sqlite3';
import type { OpenedJourneyState } from '@carepath/domain';
import type { StoredEvent } from '@carepath/event-store';
import {
  guard,
  INSTITUTION_PREFIX,
  JOURNEY_PREFIX,
  JourneyFolder,
  type JourneyWrite,
  memoFor,
} from './journey-folder';
import type { ProjectionDefinition, ProjectionWriter } from './projection';

export { INSTITUTION_PREFIX, JOURNEY_PREFIX } from './journey-folder';

/** A value SQLite stores in a read-model column. */
export type RowValue = string | number | null;
/** A row in its table's column order. */
export type Row = readonly RowValue[];
/** A journey's rows: one list per table of the projection, in the order of its `tables`. */
export type JourneyRows = readonly (readonly Row[])[];

export interface JourneyProjectionSpec {
  readonly name: string;
  readonly version: number;
  readonly schema: string;
  /** The tables holding journeys' rows, each with a `journey_id` column. */
  readonly tables: readonly string[];
  /**
   * A journey's rows, derived from its folded state (which already applies corrections and voids). Pure and free of
   * any database, so a rebuild may derive them in a worker thread.
   */
  readonly derive: (state: OpenedJourneyState, journeyId: string) => JourneyRows;
  /** For a read model that also keeps institution events (ward occupancy: wards and their bed counts). */
  readonly institutions?: (db: Database.Database) => (event: StoredEvent) => void;
}

/** A projection fed by journey streams; its spec lets a rebuild fold and derive away from the writing thread. */
export interface JourneyProjectionDefinition extends ProjectionDefinition {
  readonly journey: JourneyProjectionSpec;
}

export function isJourneyProjection(
  definition: ProjectionDefinition,
): definition is JourneyProjectionDefinition {
  return 'journey' in definition;
}

/**
 * Replaces journeys' rows in a read model's tables. Rows of a journey are a pure function of its state, so a journey
 * is always replaced as a whole, and a correction anywhere in it moves the figures exactly as a rebuild would.
 */
export function journeyRowsWriter(
  db: Database.Database,
  spec: JourneyProjectionSpec,
): {
  /** Replaces one journey's rows; `fresh`: it had none (nothing to delete). */
  replace(journeyId: string, rows: JourneyRows | null, fresh: boolean): void;
  /** Deletes the rows of `replaced`, then inserts flat rows (each table's values one after the other). */
  write(writes: {
    readonly replaced: readonly string[];
    readonly values: readonly (readonly RowValue[])[];
  }): void;
} {
  const tables = spec.tables.map((table) => {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all().length;
    return {
      columns,
      remove: db.prepare(`DELETE FROM ${table} WHERE journey_id = ?`),
      insert: db.prepare(`INSERT INTO ${table} VALUES (${Array(columns).fill('?').join(', ')})`),
    };
  });
  return {
    replace(journeyId, rows, fresh) {
      for (let i = 0; i < tables.length; i++) {
        const table = tables[i]!;
        if (!fresh) table.remove.run(journeyId);
        for (const row of rows?.[i] ?? []) table.insert.run(row);
      }
    },
    write({ replaced, values }) {
      for (const table of tables) for (const journeyId of replaced) table.remove.run(journeyId);
      for (let i = 0; i < tables.length; i++) {
        const { columns, insert } = tables[i]!;
        const flat = values[i] ?? [];
        for (let at = 0; at < flat.length; at += columns) insert.run(flat.slice(at, at + columns));
      }
    },
  };
}

/**
 * A read model fed by journey streams. Each journey is folded with the domain's own evolve (JourneyFolder) and its
 * rows are replaced once per page, or once per batch while catching up.
 */
export function journeyProjection(spec: JourneyProjectionSpec): JourneyProjectionDefinition {
  return {
    name: spec.name,
    version: spec.version,
    journey: spec,
    // Every journey projection reads the same streams, so projections running together share each page read
    // (institution events are skipped by those that do not use them).
    streamPrefixes: [JOURNEY_PREFIX, INSTITUTION_PREFIX],
    // Generations built before 2026-11-25 kept each journey's last applied revision; the checkpoint says as much, so
    // the table is dropped where it is found rather than forcing every deployment to rebuild.
    schema: `DROP TABLE IF EXISTS journey_revisions;\n${spec.schema}`,
    open(db, context): ProjectionWriter {
      const rows = journeyRowsWriter(db, spec);
      const institution = spec.institutions?.(db);
      const folder = new JourneyFolder(memoFor(context.store), (streamId) => context.readStream(streamId));
      const write: JourneyWrite = (journeyId, state, fresh) =>
        rows.replace(journeyId, state ? spec.derive(state, journeyId) : null, fresh);
      const institutionEvents: StoredEvent[] = [];
      const stage = (events: readonly StoredEvent[]) => {
        const taken = folder.stage(events, write);
        if (institution) institutionEvents.push(...taken);
      };
      return {
        prepare: (events) => folder.prepare(events),
        stage,
        apply(events) {
          stage(events);
          for (const event of institutionEvents) guard(event, () => institution?.(event));
          institutionEvents.length = 0;
          folder.flush(write);
        },
        rollback() {
          institutionEvents.length = 0;
          folder.rollback();
        },
      };
    },
  };
}
