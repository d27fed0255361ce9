import {
  ALL_PROJECTIONS,
  BATCH_RUNNER_OPTIONS,
  ReadModelFiles,
  rebuildProgress,
  REBUILD_WORKERS,
  rebuildTogether,
} from '@carepath/projections';
import { loadConfig, openEventStore } from '@carepath/runtime';

const USAGE = `Usage: npm run projections -- <command>
  status                   position, lag and state of every projection
  rebuild <name...|all>    build fresh generations from the log, side by side, and swap them in
    [--page-size <n>] [--commit-every <n>]   events read per page and committed per batch (default ${BATCH_RUNNER_OPTIONS.pageSize}, ${BATCH_RUNNER_OPTIONS.commitEvery})
    [--workers <n>]                          threads reading the embedded log (default ${REBUILD_WORKERS})
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
  const options: { pageSize: number; commitEvery: number; workers: number } = {
    ...BATCH_RUNNER_OPTIONS,
    workers: REBUILD_WORKERS,
  };
  const flags = {
    '--page-size': 'pageSize',
    '--commit-every': 'commitEvery',
    '--workers': 'workers',
  } as const;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag !== '--page-size' && flag !== '--commit-every' && flag !== '--workers') {
      rest.push(flag!);
      continue;
    }
    const value = Number(argv[++i]);
    if (!Number.isSafeInteger(value) || value < 1) {
      console.error(`${flag} needs a positive whole number.\n${USAGE}`);
      return 2;
    }
    options[flags[flag]] = value;
  }
  const [command, ...targets] = rest;
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
    const unknown = targets.filter((t) => t !== 'all' && !ALL_PROJECTIONS.some((p) => p.name === t));
    if (targets.length === 0 || unknown.length > 0) {
      console.error(`Unknown projection "${unknown.join('", "')}".\n${USAGE}`);
      return 2;
    }
    const selected = targets.includes('all')
      ? ALL_PROJECTIONS
      : ALL_PROJECTIONS.filter((p) => targets.includes(p.name));
    // Rebuilt side by side: one read of the log for all of them, not one per projection.
    const started = process.hrtime.bigint();
    const label = selected.map((d) => d.name).join(' + ');
    const statuses = await rebuildTogether(store, files, selected, {
      ...options,
      onProgress: (all) => {
        const { position, head } = rebuildProgress(all);
        process.stderr.write(`\r${label} ${bar(position, head)}`);
      },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(`\r${label} ${bar(1n, 1n)}\n`);
    for (const s of statuses) console.log(`${s.name}: generation ${s.generation} at position ${s.position}`);
    const events = statuses.reduce((max, s) => Math.max(max, s.eventsApplied), 0);
    // The process's peak resident set (getrusage), not a sample: a rebuild's peak can fall between samples.
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(
      `rebuilt in ${seconds.toFixed(2)} s: ${events} events, ${Math.round(events / seconds)} events/s, peak RSS ${peakRssMb} MB`,
    );
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
