import {
  evolveJourney,
  initialJourneyState,
  JOURNEY_EVENT_TYPES,
  type JourneyEvent,
  type JourneyState,
  type OpenedJourneyState,
  type RecordedDomainEvent,
  unreadableFacts,
} from '@carepath/domain';
import { FoldCache, foldWeight, type StoredEvent } from '@carepath/event-store';
import { ProjectionEventError } from './projection';

export const JOURNEY_PREFIX = 'journey-';
export const INSTITUTION_PREFIX = 'institution-';

/**
 * Where a folded journey goes: its rows are a pure function of its state, null for a journey with none (never opened).
 * `previous` is the state its rows were written from at the last commit (null: it has none yet), or `unknown`; `last`
 * is its last event taken in, the one a failure is reported against.
 */
export type JourneyWrite = (
  journeyId: string,
  state: OpenedJourneyState | null,
  previous: PreviousRows,
  last: StoredEvent,
) => void;

/** The state a journey's rows were last committed from (null: none), when the folder knows it. */
export type PreviousRows = OpenedJourneyState | null | 'unknown';

const KNOWN_TYPES = new Set<string>(JOURNEY_EVENT_TYPES);

/** Byte budget of the journey states kept in memory between pages, by default; a miss re-reads the log. */
export const DEFAULT_FOLD_CACHE_BYTES = 32 * 1024 * 1024;

/** Folded journeys by journey id, each at the furthest revision a folder has taken it to: see `foldCacheFor`. */
export type JourneyFoldCache = FoldCache<Folded>;

const foldCaches = new WeakMap<object, JourneyFoldCache>();

/**
 * The one cache of folded journeys that every journey projection reading `store` in this thread shares, so the
 * budget bounds the thread, not each projection: with a cache per projection the API held several budgets' worth,
 * and with an entry per projection and journey a pool of journeys written in turn no longer fitted. One entry per
 * journey serves them all: projections reading the same pages find the fold of a page's events in the fold memo
 * (the first to fold them leaves it there), so a projection one page behind the entry needs no state of its own.
 */
export function foldCacheFor(store: object, bytes = DEFAULT_FOLD_CACHE_BYTES): JourneyFoldCache {
  let cache = foldCaches.get(store);
  if (!cache) {
    cache = new FoldCache(bytes);
    foldCaches.set(store, cache);
  }
  return cache;
}

interface Folded {
  state: JourneyState;
  /** Last revision folded into `state`; -1 before the first event. */
  revision: number;
}

/**
 * Folds pages of journey events with the domain's own evolve, so corrections and voids mean the same everywhere,
 * and says which journeys' rows to write. It touches no database: a journey projection writes through it in the
 * runner's transaction, and a rebuild in a worker thread (journey-rebuild.worker.ts) derives rows through it.
 *
 * The folded state is not stored in a read model: it lives in a bounded cache and is rebuilt from the journey's
 * stream on a miss, so the log stays the only copy of the facts. `prepare` runs before each `stage`, and pages hold
 * only events after the checkpoint committed with the rows: that is what makes a redelivered event a no-op, and
 * what tells a cache miss how far its rows go without storing any bookkeeping per journey.
 */
export class JourneyFolder {
  /** Journeys `prepare` read back from the log for the coming page (closed ones are never cached). */
  private readonly loaded = new Map<string, Folded>();
  /** Taken in since the last flush: each open journey's folded state, and what its rows were at the last commit. */
  private readonly dirty = new Map<string, { folded: Folded; previous: PreviousRows; last: StoredEvent }>();
  /** What the states in `dirty` weigh, as the fold cache weighs them (`foldWeight`). */
  private dirtyBytes = 0;
  /** Journeys written since the last commit, in case their transaction rolls back (also after `flush` returned). */
  private written: string[] = [];
  /** Set by `flush`: a commit follows it, so the next page starts a new batch. */
  private flushed = false;

  constructor(
    /** Fold results shared with other folders of this thread reading the same pages; null when there are none. */
    private readonly memo: FoldMemo | null,
    private readonly readStream: (streamId: string) => Promise<readonly StoredEvent[]>,
    private readonly cache: JourneyFoldCache = new FoldCache(DEFAULT_FOLD_CACHE_BYTES),
  ) {}

