import Database from 'better-sqlite3';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createPublicKey, randomUUID } from 'node:crypto';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  BoundedEventStore,
  checkpointSignatureValid,
  type EventStore,
  positionAsOf,
  signCheckpoint,
  type SignedCheckpoint,
  verifyRows,
} from '@carepath/event-store';
import {
  evolveInstitution,
  evolveJourney,
  initialInstitutionState,
  initialJourneyState,
  type InstitutionEvent,
  institutionStreamId,
  type JourneyEvent,
  journeyStreamId,
  type OpenedJourneyState,
  type RecordedDomainEvent,
} from '@carepath/domain';
import { type InstitutionInfo, journeyBundle } from './fhir/journey-bundle';
import {
  ALL_PROJECTIONS,
  BATCH_RUNNER_OPTIONS,
  parsePeriod,
  type ProjectionDefinition,
  ProjectionRunner,
  queryLocalTreatmentByRegion,
  queryReferralVolume,
  queryWardOccupancy,
  ReadModelFiles,
  rebuildProgress,
  dumpReadModel,
  rebuildTogether,
} from '@carepath/projections';
import {
  ACCESS_REASONS,
  accessStreamId,
  type AppConfig,
  appendAccessRecord,
  CODE_ID,
  devKeyFileFor,
  HelpRequested,
  isRole,
  loadConfig,
  loadOrCreateDevKey,
  openEventStore,
  parseCommandLine,
  parseTtl,
  progressBar,
  ROLES,
  runCommandLine,
  signDevToken,
  UsageError,
} from '@carepath/runtime';

/** Each command: its synopsis, what it does (both for the usage), and how it runs. */
interface Command {
  readonly synopsis: string;
  readonly summary: string;
  run(argv: readonly string[], env: Env): Promise<number> | number;
}

/** What a command may use: the configuration, and the event store, opened on first use and closed after the run. */
interface Env {
  config(): AppConfig;
  store(): EventStore;
}

const usageOf = (name: string, command: Command) =>
  `Usage: carepath ${name} ${command.synopsis}\n\n${command.summary}`;

/** Parses a command's arguments; errors and help carry the command's own usage. */
const parse = <const T extends Parameters<typeof parseCommandLine>[1]>(
  name: keyof typeof COMMANDS,
  argv: readonly string[],
  config: T,
) => parseCommandLine(argv, config, usageOf(name, COMMANDS[name]));

/** The event file, read-only; refused while it predates the hash chain (opening it once with CarePath migrates it). */
function openLog(config: AppConfig): Database.Database {
  if (config.eventStore !== 'sqlite') {
    throw new Error('The hash chain is kept by the embedded store (EVENT_STORE=sqlite)');
  }
  const db = new Database(config.databaseFile, { readonly: true, fileMustExist: true });
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version < 2) {
    db.close();
    throw new Error(
      `${config.databaseFile} predates the hash chain (schema ${version}); start CarePath on it once to migrate it`,
    );
  }
  return db;
}

async function verify(argv: readonly string[], env: Env): Promise<number> {
  const { values } = parse('verify', argv, {
    options: {
      checkpoint: { type: 'string' },
      'public-key': { type: 'string' },
      projections: { type: 'boolean' },
    },
  });
  if (values.projections) return verifyProjections(env.config(), env.store());
  const publicKey = values['public-key'];
  if ((values.checkpoint === undefined) !== (publicKey === undefined)) {
    throw usageError('verify', '--checkpoint and --public-key go together');
  }
  const db = openLog(env.config());
  const total = Number(db.prepare('SELECT count(*) FROM events').pluck().get());
  const bar = progressBar('hash chain');
  const result = verifyRows(db, (checked) => bar(checked, total));
  bar.end();
  let ok = result.ok;
  const report: Record<string, unknown> = { chain: result };
  if (values.checkpoint !== undefined && publicKey !== undefined) {
    const checkpoint = JSON.parse(readFileSync(values.checkpoint, 'utf8')) as SignedCheckpoint;
    const signatureValid = checkpointSignatureValid(checkpoint, readFileSync(publicKey, 'utf8'));
    const hashNow = db
      .prepare('SELECT global_hash FROM events WHERE position = ?')
      .pluck()
      .get(BigInt(checkpoint.position)) as string | undefined;
    const matches = hashNow === checkpoint.hash;
    report.checkpoint = { position: checkpoint.position, signatureValid, logMatches: matches };
    ok = ok && signatureValid && matches;
  }
  db.close();
  console.log(JSON.stringify(report, null, 2));
  return ok ? 0 : 1;
}

