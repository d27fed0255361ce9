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
   * when the journey had no rows before this write (one page, or a batch of staged pages): nothing to delete.
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
 * the only copy of the facts. As the runner guarantees, `prepare` runs before each `apply`, and pages hold only
 * events after the checkpoint committed with the rows: that is what makes a redelivered event a no-op, and what tells
 * a cache miss how far its rows go without storing any bookkeeping per journey.
 */
export function journeyProjection(spec: JourneyProjectionSpec): ProjectionDefinition {
  return {
    name: spec.name,
    version: spec.version,
    // Every journey projection reads the same streams, so projections running together share each page read
    // (institution events are skipped by those that do not use them).
    streamPrefixes: [JOURNEY_PREFIX, INSTITUTION_PREFIX],
    // Generations built before 2026-11-25 kept each journey's last applied revision; the checkpoint says as much, so
    // the table is dropped where it is found rather than forcing every deployment to rebuild.
    schema: `DROP TABLE IF EXISTS journey_revisions;\n${spec.schema}`,
    open(db: Database.Database, context: ProjectionContext): ProjectionWriter {
      const rows = spec.rows(db);
      const memo = memoFor(context);
      const cache = new Map<string, Folded>();
      // Journeys `prepare` read back from the log for the coming page (closed ones are never cached).
      const loaded = new Map<string, Folded>();
      // Taken in since the last write: each journey's folded state, and whether it had rows before (none to delete).
      const dirty = new Map<string, { folded: Folded; fresh: boolean; last: StoredEvent }>();
      const institutionEvents: StoredEvent[] = [];
      // Journeys written since the last commit, in case their transaction rolls back (also after `apply` returned).
      let written: string[] = [];
      // Set by `apply`: the runner commits right after it, so the next page starts a new batch.
      let applied = false;

      const remember = (journeyId: string, folded: Folded) => {
        cache.delete(journeyId);
        // A closed journey rarely changes again (a late correction at most): re-reading it then is cheaper than
        // holding every closed journey of a rebuild in memory.
        if (folded.state.status === 'closed') return;
        cache.set(journeyId, folded);
        if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      };
      const current = (journeyId: string) =>
        dirty.get(journeyId)?.folded ?? loaded.get(journeyId) ?? cache.get(journeyId);

      const stage = (events: readonly StoredEvent[]) => {
        if (applied) {
          written = [];
          applied = false;
        }
        const plan = planPage(events);
        if (spec.withInstitutions) institutionEvents.push(...plan.institutionEvents);
        for (const [journeyId, journeyEvents] of plan.journeys) {
          const start = current(journeyId) ?? { state: initialJourneyState(), revision: -1 };
          const last = journeyEvents.at(-1)!;
          const folded = foldPage(memo, start, journeyEvents, last);
          const fresh = dirty.get(journeyId)?.fresh ?? start.revision < 0;
          if (folded.state.status !== 'closed') {
            dirty.set(journeyId, { folded, fresh, last });
            continue;
          }
          // A closed journey rarely changes again, so its rows are written now, inside the batch's transaction:
          // holding its state until the batch commits would only carry it into the old generation of the heap.
          dirty.delete(journeyId);
          const state = folded.state;
          guard(last, () => rows.replaceJourney(journeyId, state, fresh));
          remember(journeyId, folded);
          written.push(journeyId);
        }
        loaded.clear();
      };

      return {
        async prepare(events) {
          // The runner hands over only events after its checkpoint, and the checkpoint commits with the rows: every
          // earlier event of a journey is already in its rows (or staged), and no later one is. So a journey whose
          // first event here is revision r has rows or staged state exactly when r > 0, reflecting revisions
          // 0..r-1. One that is in neither memory is folded again from the log up to there; one that starts here
          // needs nothing, which is every journey of a log of whole journeys, and most of them in a rebuild.
          for (const [journeyId, journeyEvents] of planPage(events).journeys) {
            const first = Number(journeyEvents[0]!.revision);
            if (first === 0 || current(journeyId)?.revision === first - 1) continue;
            let folded: Folded = { state: initialJourneyState(), revision: -1 };
            for (const event of await context.readStream(JOURNEY_PREFIX + journeyId)) {
              if (Number(event.revision) >= first) break;
              folded = fold(folded, event);
            }
            loaded.set(journeyId, folded);
          }
        },

        stage,

        apply(events) {
          stage(events);
          for (const event of institutionEvents) guard(event, () => rows.institutionEvent?.(event));
          for (const [journeyId, { folded, fresh, last }] of dirty) {
            const state = folded.state.status === 'not-opened' ? null : folded.state;
            guard(last, () => rows.replaceJourney(journeyId, state, fresh));
          }
          // Only once every row is written: a failure above leaves the cache as it was before the batch.
          for (const [journeyId, { folded }] of dirty) {
            remember(journeyId, folded);
            written.push(journeyId);
          }
          dirty.clear();
          institutionEvents.length = 0;
          applied = true;
        },

        rollback() {
          applied = false;
          loaded.clear();
          dirty.clear();
          institutionEvents.length = 0;
          // The cache may have run ahead of rolled-back rows: forget those journeys; a miss re-reads the log.
          for (const journeyId of written) cache.delete(journeyId);
          written = [];
        },
      };
    },
  };
}

