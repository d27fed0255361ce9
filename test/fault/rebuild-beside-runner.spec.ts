import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite from 'better-sqlite3';
import {
  ALL_PROJECTIONS,
  ProjectionRunner,
  ReadModelFiles,
  rebuildTogether,
  sqliteReader,
} from '@carepath/projections';
import { dumpThrough, PORTABLE_PROJECTIONS, seededLog } from '../contract/read-model-store.contract';
import { liveOn, seedJourneys } from '../support/projection-harness';

/*
 * The operator's rebuild command (`npm run projections -- rebuild`) writes a new generation file, names it in the
 * catalog and removes the old file, while a projector in another process may still be writing that one. Given a
 * runner following the log and a rebuild by another ReadModelFiles on the same folder (another process), when the
 * log grows, then the runner writes on in the generation in service rather than in the removed file nobody reads:
 * what the catalog names holds every event, equal to a build from zero.
 */
describe('a rebuild beside a running projector, on the embedded store', () => {
  it('the runner follows the generation the rebuild put in service', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rebuild-beside-'));
    const log = await seededLog(folder);
    const definition = PORTABLE_PROJECTIONS.find((d) => d.name === 'worklist')!;
    const projectorFiles = new ReadModelFiles(join(folder, 'read-models'));
    const operatorFiles = new ReadModelFiles(join(folder, 'read-models'));
    const readerFiles = new ReadModelFiles(join(folder, 'read-models'));
    const freshFiles = new ReadModelFiles(join(folder, 'fresh'));
    const projector = new ProjectionRunner(log, definition, projectorFiles, {
      pageSize: 50,
      rebuildInWorker: false,
    });
    const zero = new ProjectionRunner(log, definition, freshFiles, { rebuildInWorker: false });
    try {
      await projector.start();
      await projector.waitFor(await log.headPosition());
      expect(projector.status().generation).toBe(1);
      await rebuildTogether(
        log,
        operatorFiles,
        ALL_PROJECTIONS.filter((d) => d === definition),
      );
      expect(operatorFiles.current(definition.name)?.generation).toBe(2);
      await seedJourneys(log, 70, 90, 3);
      await liveOn(projector, 2);
      const head = await log.headPosition();
      await projector.waitFor(head);
      await zero.start();
      await zero.waitFor(head);
      const expected = await dumpThrough(sqliteReader(zero.reader()), definition);
      // What a reader in a third process opens, by the catalog's name for it.
      const current = readerFiles.current(definition.name)!;
      const served = new BetterSqlite(readerFiles.fileOf(definition.name, current.generation), {
        readonly: true,
        fileMustExist: true,
      });
      try {
        expect(await dumpThrough(sqliteReader(served), definition)).toEqual(expected);
      } finally {
        served.close();
      }
    } finally {
      await projector.stop();
      await zero.stop();
      for (const files of [projectorFiles, operatorFiles, readerFiles, freshFiles]) files.close();
      await log.close();
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60_000);
});
