import type { INestApplication } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import {
  ExecuteInstitutionCommand,
  type InstitutionIntent,
} from '../../api/src/institutions/execute-institution-command.handler';
import {
  ExecuteJourneyCommand,
  type JourneyIntent,
  type JourneyWriteResult,
} from '../../api/src/journeys/execute-journey-command.handler';
import type { Actor } from './simulation.script';

/** What a journey command answered: the journey, the ids it minted, and its events. */
export interface JourneyReceipt {
  readonly journeyId: string;
  readonly created: Readonly<Record<string, string>>;
  readonly events: readonly { readonly id: string; readonly type: string }[];
}

/** Where the simulator sends its commands: the in-process command bus, or a running server over HTTP. */
export interface CommandSink {
  institution(actor: Actor, intent: InstitutionIntent): Promise<void>;
  journey(journeyId: string | null, actor: Actor, intent: JourneyIntent): Promise<JourneyReceipt>;
}

/**
 * The real command path in process: the same command bus, handlers, deciders and event store as the HTTP API
 * (only HTTP parsing and validation are skipped).
 */
export class BusCommandSink implements CommandSink {
  private readonly bus: CommandBus;

  constructor(app: INestApplication) {
    this.bus = app.get(CommandBus);
  }

  async institution(actor: Actor, intent: InstitutionIntent): Promise<void> {
    await this.bus.execute(new ExecuteInstitutionCommand(context(actor), intent));
  }

  async journey(journeyId: string | null, actor: Actor, intent: JourneyIntent): Promise<JourneyReceipt> {
    const result: JourneyWriteResult = await this.bus.execute(
      new ExecuteJourneyCommand(journeyId, context(actor), intent),
    );
    return { journeyId: result.journeyId, created: result.created, events: result.events };
  }
}

function context(actor: Actor) {
  const requestId = randomUUID();
  return {
    actorId: actor.actorId,
    actorRole: actor.role,
    institutionId: actor.institutionId,
    // In process there is no token: the command bus is trusted as the simulator's own code.
    issuer: 'urn:carepath:in-process-simulator',
    correlationId: requestId,
    requestId,
    idempotencyKey: null,
    ifMatch: null,
    consistency: 'written' as const,
  };
}
