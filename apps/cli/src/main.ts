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
  isRole,
  loadConfig,
  loadOrCreateDevKey,
  openEventStore,
  parseTtl,
  ROLES,
  signDevToken,
} from '@carepath/runtime';

const USAGE = `carepath <command> — tools for auditors and operators (same environment as the API)

  verify [--checkpoint <file> --public-key <pem>]   walk the hash chain; with a checkpoint, also check it
  verify --projections                              rebuild every projection in scratch files and compare with the live ones
  checkpoint --key <ed25519-private.pem> [--out <file>]   sign the head hash (store it outside the database)
  replay --to <time|position> --report <ward-occupancy|referrals|local-treatment> --period <2026-03> [--region <code>]
                                                    a figure as it would have been reported then
  export <journeyId> --format json|fhir --actor <id> --reason <reason> [--institution <id>]
                                                    a journey's history and state, or a FHIR R4 Bundle; recorded in
                                                    the access log first (reasons as X-Access-Reason)
  rebuild <projection|all>                          build fresh generations and swap them in
  token --actor <id> --role <role> --institution <id> [--ttl 8h]
                                                    a bearer token of the development issuer (no AUTH_ISSUER):
                                                    for this machine only; stdout is the token alone

Exit status: 0 done and clean, 1 a check failed (broken chain, bad signature, different projection), 2 usage or
configuration error.`;

type Args = { positional: string[]; flags: Map<string, string | true> };

function parse(argv: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) positional.push(a);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags.set(a.slice(2), argv[++i]!);
    else flags.set(a.slice(2), true);
  }
  return { positional, flags };
}

class UsageError extends Error {}

const flag = (args: Args, name: string): string => {
  const value = args.flags.get(name);
  if (typeof value !== 'string') throw new UsageError(`--${name} <value> is required`);
  return value;
};

/** A progress bar on stderr, so stdout stays clean for JSON. */
function progress(label: string): { update(done: number, total: number): void; end(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 200 && done < total) return;
      last = now;
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const bar = '#'.repeat(Math.round(ratio * 30)).padEnd(30, '.');
      process.stderr.write(
        `${tty ? '\r' : ''}${label.padEnd(18)} [${bar}] ${(ratio * 100).toFixed(1)}%${tty ? '' : '\n'}`,
      );
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/** The event file, read-only; refused while it predates the hash chain (opening it once with CarePath migrates it). */
function openLog(config: AppConfig): Database.Database {
  if (config.eventStore !== 'sqlite') {
    throw new UsageError('The hash chain is kept by the embedded store (EVENT_STORE=sqlite)');
  }
  const db = new Database(config.databaseFile, { readonly: true, fileMustExist: true });
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version < 2) {
    db.close();
    throw new UsageError(
      `${config.databaseFile} predates the hash chain (schema ${version}); start CarePath on it once to migrate it`,
    );
  }
  return db;
}