  /**
   * The runner hands over only events after its checkpoint, and the checkpoint commits with the rows: every earlier
   * event of a journey is already in its rows (or staged), and no later one is. So a journey whose first event here
   * is revision r has rows or staged state exactly when r > 0, reflecting revisions 0..r-1. One that is in neither
   * memory is folded again from the log up to there; one that starts here needs nothing, which is every journey of a
   * log of whole journeys, and most of them in a rebuild.
   */
  async prepare(events: readonly StoredEvent[]): Promise<void> {
    for (const [journeyId, journeyEvents] of planPage(events).journeys) {
      const first = Number(journeyEvents[0]!.revision);
      if (first === 0 || this.folded(journeyEvents, first)) continue;
      // Pinned for `stage`: another projection may move or drop the shared entry meanwhile.
      this.loaded.set(
        journeyId,
        this.current(journeyId, first) ?? (await this.readBack(journeyId, journeyEvents[0]!)),
      );
    }
  }

  /**
   * A journey folded from the log up to just before `event`, its first on this page. Read once for
   * every folder sharing the memo: the projections of a thread are woken by the same commit and prepare the same page
   * at once, so each used to read and fold the journey again, five reads per visit missed by the cache.
   */
  private readBack(journeyId: string, event: StoredEvent): Promise<Folded> {
    const shared = this.memo?.readBack.get(event);
    if (shared) return shared;
    const reading = (async () => {
      try {
        let folded: Folded = { state: initialJourneyState(), revision: -1 };
        for (const stored of await this.readStream(JOURNEY_PREFIX + journeyId)) {
          if (stored.revision >= event.revision) break;
          folded = { state: evolveOne(folded.state, stored), revision: Number(stored.revision) };
        }
        return folded;
      } catch (error) {
        // Not kept: a retry of the same page reads again rather than meeting the same failure.
        this.memo?.readBack.delete(event);
        throw error;
      }
    })();
    this.memo?.readBack.set(event, reading);
    return reading;
  }

  /**
   * Takes a page in and returns its institution events. A journey the page closes goes to `write` at once: a closed
   * journey rarely changes again, and holding its state until the batch commits would only carry it into the old
   * generation of the heap. Open ones wait for `flush`.
   */
  stage(events: readonly StoredEvent[], write: JourneyWrite): readonly StoredEvent[] {
    if (this.flushed) {
      this.written = [];
      this.flushed = false;
    }
    const plan = planPage(events);
    for (const [journeyId, journeyEvents] of plan.journeys) {
      const first = Number(journeyEvents[0]!.revision);
      const last = journeyEvents.at(-1)!;
      const start = this.current(journeyId, first);
      // No state of its own before this page: the memo has the fold (prepare saw to it), or the journey starts here.
      const memoized = start ? null : this.folded(journeyEvents, first);
      const folded =
        memoized?.folded ??
        foldPage(this.memo, start ?? { state: initialJourneyState(), revision: -1 }, journeyEvents, last);
      const staged = this.dirty.get(journeyId);
      const previous = staged ? staged.previous : committedRows(first, start ?? memoized?.start);
      if (staged) this.dirtyBytes -= foldWeight(staged.folded.revision + 1);
      if (folded.state.status !== 'closed') {
        this.dirty.set(journeyId, { folded, previous, last });
        this.dirtyBytes += foldWeight(folded.revision + 1);
        continue;
      }
      this.dirty.delete(journeyId);
      const state = rowsOf(folded.state);
      guard(last, () => write(journeyId, state, previous, last));
      this.remember(journeyId, folded);
      this.written.push(journeyId);
    }
    this.loaded.clear();
    return plan.institutionEvents;
  }

  /**
   * What the open journeys staged since the last flush weigh: a batch runner commits once they weigh more than its
   * budget, so a batch holds at most that much state however many journeys interleave in the log (recording order).
   */
  get stagedBytes(): number {
    return this.dirtyBytes;
  }

  /** Writes every open journey taken in since the last flush; a commit of the batch follows. */
  flush(write: JourneyWrite): void {
    for (const [journeyId, { folded, previous, last }] of this.dirty) {
      const state = rowsOf(folded.state);
      guard(last, () => write(journeyId, state, previous, last));
    }
    // Only once every row is written: a failure above leaves the cache as it was before the batch.
    for (const [journeyId, { folded }] of this.dirty) {
      this.remember(journeyId, folded);
      this.written.push(journeyId);
    }
    this.dirty.clear();
    this.dirtyBytes = 0;
    this.flushed = true;
  }