/** A page's journey events grouped per journey in log order, and its institution events. */
interface PagePlan {
  readonly first: StoredEvent;
  readonly length: number;
  readonly last: StoredEvent;
  readonly journeys: ReadonlyMap<string, readonly StoredEvent[]>;
  readonly institutionEvents: readonly StoredEvent[];
}

const EMPTY_PLAN = { journeys: new Map(), institutionEvents: [] } as const;

/**
 * Projections running together receive the same page (as the same event objects, though each may drop a prefix it
 * has already taken in), one after the other, and each prepares and stages it: the last page's grouping is kept, so
 * it is done once. Two arrays with the same first event, last event and length are the same events: a runner only
 * ever drops a prefix of positions at or below its checkpoint. One page, held strongly: kept weakly under its own
 * events, the grouping (which holds them) left the collector chains of pages to trace, and some rebuilds then peaked
 * at twice the memory.
 */
let lastPlan: PagePlan | null = null;

function planPage(events: readonly StoredEvent[]): Pick<PagePlan, 'journeys' | 'institutionEvents'> {
  const first = events[0];
  const last = events.at(-1);
  if (!first || !last) return EMPTY_PLAN;
  const known = lastPlan;
  if (known && known.first === first && known.length === events.length && known.last === last) return known;
  const journeys = new Map<string, StoredEvent[]>();
  const institutionEvents: StoredEvent[] = [];
  for (const event of events) {
    if (event.streamId.startsWith(INSTITUTION_PREFIX)) {
      institutionEvents.push(event);
      continue;
    }
    const journeyId = event.streamId.slice(JOURNEY_PREFIX.length);
    const list = journeys.get(journeyId);
    if (list) list.push(event);
    else journeys.set(journeyId, [event]);
  }
  lastPlan = { first, length: events.length, last, journeys, institutionEvents };
  return lastPlan;
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
  // One loop and one result per journey and page: this runs for every event of a rebuild.
  let state = start.state;
  for (const event of events) state = evolveOne(state, event);
  const folded = { state, revision: Number(last.revision) };
  memo.set(last, { from: start.revision, folded });
  return folded;
}

function fold(folded: Folded, event: StoredEvent): Folded {
  return { state: evolveOne(folded.state, event), revision: Number(event.revision) };
}

function evolveOne(state: JourneyState, event: StoredEvent): JourneyState {
  if (!KNOWN_TYPES.has(event.type)) {
    throw new ProjectionEventError(event, new Error(`unknown journey event type ${event.type}`));
  }
  try {
    // A stored event carries every field of a recorded domain event (and more, which evolve ignores): no copy.
    return evolveJourney(state, event as unknown as RecordedDomainEvent<JourneyEvent>);
  } catch (error) {
    throw new ProjectionEventError(event, error);
  }
}

function guard<T>(event: StoredEvent, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ProjectionEventError) throw error;
    throw new ProjectionEventError(event, error);
  }
}
