import { ForbiddenException, Injectable } from '@nestjs/common';
import type { CommandMetadata, Decider, DomainEvent } from '@carepath/domain';
import { WrongExpectedRevisionError } from '@carepath/event-store';
import type { WriteOutcome } from '@carepath/write-path';
import { FieldException } from '../common/http-errors';
import type { RequestContext } from '../common/request-context';
import type { HeaderReply } from '../common/write-response';
import { StreamWrites, type WriteTarget } from '../store/stream-writes';

/**
 * How often a write without If-Match is decided again after losing the append to another writer of its stream.
 * Each lost race means another command was appended, so the next decision sees it: racers for the last slot of a
 * block are answered NO_SLOT_LEFT on their second decision. The bound only matters when many writers take free
 * slots of one block at once; past it the client gets the 409 and may send the request again.
 */
const DECISIONS = 16;

/**
 * The writes of family-doctor contracts and slot blocks: ids minted from the Idempotency-Key, the acting doctor,
 * and a write that is decided again on the fresh stream when it loses a race (docs/family-doctors.md, "Stream
 * boundaries"), so that the loser gets the rule's answer (CONTRACT_OVERLAP, NO_SLOT_LEFT), not a revision conflict.
 */
@Injectable()
export class CareStreamWrites {
  constructor(private readonly streams: StreamWrites) {}

  /** An id the command mints: from the key when there is one, so a retry names the same contract or booking. */
  newId(ctx: RequestContext, name: string, scope: string): string {
    return this.streams.newId(ctx, name, scope);
  }

  metadata(ctx: RequestContext, occurredAt?: string): CommandMetadata {
    return this.streams.metadata(ctx, occurredAt);
  }

  /**
   * The family doctor a command names: a family doctor acts as themselves (their token's subject); a
   * coordinator or a service account names the doctor it acts for.
   */
  doctor(ctx: RequestContext, given: string | null | undefined): string {
    // The DTOs' IsOptional lets null through: it is left out too, never a contract or booking without a doctor.
    const doctorId = given ?? undefined;
    if (ctx.actorRole === 'family-doctor') {
      if (doctorId !== undefined && doctorId !== ctx.actorId) {
        throw new ForbiddenException({
          statusCode: 403,
          error: 'Forbidden',
          message: 'A family doctor acts as themselves: doctorId must be yours or left out',
        });
      }
      return ctx.actorId;
    }
    if (doctorId === undefined)
      throw new FieldException('doctorId', 'is required unless a family doctor acts');
    return doctorId;
  }

  /** `StreamWrites.write`, decided again on the fresh stream after a lost race when the client sent no If-Match. */
  async write<C extends { readonly metadata: CommandMetadata }, E extends DomainEvent, S>(
    reply: HeaderReply,
    ctx: RequestContext,
    decider: Decider<C, E, S>,
    command: C,
    target: WriteTarget,
  ): Promise<WriteOutcome> {
    for (let decision = 1; ; decision++) {
      try {
        return await this.streams.write(reply, ctx, decider, command, target);
      } catch (error) {
        // With If-Match the client decided against a revision itself: a moved stream is its conflict to see.
        const again =
          error instanceof WrongExpectedRevisionError && ctx.ifMatch === null && decision < DECISIONS;
        if (!again) throw error;
      }
    }
  }
}