  /** The batch's transaction rolled back: forget what it took in. */
  rollback(): void {
    this.flushed = false;
    this.loaded.clear();
    this.dirty.clear();
    this.dirtyBytes = 0;
    // The cache may have run ahead of rolled-back rows: forget those journeys; a miss re-reads the log.
    for (const journeyId of this.written) this.cache.delete(journeyId);
    this.written = [];
  }

  /** This journey folded up to just before `first`, when this folder, or the shared cache, has it so. */
  private current(journeyId: string, first: number): Folded | undefined {
    const folded =
      this.dirty.get(journeyId)?.folded ?? this.loaded.get(journeyId) ?? this.cache.get(journeyId);
    // The shared cache may hold the journey further on, taken there by a projection ahead of this one.
    return folded && folded.revision === first - 1 ? folded : undefined;
  }

  /** The fold of a page's events of one journey from just before `first`, left in the memo by another folder. */
  private folded(journeyEvents: readonly StoredEvent[], first: number): MemoizedFold | null {
    const known = this.memo?.folds.get(journeyEvents.at(-1)!);
    return known && known.start.revision === first - 1 ? known : null;
  }

  private remember(journeyId: string, folded: Folded): void {
    // A closed journey rarely changes again (a late correction at most): re-reading it then is cheaper than
    // holding every closed journey of a rebuild in memory.
    const kept = this.cache.get(journeyId);
    // Another projection may have taken the journey this far or further already: its entry serves this one too (the
    // memo), and the cache counts each use of a journey once, not once per projection.
    if (kept && kept.revision >= folded.revision) return;
    if (folded.state.status === 'closed') this.cache.delete(journeyId);
    else this.cache.set(journeyId, folded, folded.revision + 1);
  }
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
 * event object (`folds`), and the others reuse it; likewise a journey read back from the log up to just before its
 * first event of a page (`readBack`, kept under that event while it is read). Keyed weakly by the event, the shared
 * result lives exactly as long as the page that produced it; holding folded journeys any longer made every rebuild
 * pay for them in garbage collection (docs/benchmarks.md, "Projections").
 */
export interface FoldMemo {
  readonly folds: WeakMap<StoredEvent, MemoizedFold>;
  readonly readBack: WeakMap<StoredEvent, Promise<Folded>>;
}

/** A page's fold of one journey: from `start` (the state before the page) to `folded`. */
interface MemoizedFold {
  readonly start: Folded;
  readonly folded: Folded;
}
const memos = new WeakMap<object, FoldMemo>();

/** The fold results shared by every projection reading `store` in this thread. */
export function memoFor(store: object): FoldMemo {
  let memo = memos.get(store);
  if (!memo) {
    memo = { folds: new WeakMap(), readBack: new WeakMap() };
    memos.set(store, memo);
  }
  return memo;
}

function foldPage(
  memo: FoldMemo | null,
  start: Folded,
  events: readonly StoredEvent[],
  last: StoredEvent,
): Folded {
  const known = memo?.folds.get(last);
  if (known && known.start.revision === start.revision) return known.folded;
  // One loop and one result per journey and page: this runs for every event of a rebuild.
  let state = start.state;
  for (const event of events) state = evolveOne(state, event);
  const folded = { state, revision: Number(last.revision) };
  memo?.folds.set(last, { start, folded });
  return folded;
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

/**
 * The state a journey's rows are derived from; null for none. A journey holding a fact whose care time cannot be
 * read (an older version stored it) has no rows until that fact is voided or corrected: only its own figures wait,
 * the projection goes on (docs/robustness.md, "Nothing in the log can stop the engine").
 */
function rowsOf(state: JourneyState): OpenedJourneyState | null {
  if (state.status === 'not-opened' || unreadableFacts(state).length > 0) return null;
  return state;
}

/**
 * What the tables hold for a journey staged nothing since the last commit, whose first event on this page is revision
 * `first`: the checkpoint is just before it, so the rows are those of its state before the page (`before`, when
 * known), and none when the journey starts here.
 */
function committedRows(first: number, before: Folded | undefined): PreviousRows {
  if (first === 0) return null;
  return before ? rowsOf(before.state) : 'unknown';
}

/** Runs `run`, naming `event` in any failure that does not already name one. */
export function guard<T>(event: StoredEvent, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ProjectionEventError) throw error;
    throw new ProjectionEventError(event, error);
  }
}
