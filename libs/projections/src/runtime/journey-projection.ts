import type Database from 'better-sqlite3';
import {
  evolveJourney,
  initialJourneyState,
  JOURNEY_EVENT_TYPES,
  type JourneyEvent,
  type JourneyState,
  type OpenedJourneyState,
  type RecordedDomainEvent,
} from '@carepath/domain';
import type { StoredEvent } from '@carepath/event-store';
import {
  type ProjectionContext,
  type ProjectionDefinition,
  ProjectionEventError,
  type ProjectionWriter,
} from './projection';

export const JOURNEY_PREFIX = 'journey-';
export const INSTITUTION_PREFIX = 'institution-';

/** What a journey-based read model does with a journey whose state changed, and with institution events. */
export interface JourneyRowsWriter {
  /**
   * Replaces every row of this journey (rows of a journey are a pure function of its state). `fresh` is true
   * when the journey had no rows before this page, so there is nothing to delete.
   */
  replaceJourney(journeyId: string, state: OpenedJourneyState | null, fresh: boolean): void;
  institutionEvent?(event: StoredEvent): void;
}

export interface JourneyProjectionSpec {
  readonly name: string;
  readonly version: number;
  readonly schema: string;
  readonly withInstitutions: boolean;
  readonly rows: (db: Database.Database) => JourneyRowsWriter;
}

const KNOWN_TYPES = new Set<string>(JOURNEY_EVENT_TYPES);

/** Journey states kept in memory between pages; a miss re-reads the journey's stream from the log. */
const CACHE_LIMIT = 20_000;

interface Folded {
  state: JourneyState;
  /** Last revision folded into `state`; -1 before the first event. */
  revision: number;
}

/**
 * A read model fed by journey streams. Each journey is folded with the domain's own evolve (so corrections and
 * voids mean the same everywhere) and its rows are replaced once per page. The folded state is not stored in the
 * read model: it lives in a bounded cache and is rebuilt from the journey's stream on a miss, so the log stays
 * the only copy of the facts. `prepare` must run before each `apply` (the runner does).
 */
