import { Inject, Injectable } from '@nestjs/common';
import { type EventStore, WrongExpectedRevisionError } from '@carepath/event-store';
import { randomUUID } from 'node:crypto';
import type { AccessContext } from '../common/request-context';
import { CLOCK, type Clock, EVENT_STORE } from '../store/tokens';

/** Access records live in their own category, never in a journey's care stream (issue 5). */
export const accessStreamId = (journeyId: string) => `access-${journeyId}`;

export type AccessedResource = 'state' | 'history' | 'timeline';

export interface AccessRecord {
  readonly journeyId: string;
  readonly resource: AccessedResource;
  readonly reason: string;
  readonly actorId: string;
  readonly actorRole: string;
  readonly institutionId: string;
  readonly at: string;
  readonly correlationId: string;
  readonly asOf: string | null;
  readonly validAt: string | null;
}

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
    resource: AccessedResource,
    view: { asOf?: string; validAt?: string } = {},
  ): Promise<void> {
    const at = this.clock().toISOString();
    const streamId = accessStreamId(journeyId);
    const event = () => ({
      id: randomUUID(),
      type: 'JourneyRecordAccessed',
      schemaVersion: 1,
      data: {
        journeyId,
        resource,
        reason: ctx.reason,
        asOf: view.asOf ?? null,
        validAt: view.validAt ?? null,
      },
      metadata: {
        occurredAt: at,
        recordedAt: at,
        actorId: ctx.actorId,
        actorRole: ctx.actorRole,
        institutionId: ctx.institutionId,
        correlationId: ctx.correlationId,
        causationId: ctx.requestId,
      },
    });
    // Exact expected revisions keep the store's hash chain linear; concurrent readers of one journey retry.
    for (let attempt = 1; ; attempt++) {
      const revision = await this.store.streamRevision(streamId);
      try {
        await this.store.append(streamId, [event()], { expectedRevision: revision });
        return;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= 10) throw error;
      }
    }
  }

  async list(journeyId: string): Promise<AccessRecord[]> {
    const events = await this.store.readStream(accessStreamId(journeyId));
    return events.map((e) => {
      const d = e.data as Record<string, string | null>;
      const m = e.metadata as Record<string, string>;
      return {
        journeyId,
        resource: d.resource as AccessedResource,
        reason: d.reason ?? '',
        actorId: m.actorId ?? '',
        actorRole: m.actorRole ?? '',
        institutionId: m.institutionId ?? '',
        at: m.recordedAt ?? '',
        correlationId: m.correlationId ?? '',
        asOf: d.asOf ?? null,
        validAt: d.validAt ?? null,
      };
    });
  }
}
