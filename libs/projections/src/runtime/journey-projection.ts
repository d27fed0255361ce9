import type Database from 'better-sqlite3';
import type { OpenedJourneyState } from '@carepath/domain';
import type { StoredEvent } from '@carepath/event-store';
import {
  guard,
  INSTITUTION_PREFIX,
  JOURNEY_PREFIX,
  foldCacheFor,
  JourneyFolder,
  type JourneyWrite,
  memoFor,
} from './journey-folder';
import type { PortableProjectionDefinition, ProjectionDefinition, ProjectionWriter } from './projection';
import type { ReadModelTable, RowValue } from './read-model-table';
import { type ReadModelWrites, sqliteWrites } from './read-model-writes';

export { INSTITUTION_PREFIX, JOURNEY_PREFIX } from './journey-folder';

/** A journey's rows: one list per table of the projection, in the order of its `tables`. */
export type JourneyRows = readonly (readonly unknown[])[];

/** A table holding journeys' rows: each names its journey, and a journey's rows are replaced as a whole. */
export type JourneyTable<R extends { readonly journeyId: string } = { readonly journeyId: string }> =
  ReadModelTable<R>;

type RowOf<T> = T extends ReadModelTable<infer R> ? R : never;

/** For each table, the rows `derive` gives it. */
export type RowsOf<T extends readonly JourneyTable[]> = { readonly [K in keyof T]: readonly RowOf<T[K]>[] };

export interface JourneyProjectionSpec<T extends readonly JourneyTable[] = readonly JourneyTable[]> {
  readonly name: string;
  readonly version: number;
  /** The tables holding journeys' rows, in the order `derive` returns them. */
  readonly tables: T;
  /** Its other tables, written by `institutions`. */
  readonly referenceTables?: readonly ReadModelTable<unknown>[];
  /**
   * A journey's rows, derived from its folded state (which already applies corrections and voids). Pure and free of
   * any database, so a rebuild may derive them in a worker thread.
   */
  readonly derive: (state: OpenedJourneyState, journeyId: string) => RowsOf<T>;
  /** For a read model that also keeps institution events (ward occupancy: wards and their bed counts). */
  readonly institutions?: (writes: ReadModelWrites) => (event: StoredEvent) => void;
}

/** A projection fed by journey streams; its spec lets a rebuild fold and derive away from the writing thread. */
export interface JourneyProjectionDefinition extends PortableProjectionDefinition {
  readonly journey: JourneyProjectionSpec;
}

export function isJourneyProjection(
  definition: ProjectionDefinition,
): definition is JourneyProjectionDefinition {
  return 'journey' in definition;
}

/** Appends each table's rows, encoded by its declaration, to that table's flat list of values. */
export function encodeJourneyRows(
  tables: readonly JourneyTable[],
  rows: JourneyRows,
  values: readonly RowValue[][],
): number {
  let count = 0;
  rows.forEach((tableRows, t) => {
    const table = tables[t]!;
    const out = values[t]!;
    const before = out.length;
    for (const row of tableRows) table.encodeInto(out, row as { readonly journeyId: string });
    count += out.length - before;
  });
  return count;
}

/**
 * Replaces journeys' rows in a read model's tables. Rows of a journey are a pure function of its state, so a journey
 * is always replaced as a whole, and a correction anywhere in it moves the figures exactly as a rebuild would.
 */
export function journeyRowsWriter(
  db: Database.Database,
  spec: JourneyProjectionSpec,
): {
  /** Deletes the rows of `replaced`, then inserts flat rows (each table's values one after the other). */
  write(writes: {
    readonly replaced: readonly string[];
    readonly values: readonly (readonly RowValue[])[];
  }): void;
} {
  const tables = spec.tables.map((table) => ({
    table,
    columns: table.columns.length,
    remove: db.prepare(`DELETE FROM ${table.name} WHERE ${table.column('journeyId')} = ?`),
    insert: db.prepare(table.insert),
  }));
  return {
    write({ replaced, values }) {
      for (const { remove } of tables) for (const journeyId of replaced) remove.run(journeyId);
      for (let i = 0; i < tables.length; i++) {
        const { columns, insert } = tables[i]!;
        const flat = values[i] ?? [];
        for (let at = 0; at < flat.length; at += columns) insert.run(flat.slice(at, at + columns));
      }
    },
  };
}

/**
 * Writes a journey's rows, derived from its state, in each of a projection's tables (none for a null state).
 * `previous`: what the tables hold for it (see JourneyWrite), derived here too, so a store writes only what changed.
 */
export function journeyReplacer(writes: ReadModelWrites, spec: JourneyProjectionSpec): JourneyWrite {
  const tables = spec.tables.map((table) => ({ table, key: table.column('journeyId') }));
  const derive = (state: OpenedJourneyState | null, journeyId: string): JourneyRows =>
    state ? spec.derive(state, journeyId) : [];
  return (journeyId, state, previous) => {
    const rows = derive(state, journeyId);
    const before = previous === 'unknown' ? undefined : derive(previous, journeyId);
    for (let i = 0; i < tables.length; i++) {
      const { table, key } = tables[i]!;
      writes.replace(table, key, journeyId, rows[i] ?? [], before && (before[i] ?? []));
    }
  };
}

/**
 * A read model fed by journey streams. Each journey is folded with the domain's own evolve (JourneyFolder) and its
 * rows are replaced once per page, or once per batch while catching up.
 */
export function journeyProjection<const T extends readonly JourneyTable[]>(
  spec: JourneyProjectionSpec<T>,
): JourneyProjectionDefinition {
  const journey = spec as unknown as JourneyProjectionSpec;
  const tables = [...(spec.referenceTables ?? []), ...spec.tables] as readonly ReadModelTable<unknown>[];
  const definition: JourneyProjectionDefinition = {
    name: spec.name,
    version: spec.version,
    journey,
    // Every journey projection reads the same streams, so projections running together share each page read
    // (institution events are skipped by those that do not use them).
    streamPrefixes: [JOURNEY_PREFIX, INSTITUTION_PREFIX],
    // Generations built before 2026-11-25 kept each journey's last applied revision; the checkpoint says as much, so
    // the table is dropped where it is found rather than forcing every deployment to rebuild.
    schema: ['DROP TABLE IF EXISTS journey_revisions;', ...tables.map((table) => table.create)].join('\n'),
    tables,
    open: (db, context) => definition.openWrites(sqliteWrites(db), context),
    openWrites(writes, context): ProjectionWriter {
      const write = journeyReplacer(writes, journey);
      const institution = spec.institutions?.(writes);
      const folder = new JourneyFolder(
        memoFor(context.store),
        (streamId) => context.readStream(streamId),
        foldCacheFor(context.store, context.foldCacheBytes),
      );
      const institutionEvents: StoredEvent[] = [];
      const stage = (events: readonly StoredEvent[]) => {
        const taken = folder.stage(events, write);
        if (institution) institutionEvents.push(...taken);
      };
      return {
        prepare: (events) => folder.prepare(events),
        stage,
        stagedBytes: () => folder.stagedBytes,
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
  return definition;
}
