import { join } from 'node:path';
import type { OpenedJourneyState } from '@carepath/domain';
import { foldWeight, type StoredEvent } from '@carepath/event-store';
import {
  ALL_PROJECTIONS,
  dumpReadModel,
  foldCacheFor,
  isJourneyProjection,
  JourneyFolder,
  memoFor,
  type PreviousRows,
  type ProjectionRunner,
  ReadModelFiles,
} from '@carepath/projections';
import { RunnerHarness, seedJourneys } from '../support/projection-harness';

const JOURNEY_PROJECTIONS = ALL_PROJECTIONS.filter(isJourneyProjection);

/**
 * The journey projections of a thread share one cache of folded journeys, one entry per journey, and the fold memo
 * (journey-folder.ts): a projection a page behind the entry takes the page's fold from the memo. Whatever the
 * budget (a few journeys, so entries are dropped and taken further by others all the time, or all of them), every
 * read model must equal the one a lone runner builds.
 */
describe('journey projections sharing one fold cache', () => {
  const harness = new RunnerHarness();
  beforeEach(() => harness.open('carepath-shared-folds-'));
  afterEach(() => harness.close());

  it.each([
    ['a budget of a few journeys', foldWeight(12) * 3],
    ['a budget holding every journey', 64 * 1024 * 1024],
  ])(
    'given %s, when the projections run together on interleaved pages, then each equals a lone build',
    async (_, bytes) => {
      const { store } = harness;
      // Each journey in two appends (its first two events, then the rest), so most pages continue journeys.
      await seedJourneys(store, 0, 80, 2);
      const files = new ReadModelFiles(join(harness.folder, 'together'));
      const together: ProjectionRunner[] = [];
      for (const definition of JOURNEY_PROJECTIONS)
        together.push(await harness.start(store, definition, files, { pageSize: 7, foldCacheBytes: bytes }));
      // Then live, while they follow the log page by page.
      await seedJourneys(store, 80, 140, 3);
      for (const runner of together) await harness.caughtUp(runner);
      for (const [i, definition] of JOURNEY_PROJECTIONS.entries()) {
        const lone = await harness.caughtUpIn(`lone-${definition.name}`, definition, { pageSize: 500 });
        expect({ [definition.name]: dumpReadModel(together[i]!.reader()) }).toEqual({
          [definition.name]: dumpReadModel(lone.reader()),
        });
      }
      files.close();
    },
  );

  /**
   * A folder tells each write what the journey's rows were at the last commit, so the store writes only what changed
   * (read-model-writes.ts, keptRows). Wrong there, a read model keeps stale rows; unknown there, every event rewrites
   * the journey's whole history. Several folders take the same pages in turn, as the projections of a thread do, the
   * later ones from the fold memo.
   */
  it.each([
    ['a budget of a few journeys', foldWeight(12) * 3],
    ['a budget holding every journey', 64 * 1024 * 1024],
  ])('given %s, each write names the state the journey was last written from', async (_, bytes) => {
    const { store } = harness;
    await seedJourneys(store, 0, 60, 2);
    const events: StoredEvent[] = [];
    for (let after = 0n, end = false; !end;) {
      const page = await store.readAll({ after, maxCount: 500 });
      events.push(...page.events.filter((e) => e.streamId.startsWith('journey-')));
      ({ lastPosition: after, isEnd: end } = page);
    }
    const folders = [0, 1, 2].map(
      () => new JourneyFolder(memoFor(store), (id) => store.readStream(id), foldCacheFor(store, bytes)),
    );
    const written = folders.map(() => new Map<string, OpenedJourneyState | null>());
    const unknown: string[] = [];
    let continued = 0;
    for (let at = 0, pages = 1; at < events.length; at += 7, pages++) {
      const page = events.slice(at, at + 7);
      // Every third page commits, as a batch does while catching up: a journey may be staged again before it.
      const commits = pages % 3 === 0 || at + 7 >= events.length;
      for (const [i, folder] of folders.entries()) {
        const write = (journeyId: string, state: OpenedJourneyState | null, previous: PreviousRows) => {
          if (previous === 'unknown') unknown.push(journeyId);
          else
            expect({ journeyId, previous }).toEqual({
              journeyId,
              previous: written[i]!.get(journeyId) ?? null,
            });
          if (i === 0 && written[0]!.has(journeyId)) continued++;
          written[i]!.set(journeyId, state);
        };
        await folder.prepare(page);
        folder.stage(page, write);
        if (commits) folder.flush(write);
      }
    }
    expect(continued).toBeGreaterThan(20);
    expect(unknown).toEqual([]);
  });

  /**
   * A page's journeys missed by the cache are read back from the log. The projections of a thread are woken by the
   * same commit and prepare the same page at once: each journey must be read once for all of them, not once each.
   */
  it('given journeys the cache does not hold, when several folders prepare one page at once, then each is read once', async () => {
    const { store } = harness;
    await seedJourneys(store, 0, 30, 2);
    const page: StoredEvent[] = [];
    for (let after = 0n, end = false; !end;) {
      const read = await store.readAll({ after, maxCount: 500 });
      page.push(...read.events.filter((e) => e.streamId.startsWith('journey-') && e.revision > 0n));
      ({ lastPosition: after, isEnd: end } = read);
    }
    const continuing = new Set(page.map((e) => e.streamId));
    const reads: string[] = [];
    const readStream = (id: string) => {
      reads.push(id);
      return store.readStream(id);
    };
    // A budget of nothing: every journey continued on the page is a miss.
    const folders = [0, 1, 2, 3, 4].map(
      () => new JourneyFolder(memoFor(store), readStream, foldCacheFor(store, 0)),
    );
    await Promise.all(folders.map((folder) => folder.prepare(page)));
    expect(reads.sort()).toEqual([...continuing].sort());
    const states = folders.map((folder) => {
      const rows = new Map<string, OpenedJourneyState | null>();
      folder.stage(page, (journeyId, state) => rows.set(journeyId, state));
      folder.flush((journeyId, state) => rows.set(journeyId, state));
      return rows;
    });
    expect(states[0]!.size).toBe(continuing.size);
    for (const rows of states.slice(1)) expect(rows).toEqual(states[0]);
  });
});
