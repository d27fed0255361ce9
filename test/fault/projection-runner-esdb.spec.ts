import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EsdbEventStore } from '@carepath/event-store';
import { ProjectionRunner, ReadModelFiles, wardOccupancyProjection } from '@carepath/projections';
import { EsdbProtocolDouble } from '../support/esdb-protocol-double';
import { generateJourney, institutionStreams } from '../support/journey-generator';

/** Projections checkpoint EventStoreDB commit positions (bigint, with gaps) and resume from them after a restart. */
describe('projection runner on EventStoreDB', () => {
  let double: EsdbProtocolDouble;
  let folder: string;
  beforeAll(async () => {
    double = await EsdbProtocolDouble.start();
    folder = mkdtempSync(join(tmpdir(), 'carepath-esdb-runner-'));
  });
  afterAll(async () => {
    await double.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const rows = (db: Database.Database) => ({
    stays: db.prepare('SELECT * FROM stays ORDER BY admission_id').all(),
    segments: db.prepare('SELECT * FROM segments ORDER BY admission_id, from_ms').all(),
    bedCounts: db.prepare('SELECT * FROM bed_counts ORDER BY event_id').all(),
  });

  it('resumes from its checkpoint after a restart and ends equal to a rebuild from zero', async () => {
    const store = EsdbEventStore.open({ connectionString: double.connectionString });
    const append = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const { streamId, events } = generateJourney(i, 7);
        await store.append(streamId, events, { expectedRevision: 'no-stream' });
      }
    };
    for (const { streamId, events } of institutionStreams())
      await store.append(streamId, events, { expectedRevision: 'any' });
    await append(0, 20);

    const files = new ReadModelFiles(join(folder, 'live'));
    const first = new ProjectionRunner(store, wardOccupancyProjection, files, { pageSize: 25 });
    await first.start();
    await first.waitFor(await store.headPosition());
    const checkpoint = first.reader().prepare('SELECT position FROM checkpoint').safeIntegers(true).get() as {
      position: bigint;
    };
    expect(checkpoint.position).toBe(await store.headPosition());
    await first.stop();

    // Written while the projector is down; a restart must pick them up from the stored ESDB position.
    await append(20, 35);
    const second = new ProjectionRunner(store, wardOccupancyProjection, files, { pageSize: 25 });
    await second.start();
    await second.waitFor(await store.headPosition());

    const scratch = new ReadModelFiles(join(folder, 'scratch'));
    const rebuilt = new ProjectionRunner(store, wardOccupancyProjection, scratch, { pageSize: 500 });
    await rebuilt.start();
    await rebuilt.waitFor(await store.headPosition());
    expect(rows(second.reader())).toEqual(rows(rebuilt.reader()));
    expect(rows(second.reader()).stays.length).toBeGreaterThan(20);

    await second.stop();
    await rebuilt.stop();
    files.close();
    scratch.close();
    await store.close();
  });
});