async function verify(args: Args, config: AppConfig, store: EventStore): Promise<number> {
  if (args.flags.has('projections')) return verifyProjections(config, store);
  const db = openLog(config);
  const total = Number(db.prepare('SELECT count(*) FROM events').pluck().get());
  const bar = progress('hash chain');
  const result = verifyRows(db, (checked) => bar.update(checked, total));
  bar.end();
  let ok = result.ok;
  const report: Record<string, unknown> = { chain: result };
  if (args.flags.has('checkpoint')) {
    const checkpoint = JSON.parse(readFileSync(flag(args, 'checkpoint'), 'utf8')) as SignedCheckpoint;
    const signatureValid = checkpointSignatureValid(
      checkpoint,
      readFileSync(flag(args, 'public-key'), 'utf8'),
    );
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

function checkpoint(args: Args, config: AppConfig): number {
  const db = openLog(config);
  const result = verifyRows(db);
  db.close();
  if (!result.ok) {
    console.error(`The log does not verify, nothing signed: ${JSON.stringify(result)}`);
    return 1;
  }
  const privateKey = readFileSync(flag(args, 'key'), 'utf8');
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
  if (typeof args.flags.get('out') === 'string') writeFileSync(flag(args, 'out'), text);
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
  const bar = progress(definitions.map((d) => d.name).join(' + '));
  const timer = setInterval(
    () => bar.update(Math.min(...runners.map((r) => Number(r.status().position))), Number(bound)),
    200,
  );
  try {
    for (const runner of runners) await runner.start();
    await Promise.all(runners.map((runner) => runner.waitFor(bound)));
    bar.update(1, 1);
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

async function replay(args: Args, config: AppConfig, store: EventStore): Promise<number> {
  const to = flag(args, 'to');
  const bound = /^\d+$/.test(to)
    ? BigInt(to)
    : Number.isNaN(Date.parse(to))
      ? null
      : await positionAsOf(store, to);
  if (bound === null) throw new UsageError('--to must be a position or an ISO-8601 time');
  const period = parsePeriod({ period: flag(args, 'period') });
  const report = flag(args, 'report');
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
  } else if (report === 'local-treatment') {
    const region = args.flags.get('region');
    rows = await scratchOne(store, byName('local-treatment'), bound, (db) =>
      queryLocalTreatmentByRegion(db, period, typeof region === 'string' ? region : undefined, tz),
    );
  } else throw new UsageError('--report must be ward-occupancy, referrals or local-treatment');
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

async function exportJourney(args: Args, store: EventStore): Promise<number> {
  const journeyId = args.positional[1];
  if (!journeyId) throw new UsageError('export <journeyId> --format json|fhir');
  const format = args.flags.get('format') ?? 'json';
  if (format !== 'json' && format !== 'fhir') throw new UsageError('--format json or --format fhir');
  const actorId = flag(args, 'actor');
  const reason = flag(args, 'reason');
  if (!(ACCESS_REASONS as readonly string[]).includes(reason)) {
    throw new UsageError(`--reason must be one of: ${ACCESS_REASONS.join(', ')}`);
  }
  const institution = args.flags.get('institution');
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
      institutionId: typeof institution === 'string' ? institution : 'none',
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
    if (state.status === 'not-opened') throw new UsageError(`Journey ${journeyId} was never opened`);
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

async function rebuild(args: Args, config: AppConfig, store: EventStore): Promise<number> {
  const target = args.positional[1];
  const selected = target === 'all' ? ALL_PROJECTIONS : ALL_PROJECTIONS.filter((p) => p.name === target);
  if (selected.length === 0)
    throw new UsageError(`rebuild <${ALL_PROJECTIONS.map((p) => p.name).join('|')}|all>`);
  // Rebuilt side by side: one read of the log for all of them, not one per projection.
  const bar = progress(selected.map((d) => d.name).join(' + '));
  const files = new ReadModelFiles(config.readModelDir);
  try {
    const statuses = await rebuildTogether(store, files, selected, {
      onProgress: (all) => {
        const { position, head } = rebuildProgress(all);
        bar.update(Number(position), Number(head));
      },
    });
    bar.update(1, 1);
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
function token(args: Args, config: AppConfig): number {
  if (config.auth.mode !== 'development') {
    throw new UsageError(
      'AUTH_ISSUER is set: the API trusts your identity provider, so ask it for a token (this command signs development tokens only)',
    );
  }
  const actor = flag(args, 'actor');
  const role = flag(args, 'role');
  const ttlText = typeof args.flags.get('ttl') === 'string' ? (args.flags.get('ttl') as string) : '8h';
  if (!/^[\x21-\x7e]{1,255}$/.test(actor))
    throw new UsageError('--actor must be 1-255 visible ASCII characters');
  if (!isRole(role)) throw new UsageError(`--role must be one of: ${ROLES.join(', ')}`);
  const institution = args.flags.get('institution');
  if (institution === undefined && role !== 'system')
    throw new UsageError('--institution <value> is required');
  if (institution !== undefined && (typeof institution !== 'string' || !CODE_ID.test(institution))) {
    throw new UsageError('--institution must be an institution id');
  }
  const ttlSeconds = parseTtl(ttlText);
  if (ttlSeconds === null)
    throw new UsageError('--ttl must be a duration such as 8h, 30m or 2d (at most 30d)');
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

export async function run(argv: readonly string[]): Promise<number> {
  const args = parse(argv);
  const command = args.positional[0];
  if (!command || command === 'help' || args.flags.has('help')) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  let store: EventStore | null = null;
  try {
    const config = loadConfig();
    const quiet = {
      log: () => undefined,
      warn: (m: object) => console.error(m),
      error: (m: object) => console.error(m),
    };
    const needsStore = command !== 'checkpoint' && command !== 'token';
    if (needsStore && !(command === 'verify' && !args.flags.has('projections')))
      store = openEventStore(config, quiet, { followOtherWriters: true });
    switch (command) {
      case 'verify':
        return await verify(args, config, store!);
      case 'checkpoint':
        return checkpoint(args, config);
      case 'replay':
        return await replay(args, config, store!);
      case 'export':
        return await exportJourney(args, store!);
      case 'rebuild':
        return await rebuild(args, config, store!);
      case 'token':
        return token(args, config);
      default:
        throw new UsageError(`Unknown command ${command}`);
    }
  } catch (error) {
    console.error(
      error instanceof UsageError
        ? `${error.message}\n\n${USAGE}`
        : `carepath: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 2;
  } finally {
    await store?.close();
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
