import { join } from 'node:path';
import { foldWeight } from '@carepath/event-store';
import {
  ALL_PROJECTIONS,
  dumpReadModel,
  isJourneyProjection,
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
});