function checkpoint(argv: readonly string[], env: Env): number {
  const { values } = parse('checkpoint', argv, {
    options: { key: { type: 'string' }, out: { type: 'string' } },
  });
  if (values.key === undefined) throw usageError('checkpoint', '--key <ed25519-private.pem> is required');
  const db = openLog(env.config());
  const result = verifyRows(db);
  db.close();
  if (!result.ok) {
    console.error(`The log does not verify, nothing signed: ${JSON.stringify(result)}`);
    return 1;
  }
  const privateKey = readFileSync(values.key, 'utf8');
  const keyId = createPublicKey(privateKey)
    .export({ type: 'spki', format: 'der' })
    .subarray(-8)
    .toString('hex');
  const signed = signCheckpoint(
    {
      position: result.headPosition,
      hash: result.headHash,
      count: result.checked,
      signedAt: new Date().toISOString(),
      keyId,
    },
    privateKey,
  );
  const text = `${JSON.stringify(signed, null, 2)}\n`;
  if (values.out !== undefined) writeFileSync(values.out, text);
  process.stdout.write(text);
  return 0;
}

/**
 * Builds projections side by side from a view of the log into scratch files (one read of the log for all), runs
 * `use` on each one's database, and throws the files away.
 */
async function scratch<T>(
  store: EventStore,
  definitions: readonly ProjectionDefinition[],
  bound: bigint,
  use: (db: Database.Database, definition: ProjectionDefinition) => T,
): Promise<T[]> {
  const folder = mkdtempSync(join(tmpdir(), 'carepath-cli-'));
  const files = new ReadModelFiles(folder);
  const bounded = new BoundedEventStore(store, bound);
  const runners = definitions.map(
    (definition) => new ProjectionRunner(bounded, definition, files, BATCH_RUNNER_OPTIONS),
  );
  const bar = progressBar(definitions.map((d) => d.name).join(' + '));
  const timer = setInterval(
    () => bar(Math.min(...runners.map((r) => Number(r.status().position))), bound),
    200,
  );
  try {
    for (const runner of runners) await runner.start();
    await Promise.all(runners.map((runner) => runner.waitFor(bound)));
    bar(bound, bound);
    return runners.map((runner, i) => use(runner.reader(), definitions[i]!));
  } finally {
    clearInterval(timer);
    bar.end();
    for (const runner of runners) await runner.stop();
    files.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** One projection built in scratch files up to `bound`: `use` sees it. */
async function scratchOne<T>(
  store: EventStore,
  definition: ProjectionDefinition,
  bound: bigint,
  use: (db: Database.Database) => T,
): Promise<T> {
  const [result] = await scratch(store, [definition], bound, use);
  return result!;
}

const REPORTS = ['ward-occupancy', 'referrals', 'local-treatment'] as const;

async function replay(argv: readonly string[], env: Env): Promise<number> {
  const { values } = parse('replay', argv, {
    options: {
      to: { type: 'string' },
      report: { type: 'string' },
      period: { type: 'string' },
      region: { type: 'string' },
    },
  });
  const { to, report, period: periodText, region } = values;
  if (to === undefined || report === undefined || periodText === undefined) {
    throw usageError('replay', '--to, --report and --period are required');
  }
  if (!(REPORTS as readonly string[]).includes(report)) {
    throw usageError('replay', `--report must be one of: ${REPORTS.join(', ')}`);
  }
  const config = env.config();
  const store = env.store();
  const bound = /^\d+$/.test(to)
    ? BigInt(to)
    : Number.isNaN(Date.parse(to))
      ? null
      : await positionAsOf(store, to);
  if (bound === null) throw usageError('replay', '--to must be a position or an ISO-8601 time');
  const period = parsePeriod({ period: periodText });
  const tz = config.censusTimeZone;
  const byName = (name: string) => ALL_PROJECTIONS.find((p) => p.name === name)!;
  let rows: unknown;
  if (report === 'ward-occupancy') {
    rows = await scratchOne(store, byName('ward-occupancy'), bound, (db) =>
      queryWardOccupancy(db, period, {}, 'ward', { timeZone: tz, heldBedRule: config.heldBedRule }),
    );
  } else if (report === 'referrals') {
    rows = await scratchOne(store, byName('referral-volume'), bound, (db) =>
      queryReferralVolume(db, period, {}, ['direction'], { timeZone: tz, unit: period.unit ?? 'month' }),
    );
  } else {
    rows = await scratchOne(store, byName('local-treatment'), bound, (db) =>
      queryLocalTreatmentByRegion(db, period, region, tz),
    );
  }
  console.log(JSON.stringify({ replayedTo: bound.toString(), report, period, rows }, null, 2));
  return 0;
}

async function verifyProjections(config: AppConfig, store: EventStore): Promise<number> {
  const files = new ReadModelFiles(config.readModelDir);
  const results = new Map<string, Record<string, unknown>>();
  try {
    // Each live projection as it stands, with the position it reflects.
    const live = new Map<bigint, { definition: ProjectionDefinition; rows: Record<string, unknown[]> }[]>();
    for (const definition of ALL_PROJECTIONS) {
      const current = files.current(definition.name);
      if (!current) {
        results.set(definition.name, { projection: definition.name, status: 'not built' });
        continue;
      }
      const db = new Database(files.fileOf(definition.name, current.generation), { readonly: true });
      const position = BigInt(db.prepare('SELECT position FROM checkpoint').pluck().get() as number);
      const entry = { definition, rows: dumpReadModel(db) };
      db.close();
      live.set(position, [...(live.get(position) ?? []), entry]);
    }
    // Projections at the same position (all of them, when caught up) are rebuilt together: one read of the log.
    for (const [position, group] of live) {
      const rebuilt = await scratch(
        store,
        group.map((g) => g.definition),
        position,
        dumpReadModel,
      );
      group.forEach(({ definition, rows }, i) => {
        const fresh = rebuilt[i]!;
        // The tables the projection defines now: a generation built by an older release may still hold a table
        // that is no longer used until the API or projector next opens it (and drops it).
        const differing = Object.keys(fresh).filter(
          (t) => JSON.stringify(rows[t]) !== JSON.stringify(fresh[t]),
        );
        results.set(definition.name, {
          projection: definition.name,
          position: position.toString(),
          status: differing.length === 0 ? 'identical' : 'DIFFERENT',
          differingTables: differing,
        });
      });
    }
  } finally {
    files.close();
  }
  const ordered = ALL_PROJECTIONS.map((d) => results.get(d.name)!);
  console.log(JSON.stringify(ordered, null, 2));
  return ordered.every((r) => r.status === 'identical' || r.status === 'not built') ? 0 : 1;
}

async function exportJourney(argv: readonly string[], env: Env): Promise<number> {
  const { values, positionals } = parse('export', argv, {
    options: {
      format: { type: 'string', default: 'json' },
      actor: { type: 'string' },
      reason: { type: 'string' },
      institution: { type: 'string' },
    },
    allowPositionals: true,
  });
  const [journeyId, ...extra] = positionals;
  if (journeyId === undefined || extra.length > 0) throw usageError('export', 'one <journeyId> is required');
  const { format, actor: actorId, reason, institution } = values;
  if (format !== 'json' && format !== 'fhir') throw usageError('export', '--format json or --format fhir');
  if (actorId === undefined || reason === undefined) {
    throw usageError('export', '--actor and --reason are required');
  }
  if (!(ACCESS_REASONS as readonly string[]).includes(reason)) {
    throw usageError('export', `--reason must be one of: ${ACCESS_REASONS.join(', ')}`);
  }
  const store = env.store();
  const events = await store.readStream(journeyStreamId(journeyId));
  if (events.length === 0) {
    console.error(`No journey ${journeyId}`);
    return 1;
  }
  // An export is a read of patient-level data like any other (issue 17): recorded before it is printed, by the
  // person at this machine (no token here: the OS account and host name stand for the issuer).
  await appendAccessRecord(
    store,
    accessStreamId(journeyId),
    new Date().toISOString(),
    {
      actorId,
      issuer: `local-cli:${userInfo().username}@${hostname()}`,
      actorRole: 'operator',
      institutionId: institution ?? 'none',
      correlationId: randomUUID(),
      requestId: randomUUID(),
    },
    {
      journeyId,
      resource: 'export',
      reason,
      basis: 'operator',
      justification: null,
      flagged: false,
      asOf: null,
      validAt: null,
    },
  );
  const state = events.reduce(
    (s, e) =>
      evolveJourney(s, {
        id: e.id,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
      } as unknown as RecordedDomainEvent<JourneyEvent>),
    initialJourneyState(),
  );
  if (format === 'fhir') {
    if (state.status === 'not-opened') throw new Error(`Journey ${journeyId} was never opened`);
    const bundle = journeyBundle(state, await institutionsOf(store, state), new Date().toISOString());
    console.log(JSON.stringify(bundle, null, 2));
    return 0;
  }
  console.log(
    JSON.stringify(
      {
        journeyId,
        exportedAt: new Date().toISOString(),
        revision: Number(events.at(-1)!.revision),
        state,
        events: events.map((e) => ({ ...e, revision: Number(e.revision), position: e.position.toString() })),
      },
      null,
      2,
    ),
  );
  return 0;
}

/** Names and details of the institutions a journey touched, from their own streams. */
async function institutionsOf(
  store: EventStore,
  state: OpenedJourneyState,
): Promise<Map<string, InstitutionInfo>> {
  const ids = new Set<string>([
    ...Object.values(state.visits).map((v) => v.institution.institutionId),
    ...Object.values(state.referrals).flatMap((r) => [r.from.institutionId, r.to.institutionId]),
    ...Object.values(state.admissions).map((a) => a.institutionId),
  ]);
  const out = new Map<string, InstitutionInfo>();
  for (const id of ids) {
    const folded = (await store.readStream(institutionStreamId(id))).reduce(
      (s, e) =>
        evolveInstitution(s, {
          id: e.id,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
        } as unknown as RecordedDomainEvent<InstitutionEvent>),
      initialInstitutionState(),
    );
    if (folded.status === 'registered') {
      out.set(id, {
        institutionId: id,
        name: folded.name,
        tier: folded.tier,
        allianceId: folded.allianceId,
        regionCode: folded.regionCode,
      });
    }
  }
  return out;
}

async function rebuild(argv: readonly string[], env: Env): Promise<number> {
  const { positionals } = parse('rebuild', argv, { allowPositionals: true });
  const [target, ...extra] = positionals;
  const selected = target === 'all' ? ALL_PROJECTIONS : ALL_PROJECTIONS.filter((p) => p.name === target);
  if (selected.length === 0 || extra.length > 0) throw usageError('rebuild', 'one projection name, or all');
  // Rebuilt side by side: one read of the log for all of them, not one per projection.
  const bar = progressBar(selected.map((d) => d.name).join(' + '));
  const files = new ReadModelFiles(env.config().readModelDir);
  try {
    const statuses = await rebuildTogether(env.store(), files, selected, {
      onProgress: (all) => {
        const { position, head } = rebuildProgress(all);
        bar(position, head);
      },
    });
    bar.end();
    for (const s of statuses) console.log(`${s.name}: generation ${s.generation} at position ${s.position}`);
  } catch (error) {
    bar.end();
    throw error;
  } finally {
    files.close();
  }
  return 0;
}

/**
 * A token of the development issuer (issue 17), signed with the key beside the database file (created if this
 * runs before the API's first start). Refused when AUTH_ISSUER is set: tokens then come from the identity provider.
 */
function token(argv: readonly string[], env: Env): number {
  const { values } = parse('token', argv, {
    options: {
      actor: { type: 'string' },
      role: { type: 'string' },
      institution: { type: 'string' },
      ttl: { type: 'string', default: '8h' },
    },
  });
  const { actor, role, institution } = values;
  if (actor === undefined || !/^[\x21-\x7e]{1,255}$/.test(actor)) {
    throw usageError('token', '--actor must be 1-255 visible ASCII characters');
  }
  if (!isRole(role)) throw usageError('token', `--role must be one of: ${ROLES.join(', ')}`);
  if (institution === undefined && role !== 'system') {
    throw usageError('token', '--institution <id> is required (all roles but system)');
  }
  if (institution !== undefined && !CODE_ID.test(institution)) {
    throw usageError('token', '--institution must be an institution id');
  }
  const ttlSeconds = parseTtl(values.ttl);
  if (ttlSeconds === null) {
    throw usageError('token', '--ttl must be a duration such as 8h, 30m or 2d (at most 30d)');
  }
  const config = env.config();
  if (config.auth.mode !== 'development') {
    throw new Error(
      'AUTH_ISSUER is set: the API trusts your identity provider, so ask it for a token (this command signs development tokens only)',
    );
  }
  const key = loadOrCreateDevKey(config.auth.keyFile ?? devKeyFileFor(config.databaseFile));
  console.log(
    signDevToken(key, {
      sub: actor,
      role,
      institutionId: institution,
      ttlSeconds,
      audience: config.auth.audience,
      issuer: config.auth.issuer,
    }),
  );
  return 0;
}

const COMMANDS = {
  verify: {
    synopsis: '[--checkpoint <file> --public-key <pem>] | --projections',
    summary:
      'Walks the hash chain; with a checkpoint, also checks it. --projections: rebuilds every projection in scratch\nfiles and compares it with the live one.',
    run: verify,
  },
  checkpoint: {
    synopsis: '--key <ed25519-private.pem> [--out <file>]',
    summary: 'Signs the head hash (keep the checkpoint outside the database).',
    run: checkpoint,
  },
  replay: {
    synopsis: `--to <time|position> --report <${REPORTS.join('|')}> --period <2026-03> [--region <code>]`,
    summary: 'A figure as it would have been reported then.',
    run: replay,
  },
  export: {
    synopsis: '<journeyId> --actor <id> --reason <reason> [--format json|fhir] [--institution <id>]',
    summary: `A journey's history and state, or a FHIR R4 Bundle; recorded in the access log first.\nReasons (as X-Access-Reason): ${ACCESS_REASONS.join(', ')}.`,
    run: exportJourney,
  },
  rebuild: {
    synopsis: `<${ALL_PROJECTIONS.map((p) => p.name).join('|')}|all>`,
    summary: 'Builds fresh generations and swaps them in.',
    run: rebuild,
  },
  token: {
    synopsis: '--actor <id> --role <role> [--institution <id>] [--ttl 8h]',
    summary: `A bearer token of the development issuer (no AUTH_ISSUER), for this machine only; stdout is the token\nalone. Roles: ${ROLES.join(', ')}.`,
    run: token,
  },
} satisfies Record<string, Command>;

const USAGE = `Usage: carepath <command> [options]: tools for auditors and operators (same environment as the API)

${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name} ${c.synopsis}`)
  .join('\n')}

