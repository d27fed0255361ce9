import { applyDecorators, Injectable } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { type CommandMetadata, type JourneyCommand, journeyDecider, journeyStreamId } from '@carepath/domain';
import { timeOrderedId } from '@carepath/event-store';
import { deriveId } from '@carepath/write-path';
import { JourneyAccess } from '../auth/journey-access';
import type { RequestContext } from '../common/request-context';
import type { HeaderReply, WriteResponse } from '../common/write-response';
import { StreamWrites, writeAnswer } from '../store/stream-writes';
import { journeyNotFound } from './journey.reader';

/** The headers every journey write honours, in the OpenAPI document. */
export const JourneyWriteHeaders = () =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Replays the first answer; appends nothing',
    }),
    ApiHeader({
      name: 'If-Match',
      required: false,
      description: 'Expected journey revision; 409 when stale',
    }),
  );

/** What a route asked, as the client sent it: ids from the path and the body. A retry must ask the same. */
export type RouteInputs = Readonly<Record<string, unknown>>;

/**
 * What every journey route does around its own command: ids minted, the care-relationship check, the write,
 * and the answer with the journey and the ids the command minted.
 */
@Injectable()
export class JourneyWrites {
  constructor(
    private readonly streams: StreamWrites,
    private readonly access: JourneyAccess,
  ) {}

  /**
   * A new journey's id. With an Idempotency-Key it is derived from the key, so a retry of "open a journey" lands
   * on the same stream and is recognised there.
   */
  newJourneyId(ctx: RequestContext): string {
    return ctx.idempotencyKey ? deriveId('journey', ctx.institutionId, ctx.idempotencyKey) : timeOrderedId();
  }

  /** An id the command mints (visit, referral, admission...): from the key too, so a replay names it again. */
  newId(ctx: RequestContext, journeyId: string, name: string): string {
    return this.streams.newId(ctx, name, journeyId);
  }

  metadata(ctx: RequestContext, occurredAt?: string): CommandMetadata {
    return this.streams.metadata(ctx, occurredAt);
  }

  checkCareTime(field: string, value: string): void {
    this.streams.checkCareTime(field, value);
  }

  /**
   * Writes the command to its journey and answers with the new revision, the events and the ids it minted.
   * `opening`: the command starts the journey, so there is no care relationship to check and no stream to find.
   */
  async write(
    reply: HeaderReply,
    ctx: RequestContext,
    journeyId: string,
    command: JourneyCommand,
    request: {
      readonly inputs: RouteInputs;
      readonly created?: Readonly<Record<string, string>>;
      readonly opening?: boolean;
    },
  ): Promise<WriteResponse> {
    const opening = request.opening === true;
    if (!opening) await this.access.authorizeWrite(ctx, journeyId, command);
    const result = await this.streams.write(reply, ctx, journeyDecider, command, {
      streamId: journeyStreamId(journeyId),
      // The shape requests were hashed in before this path existed, so their retries still replay.
      fingerprint: {
        intent: { kind: command.type, ...request.inputs },
        journeyId: opening ? null : journeyId,
      },
      missing: opening ? undefined : () => journeyNotFound(journeyId),
      // A journey id just drawn at random names no stream yet: opening it need not read it.
      fresh: opening && !ctx.idempotencyKey,
    });
    if (opening) reply.header('Location', `/journeys/${journeyId}`);
    return { journeyId, ...writeAnswer(result), ...request.created };
  }
}
