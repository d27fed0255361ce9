import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@carepath/event-store';
import {
  dumpReadModel,
  ProjectionRunner,
  ReadModelFiles,
  ReadModelTakenError,
  wardOccupancyProjection,
} from '@carepath/projections';
import { appendInstitutions, appendJourneys } from '../support/journey-generator';
import { waitFor } from '../support/wait-for';

/**
 * Two runners writing one generation: a projector paused past its lease (docs/scaling.md, "Projectors that share
 * work") while another took the projection over. The checkpoint names the last runner to open the generation for
 * writing; the other's commits roll back, so no page is applied twice and the rows are those of one writer.
 */
describe('read-model fence', () => {
  let folder: string;
  let store: SqliteEventStore;
  const runners: ProjectionRunner[] = [];

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-fence-'));
    store = SqliteEventStore.open({ filename: join(folder, 'carepath.db') });
    await appendInstitutions(store);
  });

  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const runner = async (files: ReadModelFiles) => {
    const started = new ProjectionRunner(store, wardOccupancyProjection, files, { rebuildInWorker: false });
    runners.push(started);
    await started.start();
    return started;
  };

  it('given a second runner opened the generation, then the first one writes nothing more and stops on ReadModelTakenError', async () => {
    await appendJourneys(store, 0, 20);
    const old = await runner(new ReadModelFiles(join(folder, 'read-models')));
    await old.waitFor(await store.headPosition());
    const taker = await runner(new ReadModelFiles(join(folder, 'read-models')));
    await appendJourneys(store, 20, 40);
    const head = await store.headPosition();
    await taker.waitFor(head);
    const failed = await waitFor(
      () => old.status(),
      (s) => s.state === 'failed' || s.state === 'retrying',
      { what: 'the old runner to stop writing' },
    );
    expect(failed.lastError?.message).toContain(new ReadModelTakenError('ward-occupancy', 1).message);
    expect(BigInt(failed.position)).toBeLessThan(head);

    const scratch = await runner(new ReadModelFiles(join(folder, 'scratch')));
    await scratch.waitFor(head);
    expect(dumpReadModel(taker.reader())).toEqual(dumpReadModel(scratch.reader()));
  });
});
