import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { CommandMetadata, Decider, DomainEvent } from '@carepath/domain';
import { timeOrderedId } from '@carepath/event-store';
import { deriveId, hashRequest, type WriteOutcome, WritePath } from '@carepath/write-path';
import type { RequestContext } from '../common/request-context';
import { type HeaderReply, writeHeaders } from '../common/write-response';
import { ProjectionsService } from '../projections/projections.service';
import { WriteToStream } from './write-to-stream.command';

/** Where a route's command goes, and what identifies the request for an Idempotency-Key replay. */
export interface WriteTarget {
  readonly streamId: string;
  /** The request as the client sent it (route, path ids, body): a retry with the same key must send the same. */
  readonly fingerprint: unknown;
  /** The stream must already exist: the error (a 404) when it does not. */
  readonly missing?: () => Error;
  /** The stream id was just drawn at random: nothing to read (see WriteOptions.fresh). */
  readonly fresh?: boolean;
}

/**
 * The HTTP side of every write (docs/architecture.md, "A write, file by file"): the request's headers become the
 * write's options, the command travels the bus to the one write path, and the answer's headers and
 * read-your-writes wait follow. Routes build the command; nothing here knows what it says.
 */
@Injectable()
export class StreamWrites {
  constructor(
    private readonly commands: CommandBus,
    private readonly writePath: WritePath,
    private readonly projections: ProjectionsService,
  ) {}

  /**
   * An id a command mints (a visit, a referral, a booking...), within `scope` (its journey, resident or block).
   * With an Idempotency-Key it is derived from the key, so a retry names the same thing and its replay matches.
   */
  newId(ctx: RequestContext, name: string, scope: string): string {
    return ctx.idempotencyKey
      ? deriveId(name, scope, ctx.institutionId, ctx.idempotencyKey)
      : timeOrderedId();
  }

  /** The command's metadata; an administrative act (a correction, a void) takes place now. */
  metadata(ctx: RequestContext, occurredAt?: string): CommandMetadata {
    return this.writePath.metadata(
      {
        actorId: ctx.actorId,
        actorRole: ctx.actorRole,
        institutionId: ctx.institutionId,
        correlationId: ctx.correlationId,
        causationId: ctx.requestId,
      },
      occurredAt,
    );
  }

  /** A care time the command carries besides its own: 400 naming the field when outside the plausible window. */
  checkCareTime(field: string, value: string): void {
    this.writePath.checkCareTime(field, value);
  }

  async write<C extends { readonly metadata: CommandMetadata }, E extends DomainEvent, S>(
    reply: HeaderReply,
    ctx: RequestContext,
    decider: Decider<C, E, S>,
    command: C,
    target: WriteTarget,
  ): Promise<WriteOutcome> {
    const result = await this.commands.execute(
      new WriteToStream(decider, command, {
        streamId: target.streamId,
        idempotency: ctx.idempotencyKey
          ? { key: ctx.idempotencyKey, requestHash: hashRequest(target.fingerprint) }
          : null,
        expectedRevision: ctx.ifMatch,
        missing: target.missing,
        fresh: target.fresh,
      }),
    );
    writeHeaders(reply, result);
    if (ctx.consistency === 'projected') await this.projections.waitFor(result.position);
    return result;
  }
}

/** The body every write answers with: the new revision and the events it appended (or replayed). */
export function writeAnswer(result: WriteOutcome) {
  return {
    revision: Number(result.revision),
    eventIds: result.events.map((e) => e.id),
    events: result.events.map((e) => ({ id: e.id, type: e.type, revision: Number(e.revision) })),
  };
}
