import { Injectable, Logger } from '@nestjs/common';
import type { JourneyCommand } from '@carepath/domain';
import type { AccessContext, RequestContext } from '../common/request-context';
import { WritePath } from '@carepath/write-path';
import { currentJourney, JourneyReader } from '../journeys/journey.reader';
import { forbidden } from './access.guard';
import { careInstitutions, type ReadBasis, readBasis, writeRefusal } from './care-relationship';

/**
 * Institution scoping of journey reads (issue 17): decided on the journey as it stands now, before anything is
 * read for the answer, whatever view (`asOf`, `validAt`, history, timeline) is then served.
 */
@Injectable()
export class JourneyAccess {
  private readonly logger = new Logger('auth');

  constructor(
    private readonly reader: JourneyReader,
    private readonly writePath: WritePath,
  ) {}

  /** The basis the access log records; 403 when the reader has none; 404 for an unknown journey. */
  async authorizeRead(ctx: AccessContext, journeyId: string): Promise<ReadBasis> {
    const { state } = await this.reader.get(journeyId);
    const basis = readBasis(
      {
        role: ctx.actorRole,
        institutionId: ctx.institutionId,
        reason: ctx.reason,
        justification: ctx.justification,
      },
      careInstitutions(state),
    );
    if (basis === null) {
      // Refusals are not written to the log (a flood of them must not grow it); the request log keeps them.
      this.logger.warn({
        msg: 'journey read refused: no care relationship',
        journeyId,
        actorId: ctx.actorId,
        issuer: ctx.issuer,
        institutionId: ctx.institutionId,
      });
      throw forbidden(
        'NO_CARE_RELATIONSHIP',
        `Institution ${ctx.institutionId} takes no part in this journey; in an emergency, read it with the reason emergency and X-Access-Justification`,
      );
    }
    return basis;
  }

  /**
   * A write to an existing journey by an institution that takes part in it (or joins it by the command), and a
   * correction or void by a role that may record the fact amended (care-relationship.ts); 403 otherwise, nothing
   * written. Read here, before the write path reads the stream again to decide: participation only grows, except
   * by a void, and a void racing this check leaves the decider's own side checks in force.
   */
  async authorizeWrite(ctx: RequestContext, journeyId: string, command: JourneyCommand): Promise<void> {
    const { state } = await currentJourney(this.writePath, journeyId);
    const target =
      command.type === 'MarkEnteredInError' || command.type === 'CorrectEvent'
        ? command.data.targetEventId
        : undefined;
    const amended =
      target !== undefined && state.status !== 'not-opened'
        ? state.facts.find((f) => f.eventId === target)?.type
        : undefined;
    const refusal = writeRefusal(
      { role: ctx.actorRole, institutionId: ctx.institutionId },
      command.type,
      state,
      amended,
    );
    if (refusal !== null) throw forbidden('NOT_IN_CARE_RELATIONSHIP', refusal);
  }
}
