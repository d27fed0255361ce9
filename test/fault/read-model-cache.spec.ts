import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@carepath/event-store';
import { ProjectionRunner, ReadModelFiles, worklistProjection } from '@carepath/projections';
import { appendInstitutions, appendJourneys } from '../support/journey-generator';

/**
 * A read-model file keeps a large page cache while it is built and a small one once it has caught up with the log
 * (ReadModelFiles: BUILDING_CACHE_KB, LIVE_CACHE_KB): eight files each holding the building size under live load was
 * memory for nothing.
 */
describe('read-model page cache', () => {
  let folder: string;
  let store: SqliteEventStore;
  let runner: ProjectionRunner | null = null;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-rm-cache-'));
    store = SqliteEventStore.open({ filename: join(folder, 'carepath.db') });
    await appendInstitutions(store);
  });

  afterEach(async () => {
    await runner?.stop();
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('given a log to catch up with, builds with the large cache and keeps the small one from its first catch-up on', async () => {
    await appendJourneys(store, 0, 30);
    const files = new ReadModelFiles(join(folder, 'read-models'));
    const sizes: number[] = [];
    const caughtUp = files.caughtUp.bind(files);
    jest.spyOn(files, 'caughtUp').mockImplementation((db) => {
      sizes.push(Number(db.pragma('cache_size', { simple: true })));
      caughtUp(db);
      sizes.push(Number(db.pragma('cache_size', { simple: true })));
    });
    runner = new ProjectionRunner(store, worklistProjection, files, { rebuildInWorker: false });
    await runner.start();
    await runner.waitFor(await store.headPosition());
    await appendJourneys(store, 30, 40);
    await runner.waitFor(await store.headPosition());
    expect(sizes).toEqual([-4_000, -1_000]);
  });
});
