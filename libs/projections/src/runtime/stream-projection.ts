import type { DomainEvent, RecordedDomainEvent } from '@carepath/domain';
import type { StoredEvent } from '@carepath/event-store';
import { guard, INSTITUTION_PREFIX } from './journey-folder';
import { type PortableProjectionDefinition, ProjectionEventError, type ProjectionWriter } from './projection';
import type { ReadModelTable } from './read-model-table';
import { type ReadModelWrites, sqliteWrites } from './read-model-writes';

/**
 * A table holding one kind of stream's rows, and the field naming the stream they come from (the resident of a
 * contract stream, the block of a slot stream): a stream's rows are replaced as a whole.
 */
export interface StreamTable {
  readonly table: ReadModelTable<unknown>;
  /** The key's column. */
  readonly keyColumn: string;
}

/** Declares a stream table, checking its key against the row type. */
export const streamTable = <R>(table: ReadModelTable<R>, key: keyof R & string): StreamTable => ({
  table: table,
  keyColumn: table.column(key),
});

/**
 * One kind of stream a projection folds (`<prefix><key>`), with the fold it is read through and the rows derived
 * from the folded state. `derive` is pure: a stream's rows are a function of its events, so a replay, a redelivered
 * page or a rebuild writes the same rows.
 */
export interface StreamKind<S = unknown, E extends DomainEvent = DomainEvent> {
  readonly prefix: string;
  readonly initialState: () => S;
  readonly evolve: (state: S, event: RecordedDomainEvent<E>) => S;
  readonly eventTypes: readonly string[];
  readonly tables: readonly StreamTable[];
  /** The stream's rows, one list per table of `tables`, in their order. */
  readonly derive: (state: S, key: string) => readonly (readonly unknown[])[];
}

/** Declares a stream kind, checking `evolve` and `derive` against one state type. */
export const streamKind = <S, E extends DomainEvent>(kind: StreamKind<S, E>): StreamKind =>
  kind as unknown as StreamKind;

export interface StreamProjectionSpec {
  readonly name: string;
  readonly version: number;
  readonly kinds: readonly StreamKind[];
  /** Tables written by `institutions` (an institution's tier and alliance, as ward occupancy keeps them). */
  readonly referenceTables?: readonly ReadModelTable<unknown>[];
  readonly institutions?: (writes: ReadModelWrites) => (event: StoredEvent) => void;
}

/** Folded states kept between pages; a miss re-reads the stream from the log (it stays the only copy of the facts). */
const CACHE_LIMIT = 20_000;

interface Folded {
  readonly state: unknown;
  /** Last revision folded into `state`; -1 before the first event. */
  readonly revision: number;
}

/**
 * A read model fed by streams other than journeys (a resident's contracts, a slot block, a region's population). Like
 * a journey projection, each stream is folded and its rows are replaced as a whole once per page, so a late event
 * anywhere in a stream moves its rows exactly as a rebuild would. The runner hands over only events after the
 * checkpoint committed with the rows: a stream whose first event on a page is revision r > 0 has rows reflecting
 * revisions 0..r-1, and one not in the cache is folded again from the log up to there.
 */
export function streamProjection(spec: StreamProjectionSpec): PortableProjectionDefinition {
  const kindOf = (streamId: string) => spec.kinds.find((k) => streamId.startsWith(k.prefix));
  const tables = [
    ...(spec.referenceTables ?? []),
    ...spec.kinds.flatMap((k) => k.tables.map((t) => t.table)),
  ];
  const definition: PortableProjectionDefinition = {
    name: spec.name,
    version: spec.version,
    streamPrefixes: [...spec.kinds.map((k) => k.prefix), ...(spec.institutions ? [INSTITUTION_PREFIX] : [])],
    schema: tables.map((table) => table.create).join('\n'),
    tables,
    open: (db, context) => definition.openWrites(sqliteWrites(db), context),
    openWrites(writes, context): ProjectionWriter {
      const institution = spec.institutions?.(writes);
      const cache = new Map<string, Folded>();
      const loaded = new Map<string, Folded>();
      const current = (streamId: string) => loaded.get(streamId) ?? cache.get(streamId);
      const remember = (streamId: string, folded: Folded) => {
        cache.delete(streamId);
        cache.set(streamId, folded);
        if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      };
      const fold = (kind: StreamKind, start: Folded, event: StoredEvent): Folded => {
        if (!kind.eventTypes.includes(event.type)) {
          throw new ProjectionEventError(
            event,
            new Error(`unknown event type ${event.type} in ${event.streamId}`),
          );
        }
        try {
          // A stored event carries every field of a recorded domain event (and more, which evolve ignores).
          const state = kind.evolve(start.state, event as unknown as RecordedDomainEvent);
          return { state, revision: Number(event.revision) };
        } catch (error) {
          throw new ProjectionEventError(event, error);
        }
      };
      return {
        async prepare(events) {
          const firsts = new Map<string, StoredEvent>();
          for (const e of events)
            if (kindOf(e.streamId) && !firsts.has(e.streamId)) firsts.set(e.streamId, e);
          for (const [streamId, first] of firsts) {
            const kind = kindOf(streamId)!;
            const from = Number(first.revision);
            if (from === 0 || cache.get(streamId)?.revision === from - 1) continue;
            let folded: Folded = { state: kind.initialState(), revision: -1 };
            for (const event of await context.readStream(streamId)) {
              if (Number(event.revision) >= from) break;
              folded = fold(kind, folded, event);
            }
            loaded.set(streamId, folded);
          }
        },
        apply(events) {
          // Per stream: its state at the checkpoint (`before`, what its rows hold) and after this page.
          const touched = new Map<
            string,
            { kind: StreamKind; before: Folded; folded: Folded; last: StoredEvent }
          >();
          for (const event of events) {
            if (event.streamId.startsWith(INSTITUTION_PREFIX)) {
              if (institution) guard(event, () => institution(event));
              continue;
            }
            const kind = kindOf(event.streamId);
            if (!kind) continue;
            const seen = touched.get(event.streamId);
            const start = seen?.folded ??
              current(event.streamId) ?? { state: kind.initialState(), revision: -1 };
            touched.set(event.streamId, {
              kind,
              before: seen?.before ?? start,
              folded: fold(kind, start, event),
              last: event,
            });
          }
          for (const [streamId, { kind, before, folded, last }] of touched) {
            const key = streamId.slice(kind.prefix.length);
            guard(last, () => {
              const rows = kind.derive(folded.state, key);
              // The rows as committed, so the store writes only what changed (read-model-writes.ts, keptRows).
              const previous = before.revision < 0 ? [] : kind.derive(before.state, key);
              kind.tables.forEach(({ table, keyColumn }, t) =>
                writes.replace(table, keyColumn, key, rows[t] ?? [], previous[t] ?? []),
              );
            });
          }
          loaded.clear();
          for (const [streamId, { folded }] of touched) remember(streamId, folded);
        },
        rollback() {
          // The cache may have run ahead of rows rolled back: forget it all; a miss re-reads the stream.
          loaded.clear();
          cache.clear();
        },
      };
    },
  };
  return definition;
}
