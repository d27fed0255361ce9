import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { EventStore } from '@carepath/event-store';
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
import { ACCESS_REASONS, accessStreamId, appendAccessRecord } from '@carepath/runtime';
import { type InstitutionInfo, journeyBundle } from '../fhir/journey-bundle';
import { type Command, type CommandContext, commandLineOf } from './command';

const SPEC = {
  name: 'export',
  synopsis: '<journeyId> --actor <id> --reason <reason> [--format json|fhir] [--institution <id>]',
  summary: `A journey's history and state, or a FHIR R4 Bundle; recorded in the access log first.\nReasons (as X-Access-Reason): ${ACCESS_REASONS.join(', ')}.`,
};
const { parse, usageError } = commandLineOf(SPEC);

async function exportJourney(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(argv, {
    options: {
      format: { type: 'string', default: 'json' },
      actor: { type: 'string' },
      reason: { type: 'string' },
      institution: { type: 'string' },
    },
    allowPositionals: true,
  });
  const [journeyId, ...extra] = positionals;
  if (journeyId === undefined || extra.length > 0) throw usageError('one <journeyId> is required');
  const { format, actor: actorId, reason, institution } = values;
  if (format !== 'json' && format !== 'fhir') throw usageError('--format json or --format fhir');
  if (actorId === undefined || reason === undefined) {
    throw usageError('--actor and --reason are required');
  }
  if (!(ACCESS_REASONS as readonly string[]).includes(reason)) {
    throw usageError(`--reason must be one of: ${ACCESS_REASONS.join(', ')}`);
  }
  const store = ctx.store();
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

export const EXPORT: Command = { ...SPEC, run: exportJourney };
