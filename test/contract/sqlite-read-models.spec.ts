import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectionRunner, ReadModelFiles, sqliteReader } from '@carepath/projections';
import { readModelStoreContract, type ReadModelStoreUnderTest } from './read-model-store.contract';

/** The embedded store: each space a folder of read-model files with its own catalog. */
function sqliteReadModels(): ReadModelStoreUnderTest {
  const root = mkdtempSync(join(tmpdir(), 'sqlite-read-models-'));
  const catalogs: ReadModelFiles[] = [];
  return {
    space() {
      const files = new ReadModelFiles(join(root, String(catalogs.length)));
      catalogs.push(files);
      return {
        runner(log, definition, options = {}) {
          const runner = new ProjectionRunner(log, definition, files, { ...options, rebuildInWorker: false });
          return {
            start: () => runner.start(),
            stop: () => runner.stop(),
            waitFor: (position) => runner.waitFor(position),
            rebuild: () => runner.rebuild(),
            resume: () => runner.resume(),
            status: () => runner.status(),
            reader: () => sqliteReader(runner.reader()),
          };
        },
      };
    },
    close() {
      for (const files of catalogs) files.close();
      rmSync(root, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

readModelStoreContract('SQLite (embedded)', sqliteReadModels);
