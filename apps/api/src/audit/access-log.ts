import { Inject, Injectable } from '@nestjs/common';
import type { EventStore, StoredEvent } from '@carepath/event-store';
import {
  accessStreamId,
  ACCESS_STREAM_PREFIX,
  appendAccessRecord,
  worklistAccessStreamId,
} from '@carepath/runtime';
import type { ReadBasis } from '../auth/care-relationship';
import type { AccessContext, RequestContext } from '../common/request-context';
import { CLOCK, type Clock, EVENT_STORE } from '../store/tokens';

/** `search`: a journey disclosed by patient search (GET /journeys?patientId=). */
export type AccessedResource = 'state' | 'history' | 'timeline' | 'worklist' | 'export' | 'search';

export interface AccessRecord {
  /** The journey read; null for a worklist read. */
  readonly journeyId: string | null;
  /** The institution whose worklist was read; null for a journey read. */
  readonly worklistInstitutionId: string | null;
  readonly resource: AccessedResource;
  readonly reason: string | null;
  /** Why the reader could see it: a care relationship, an audit, or break-glass (null: before issue 17). */
  /** `operator`: an export by someone at the database's machine (the CLI), named by the OS account. */
  readonly basis: ReadBasis | 'own-institution' | 'operator' | null;
  readonly justification: string | null;
  /** Break-glass reads are flagged for the security officer's review. */
  readonly flagged: boolean;
  /** The verified identity: the token's issuer and subject (issuer null: recorded before tokens). */
  readonly issuer: string | null;
  readonly actorId: string;
  readonly actorRole: string;
  readonly institutionId: string;
  readonly at: string;
  readonly correlationId: string;
  readonly asOf: string | null;
  readonly validAt: string | null;
}

export interface AccessFilter {
  readonly journeyId?: string;
  readonly actorId?: string;
  readonly institutionId?: string;
  /** Recorded at or after (ms since the epoch). */
  readonly fromMs?: number;
  /** Recorded before (ms since the epoch). */
  readonly toMs?: number;
  readonly flagged?: boolean;
  /** Log position after which to continue (the previous page's `next`). */
  readonly after?: bigint;
  readonly limit: number;
}

const PAGE = 1000;

@Injectable()
export class AccessLog {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Written before the record is served: if it cannot be written, the read fails (503) rather than go unlogged. */
  async record(
    ctx: AccessContext,
    journeyId: string,
    resource: Exclude<AccessedResource, 'worklist'>,
    basis: ReadBasis,
    view: { asOf?: string; validAt?: string } = {},
  ): Promise<void> {
    await this.append(accessStreamId(journeyId), ctx, {
      journeyId,
      resource,
      reason: ctx.reason,
      basis,
      justification: ctx.justification,
      flagged: basis === 'break-glass',
      asOf: view.asOf ?? null,
      validAt: view.validAt ?? null,
    });
  }

  /** A worklist read: staff of the institution, its reason when one was given. */
  async recordWorklist(ctx: RequestContext, institutionId: string, reason: string | null): Promise<void> {
    await this.append(worklistAccessStreamId(institutionId), ctx, {
      worklistInstitutionId: institutionId,
      resource: 'worklist',
      reason,
      basis: 'own-institution',
      justification: null,
      flagged: false,
    });
  }

  private async append(streamId: string, ctx: RequestContext, data: Record<string, unknown>): Promise<void> {
    await appendAccessRecord(this.store, streamId, this.clock().toISOString(), ctx, data);
  }

  /**
   * The records matching every filter given, oldest first, at most `limit`; `next` continues when more may match.
   * One journey reads its own stream; otherwise the access category is read in pages (an audit query, rare).
   */
  async list(filter: AccessFilter): Promise<{ records: AccessRecord[]; next: string | null }> {
    const records: AccessRecord[] = [];
    /** Adds the event's record if it matches; true once the page is full. */
    const keep = (e: StoredEvent): boolean => {
      const record = toRecord(e);
      if (record && matches(record, filter)) records.push(record);
      return records.length === filter.limit;
    };
    if (filter.journeyId) {
      const events = await this.store.readStream(accessStreamId(filter.journeyId));
      for (const e of events) {
        if (filter.after !== undefined && e.position <= filter.after) continue;
        if (keep(e)) return { records, next: e.position.toString() };
      }
      return { records, next: null };
    }
    let after = filter.after ?? 0n;
    for (;;) {
      const page = await this.store.readAll({
        after,
        maxCount: PAGE,
        filter: { streamPrefixes: [ACCESS_STREAM_PREFIX] },
      });
      for (const e of page.events) {
        if (keep(e)) return { records, next: e.position.toString() };
      }
      if (page.isEnd || page.events.length === 0) return { records, next: null };
      after = page.lastPosition;
    }
  }
}

function toRecord(e: StoredEvent): AccessRecord | null {
  if (e.type !== 'JourneyRecordAccessed' && e.type !== 'WorklistAccessed') return null;
  const d = e.data as Record<string, unknown>;
  const m = e.metadata as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    journeyId: text(d.journeyId),
    worklistInstitutionId: text(d.worklistInstitutionId),
    resource: d.resource as AccessedResource,
    reason: text(d.reason),
    basis: (text(d.basis) as AccessRecord['basis']) ?? null,
    justification: text(d.justification),
    flagged: d.flagged === true,
    issuer: text(m.actorIssuer),
    actorId: text(m.actorId) ?? '',
    actorRole: text(m.actorRole) ?? '',
    institutionId: text(m.institutionId) ?? '',
    at: text(m.recordedAt) ?? '',
    correlationId: text(m.correlationId) ?? '',
    asOf: text(d.asOf),
    validAt: text(d.validAt),
  };
}

function matches(r: AccessRecord, f: AccessFilter): boolean {
  const at = Date.parse(r.at);
  return (
    (f.actorId === undefined || r.actorId === f.actorId) &&
    (f.institutionId === undefined || r.institutionId === f.institutionId) &&
    (f.fromMs === undefined || at >= f.fromMs) &&
    (f.toMs === undefined || at < f.toMs) &&
    (f.flagged === undefined || r.flagged === f.flagged)
  );
}