carepath <command> --help describes a command. Exit status: 0 done and clean, 1 a check failed (broken chain, bad
signature, different projection), 2 usage or configuration error.`;

const usageError = (name: keyof typeof COMMANDS, message: string) =>
  new UsageError(message, usageOf(name, COMMANDS[name]));

const isCommand = (name: string): name is keyof typeof COMMANDS => Object.hasOwn(COMMANDS, name);

export async function run(argv: readonly string[]): Promise<number> {
  let store: EventStore | null = null;
  let config: AppConfig | null = null;
  const env: Env = {
    config: () => (config ??= loadConfig()),
    store: () =>
      (store ??= openEventStore(
        env.config(),
        { log: () => undefined, warn: (m) => console.error(m), error: (m) => console.error(m) },
        { followOtherWriters: true },
      )),
  };
  try {
    return await runCommandLine(USAGE, () => {
      const [name, ...rest] = argv;
      if (name === undefined) throw new UsageError('A command is required.');
      if (name === 'help' || name === '--help' || name === '-h') throw new HelpRequested();
      if (!isCommand(name)) throw new UsageError(`Unknown command ${name}.`);
      return COMMANDS[name].run(rest, env);
    });
  } catch (error) {
    console.error(`carepath: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    await (store as EventStore | null)?.close();
  }
}

if (require.main === module || process.argv[1]?.endsWith('bin.js')) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