export function journeyProjection(spec: JourneyProjectionSpec): ProjectionDefinition {
  return {
    name: spec.name,
    version: spec.version,
    // Every journey projection reads the same streams, so projections running together share each page read
    // (institution events are skipped by those that do not use them).
    streamPrefixes: [JOURNEY_PREFIX, INSTITUTION_PREFIX],
    // The last revision applied per journey: what makes a redelivered event a no-op and tells a cache miss
    // whether the journey has rows (and how far to re-read it) without storing its state.
    schema: `
      CREATE TABLE IF NOT EXISTS journey_revisions (journey_id TEXT PRIMARY KEY, revision INTEGER NOT NULL) STRICT, WITHOUT ROWID;
      ${spec.schema}
    `,
    open(db: Database.Database, context: ProjectionContext): ProjectionWriter {
      const rows = spec.rows(db);
      // One statement per page, not one per journey: a page holds thousands of journeys, and the per-call cost of
      // crossing into SQLite dominated a rebuild's bookkeeping (docs/benchmarks.md, "Projections").
      const storedRevisions = db
        .prepare(
          'SELECT journey_id, revision FROM journey_revisions WHERE journey_id IN (SELECT value FROM json_each(?))',
        )
        .raw(true);
      const saveRevisions = db.prepare(
        `INSERT INTO journey_revisions (journey_id, revision)
           SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?) WHERE true
           ON CONFLICT(journey_id) DO UPDATE SET revision = excluded.revision`,
      );
      const memo = memoFor(context);
      const cache = new Map<string, Folded>();
      // Journeys `prepare` read back from the log for the coming page (closed ones are never cached).
      const loaded = new Map<string, Folded>();
      let touchedInPage: string[] = [];

      const remember = (journeyId: string, folded: Folded) => {
        cache.delete(journeyId);
        // A closed journey rarely changes again (a late correction at most): re-reading it then is cheaper than
        // holding every closed journey of a rebuild in memory.
        if (folded.state.status === 'closed') return;
        cache.set(journeyId, folded);
        if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      };

      return {
        async prepare(events) {
          // Journeys of this page that are not cached but already have rows: fold them again from the log, up to
          // the revision their rows reflect.
          const uncached = new Set<string>();
          for (const e of events) {
            if (!e.streamId.startsWith(JOURNEY_PREFIX)) continue;
            const journeyId = e.streamId.slice(JOURNEY_PREFIX.length);
            if (!cache.has(journeyId)) uncached.add(journeyId);
          }
          if (uncached.size === 0) return;
          const stored = storedRevisions.all(JSON.stringify([...uncached])) as [string, number][];
          for (const [journeyId, revision] of stored) {
            let folded: Folded = { state: initialJourneyState(), revision: -1 };
            for (const event of await context.readStream(JOURNEY_PREFIX + journeyId)) {
              if (Number(event.revision) > revision) break;
              folded = fold(folded, event);
            }
            loaded.set(journeyId, folded);
          }
        },

        apply(events) {
          // A page's events per journey, in log order; institution events go straight to their rows.
          const byJourney = new Map<string, StoredEvent[]>();
          for (const event of events) {
            if (event.streamId.startsWith(INSTITUTION_PREFIX)) {
              if (spec.withInstitutions) guard(event, () => rows.institutionEvent?.(event));
              continue;
            }
            const journeyId = event.streamId.slice(JOURNEY_PREFIX.length);
            const list = byJourney.get(journeyId);
            if (list) list.push(event);
            else byJourney.set(journeyId, [event]);
          }
          touchedInPage = [...byJourney.keys()];
          const revisions: [string, number][] = [];
          for (const [journeyId, journeyEvents] of byJourney) {
            const start = loaded.get(journeyId) ??
              cache.get(journeyId) ?? { state: initialJourneyState(), revision: -1 };
            // Already folded (a redelivered page): nothing changes.
            const todo = journeyEvents.filter((e) => Number(e.revision) > start.revision);
            const last = todo.at(-1);
            if (!last) continue;
            const folded = foldPage(memo, start, todo, last);
            remember(journeyId, folded);
            revisions.push([journeyId, folded.revision]);
            const state = folded.state.status === 'not-opened' ? null : folded.state;
            guard(last, () => rows.replaceJourney(journeyId, state, start.revision < 0));
          }
          if (revisions.length > 0) saveRevisions.run(JSON.stringify(revisions));
          loaded.clear();
        },

        rollback() {
          loaded.clear();
          // The cache ran ahead of the rolled-back rows: forget those journeys; a miss re-reads the log.
          for (const journeyId of touchedInPage) cache.delete(journeyId);
        },
      };
    },
  };
}

/**
 * The state of a journey after revision r is a pure function of the log, so projections reading the same page
 * share each fold: the first to fold a journey's events up to a given stored event keeps the result under that
 * event object, and the others reuse it. Keyed weakly by the event, the shared result lives exactly as long as
 * the page that produced it; holding folded journeys any longer made every rebuild pay for them in garbage
 * collection (docs/benchmarks.md, "Projections").
 */
type FoldMemo = WeakMap<StoredEvent, { from: number; folded: Folded }>;
const memos = new WeakMap<object, FoldMemo>();

function memoFor(context: ProjectionContext): FoldMemo {
  let memo = memos.get(context.store);
  if (!memo) {
    memo = new WeakMap();
    memos.set(context.store, memo);
  }
  return memo;
}

function foldPage(memo: FoldMemo, start: Folded, events: readonly StoredEvent[], last: StoredEvent): Folded {
  const known = memo.get(last);
  if (known && known.from === start.revision) return known.folded;
  const folded = events.reduce(fold, start);
  memo.set(last, { from: start.revision, folded });
  return folded;
}

function fold(folded: Folded, event: StoredEvent): Folded {
  if (!KNOWN_TYPES.has(event.type)) {
    throw new ProjectionEventError(event, new Error(`unknown journey event type ${event.type}`));
  }
  // A stored event carries every field of a recorded domain event (and more, which evolve ignores): no copy.
  const recorded = event as unknown as RecordedDomainEvent<JourneyEvent>;
  return {
    state: guard(event, () => evolveJourney(folded.state, recorded)),
    revision: Number(event.revision),
  };
}

function guard<T>(event: StoredEvent, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ProjectionEventError) throw error;
    throw new ProjectionEventError(event, error);
  }
}
