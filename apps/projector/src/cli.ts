import {
  ALL_PROJECTIONS,
  BATCH_PAGE_SIZE,
  ReadModelFiles,
  rebuildProgress,
  rebuildTogether,
} from '@carepath/projections';
import { loadConfig } from '../../api/src/config/app-config';
import { openEventStore } from '../../api/src/store/open-event-store';

const USAGE = `Usage: npm run projections -- <command>
  status               position, lag and state of every projection
  rebuild <name|all>   build a fresh generation from the log and swap it in
Projections: ${ALL_PROJECTIONS.map((p) => p.name).join(', ')}
Run rebuild while no other process runs the same projections (the API with PROJECTIONS=in-process rebuilds over
HTTP instead: POST /projections/<name>/rebuild).`;

function bar(done: bigint, total: bigint): string {
  const width = 30;
  const ratio = total > 0n ? Number((done * 1000n) / total) / 1000 : 1;
  const filled = Math.round(Math.min(1, ratio) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(1)}%`;
}

async function main(argv: string[]): Promise<number> {
  const [command, target] = argv;
  if (command !== 'status' && command !== 'rebuild') {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const quiet = {
    log: () => undefined,
    warn: (m: object) => console.error(m),
    error: (m: object) => console.error(m),
  };
  const store = openEventStore(config, quiet, { followOtherWriters: true });
  const files = new ReadModelFiles(config.readModelDir);
  try {
    if (command === 'status') {
      const head = await store.headPosition();
      for (const definition of ALL_PROJECTIONS) {
        const current = files.current(definition.name);
        console.log(`${definition.name.padEnd(16)} generation ${current?.generation ?? '-'}  head ${head}`);
      }
      return 0;
    }
    const selected = target === 'all' ? ALL_PROJECTIONS : ALL_PROJECTIONS.filter((p) => p.name === target);
    if (selected.length === 0) {
      console.error(`Unknown projection "${target ?? ''}".\n${USAGE}`);
      return 2;
    }
    // Rebuilt side by side: one read of the log for all of them, not one per projection.
    const started = process.hrtime.bigint();
    const label = selected.map((d) => d.name).join(' + ');
    const statuses = await rebuildTogether(store, files, selected, {
      pageSize: BATCH_PAGE_SIZE,
      onProgress: (all) => {
        const { position, head } = rebuildProgress(all);
        process.stderr.write(`\r${label} ${bar(position, head)}`);
      },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(`\r${label} ${bar(1n, 1n)}\n`);
    for (const s of statuses) console.log(`${s.name}: generation ${s.generation} at position ${s.position}`);
    console.log(`rebuilt in ${seconds.toFixed(1)} s`);
    return 0;
  } catch (error) {
    console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    files.close();
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
