import {
  ALL_PROJECTIONS,
  analyticsSchema,
  BATCH_RUNNER_OPTIONS,
  ensureAnalystRole,
  grantAnalysts,
  configuredPgReadModels,
  PgProjectionRunner,
  PgReadModels,
  servedFromPostgres,
  ReadModelFiles,
  rebuildProgress,
  REBUILD_WORKERS,
  rebuildTogether,
} from '@carepath/projections';
import {
  loadConfig,
  openEventStore,
  parseCommandLine,
  progressBar,
  runCommandLine,
  UsageError,
} from '@carepath/runtime';

const USAGE = `Usage: npm run projections -- <command>
  status                   position, lag and state of every projection
  rebuild <name...|all>    build fresh generations from the log, side by side, and swap them in
    [--page-size <n>] [--commit-every <n>]   events read per page and committed per batch (default ${BATCH_RUNNER_OPTIONS.pageSize}, ${BATCH_RUNNER_OPTIONS.commitEvery})
    [--workers <n>]                          threads reading the embedded log (default ${REBUILD_WORKERS})
  grant-analysts --role <name>
                           create the analysts' role (NOLOGIN) if missing and let it read the analysts' views,
                           <prefix>_analytics, and nothing else (READ_MODEL_STORE=postgres and DATABASE_URL)
Projections: ${ALL_PROJECTIONS.map((p) => p.name).join(', ')}
Run rebuild while no other process runs the same projections (the API with PROJECTIONS=in-process rebuilds over
HTTP instead: POST /projections/<name>/rebuild).`;

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new UsageError(`--${name} needs a positive whole number.`);
  return value;
}

/** The read-only role of BI tools: a login is made a member of it (docs/analytics.md, "For analysts"). */
async function grantAnalystsCommand(role: string): Promise<number> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role))
    throw new UsageError('--role needs a lower-case SQL identifier (letters, digits, _).');
  const store = loadConfig().readModelStore;
  if (store.kind !== 'postgres')
    throw new UsageError('grant-analysts needs READ_MODEL_STORE=postgres (and DATABASE_URL).');
  const models = new PgReadModels({ connectionString: store.connectionString, prefix: store.schemaPrefix });
  try {
    const created = await models.transaction(async (client) => {
      const made = await ensureAnalystRole(client, role);
      await grantAnalysts(client, models, role);
      return made;
    });
    console.log(
      `${role}: ${created ? 'created (NOLOGIN), ' : ''}may read ${analyticsSchema(models)} and nothing else`,
    );
    return 0;
  } catch (error) {
    console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await models.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    options: {
      'page-size': { type: 'string' },
      'commit-every': { type: 'string' },
      workers: { type: 'string' },
      role: { type: 'string' },
    },
    allowPositionals: true,
  });
  const [command, ...targets] = positionals;
  if (command !== 'status' && command !== 'rebuild' && command !== 'grant-analysts') {
    throw new UsageError(command === undefined ? 'A command is required.' : `Unknown command ${command}.`);
  }
  if (command === 'grant-analysts') {
    if (targets.length > 0) throw new UsageError('grant-analysts takes no projection names.');
    if (values.role === undefined) throw new UsageError('grant-analysts needs --role <name>.');
    return grantAnalystsCommand(values.role);
  }
  if (values.role !== undefined) throw new UsageError('--role goes with grant-analysts only.');
  const options = {
    pageSize: positiveInteger('page-size', values['page-size'], BATCH_RUNNER_OPTIONS.pageSize),
    commitEvery: positiveInteger('commit-every', values['commit-every'], BATCH_RUNNER_OPTIONS.commitEvery),
    workers: positiveInteger('workers', values.workers, REBUILD_WORKERS),
  };
  const unknown = targets.filter((t) => t !== 'all' && !ALL_PROJECTIONS.some((p) => p.name === t));
  if (command === 'rebuild' && (targets.length === 0 || unknown.length > 0)) {
    throw new UsageError(
      targets.length === 0
        ? 'Name the projections to rebuild.'
        : `Unknown projection "${unknown.join('", "')}".`,
    );
  }
  if (command === 'status' && targets.length > 0) throw new UsageError('status takes no projection names.');
  const config = loadConfig();
  const quiet = {
    log: () => undefined,
    warn: (m: object) => console.error(m),
    error: (m: object) => console.error(m),
  };
  // The process's peak resident set (getrusage), not a sample: a rebuild's peak can fall between samples.
  const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
  const store = openEventStore(config, quiet, { followOtherWriters: true });
  const files = new ReadModelFiles(config.readModelDir);
  const pg = configuredPgReadModels(config.readModelStore, config.censusTimeZone);
  const onPostgres = (definition: (typeof ALL_PROJECTIONS)[number]) =>
    pg !== null && servedFromPostgres(definition);
  try {
    if (command === 'status') {
      const head = await store.headPosition();
      for (const definition of ALL_PROJECTIONS) {
        const current = onPostgres(definition)
          ? await pg!.current(definition.name)
          : files.current(definition.name);
        const where = onPostgres(definition)
          ? `postgres, position ${(await pg!.servedPosition(definition.name)) ?? '-'}`
          : 'file';
        console.log(
          `${definition.name.padEnd(16)} generation ${current?.generation ?? '-'}  head ${head}  (${where})`,
        );
      }
      return 0;
    }
    const chosen = targets.includes('all')
      ? ALL_PROJECTIONS
      : ALL_PROJECTIONS.filter((p) => targets.includes(p.name));
    // Read models in PostgreSQL are rebuilt one after the other, each into a schema of its own, swapped in whole.
    for (const definition of chosen.filter(onPostgres)) {
      if (!servedFromPostgres(definition)) continue;
      const started = process.hrtime.bigint();
      const runner = new PgProjectionRunner(store, definition, pg!, {
        pageSize: options.pageSize,
        commitEvery: options.commitEvery,
      });
      await runner.rebuild();
      const status = runner.status();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(
        `${definition.name}: generation ${status.generation} at position ${status.position} (postgres, ${seconds.toFixed(2)} s)`,
      );
    }
    const selected = chosen.filter((definition) => !onPostgres(definition));
    if (selected.length === 0) {
      console.log(`peak RSS ${peakRssMb()} MB`);
      return 0;
    }
    // Rebuilt side by side: one read of the log for all of them, not one per projection.
    const started = process.hrtime.bigint();
    const bar = progressBar(selected.map((d) => d.name).join(' + '));
    const statuses = await rebuildTogether(store, files, selected, {
      ...options,
      onProgress: (all) => {
        const { position, head } = rebuildProgress(all);
        bar(position, head);
      },
    });
    bar.end();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    for (const s of statuses) console.log(`${s.name}: generation ${s.generation} at position ${s.position}`);
    const events = statuses.reduce((max, s) => Math.max(max, s.eventsApplied), 0);
    console.log(
      `rebuilt in ${seconds.toFixed(2)} s: ${events} events, ${Math.round(events / seconds)} events/s, peak RSS ${peakRssMb()} MB`,
    );
    return 0;
  } catch (error) {
    console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    files.close();
    await pg?.close();
    await store.close();
  }
}

const argv = process.argv.slice(2);
runCommandLine(USAGE, () => main(argv)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
