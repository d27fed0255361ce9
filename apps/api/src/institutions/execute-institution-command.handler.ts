import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  decideInstitution,
  type InstitutionCommand,
  type InstitutionEvent,
  type InstitutionState,
  institutionStreamId,
} from '@carepath/domain';
import { ResourceNotFoundException } from '../common/http-errors';
import type { RequestContext } from '../common/request-context';
import { institutionDecider } from '../reference/institution-directory';
import { type Decider, StreamWriter, type WriteOutcome } from '../store/stream-writer';
import { CLOCK, type Clock } from '../store/tokens';
import type {
  ChangeBedCountDto,
  MarkInstitutionEventEnteredInErrorDto,
  OpenWardDto,
  RegisterInstitutionDto,
} from './institution.dto';

export type InstitutionIntent =
  | { kind: 'RegisterInstitution'; body: RegisterInstitutionDto }
  | { kind: 'OpenWard'; institutionId: string; body: OpenWardDto }
  | { kind: 'ChangeWardBedCount'; institutionId: string; wardId: string; body: ChangeBedCountDto }
  | {
      kind: 'MarkInstitutionEventEnteredInError';
      institutionId: string;
      eventId: string;
      body: MarkInstitutionEventEnteredInErrorDto;
    };

export class ExecuteInstitutionCommand extends Command<WriteOutcome & { institutionId: string }> {
  constructor(
    readonly ctx: RequestContext,
    readonly intent: InstitutionIntent,
  ) {
    super();
  }
}

const decider: Decider<InstitutionCommand, InstitutionEvent, InstitutionState> = {
  ...institutionDecider,
  decide: decideInstitution,
};

@CommandHandler(ExecuteInstitutionCommand)
export class ExecuteInstitutionCommandHandler implements ICommandHandler<ExecuteInstitutionCommand> {
  constructor(
    private readonly writer: StreamWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({
    ctx,
    intent,
  }: ExecuteInstitutionCommand): Promise<WriteOutcome & { institutionId: string }> {
    const institutionId =
      intent.kind === 'RegisterInstitution' ? intent.body.institutionId : intent.institutionId;
    const outcome = await this.writer.execute(decider, {
      streamId: institutionStreamId(institutionId),
      ctx,
      // Voiding is an administrative act done now; every other command says when it takes effect in care.
      occurredAt:
        intent.kind === 'MarkInstitutionEventEnteredInError'
          ? this.clock().toISOString()
          : intent.body.occurredAt,
      fingerprint: intent,
      requireExisting:
        intent.kind === 'RegisterInstitution'
          ? undefined
          : () =>
              new ResourceNotFoundException('INSTITUTION_NOT_FOUND', `Unknown institution ${institutionId}`),
      buildCommand: (_state, metadata): InstitutionCommand => {
        switch (intent.kind) {
          case 'RegisterInstitution': {
            const { occurredAt: _, allianceId, ...rest } = intent.body;
            return {
              type: 'RegisterInstitution',
              metadata,
              data: { ...rest, allianceId: allianceId ?? null },
            };
          }
          case 'OpenWard': {
            const { occurredAt: _, ...rest } = intent.body;
            return { type: 'OpenWard', metadata, data: { institutionId, ...rest } };
          }
          case 'ChangeWardBedCount':
            return {
              type: 'ChangeWardBedCount',
              metadata,
              data: { institutionId, wardId: intent.wardId, openBeds: intent.body.openBeds },
            };
          case 'MarkInstitutionEventEnteredInError':
            return {
              type: 'MarkInstitutionEventEnteredInError',
              metadata,
              data: { institutionId, targetEventId: intent.eventId, reason: intent.body.reason },
            };
        }
      },
    });
    return { ...outcome, institutionId };
  }
}
