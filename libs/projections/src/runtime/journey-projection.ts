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
 * the only copy of the facts. The cache revision makes a redelivered event a no-op.
 */
export function journeyProjection(spec: JourneyProjectionSpec): ProjectionDefinition {
  return {
    name: spec.name,
    version: spec.version,
    streamPrefixes: spec.withInstitutions ? [JOURNEY_PREFIX, INSTITUTION_PREFIX] : [JOURNEY_PREFIX],
    schema: spec.schema,
    open(db: Database.Database, context: ProjectionContext): ProjectionWriter {
      const rows = spec.rows(db);
      const cache = new Map<string, Folded>();
      let touchedInPage: string[] = [];

      const remember = (journeyId: string, folded: Folded) => {
        cache.delete(journeyId);
        cache.set(journeyId, folded);
        if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      };

      return {
        async prepare(events) {
          // Journeys that continue from before this page and are not cached: fold their earlier events.
          const firstRevision = new Map<string, bigint>();
          for (const e of events) {
            if (!e.streamId.startsWith(JOURNEY_PREFIX) || firstRevision.has(e.streamId)) continue;
            firstRevision.set(e.streamId, e.revision);
          }
          for (const [streamId, first] of firstRevision) {
            const journeyId = streamId.slice(JOURNEY_PREFIX.length);
            if (first === 0n || cache.has(journeyId)) continue;
            let folded: Folded = { state: initialJourneyState(), revision: -1 };
            for (const e of await context.readStream(streamId)) {
              if (e.revision >= first) break;
              folded = fold(folded, e);
            }
            remember(journeyId, folded);
          }
        },

        apply(events) {
          const touched = new Map<string, { folded: Folded; fresh: boolean; last: StoredEvent }>();
          touchedInPage = [];
          for (const event of events) {
            if (event.streamId.startsWith(INSTITUTION_PREFIX)) {
              guard(event, () => rows.institutionEvent?.(event));
              continue;
            }
            const journeyId = event.streamId.slice(JOURNEY_PREFIX.length);
            let entry = touched.get(journeyId);
            if (!entry) {
              const cached = cache.get(journeyId);
              entry = cached
                ? { folded: cached, fresh: cached.revision < 0, last: event }
                : { folded: { state: initialJourneyState(), revision: -1 }, fresh: true, last: event };
              touched.set(journeyId, entry);
              touchedInPage.push(journeyId);
            }
            if (Number(event.revision) <= entry.folded.revision) continue;
            entry.folded = fold(entry.folded, event);
            entry.last = event;
          }
          for (const [journeyId, entry] of touched) {
            remember(journeyId, entry.folded);
            const state = entry.folded.state.status === 'not-opened' ? null : entry.folded.state;
            guard(entry.last, () => rows.replaceJourney(journeyId, state, entry.fresh));
          }
        },

        rollback() {
          // The cache ran ahead of the rolled-back rows: forget those journeys; a miss re-reads the log.
          for (const journeyId of touchedInPage) cache.delete(journeyId);
        },
      };
    },
  };
}

function fold(folded: Folded, event: StoredEvent): Folded {
  if (!KNOWN_TYPES.has(event.type)) {
    throw new ProjectionEventError(event, new Error(`unknown journey event type ${event.type}`));
  }
  const recorded = {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  } as unknown as RecordedDomainEvent<JourneyEvent>;
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
