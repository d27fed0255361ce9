import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandMetadata, Decider, DomainEvent } from '@carepath/domain';
import { type WriteOptions, type WriteOutcome, WritePath } from '@carepath/write-path';

/**
 * The command bus's one message: a domain command bound for its stream. Routes build the domain command; the bus
 * carries it to the one handler, which hands it to the framework-free write path (docs/architecture.md).
 */
export class WriteToStream<
  C extends { readonly metadata: CommandMetadata },
  E extends DomainEvent,
  S,
> extends Command<WriteOutcome> {
  constructor(
    readonly decider: Decider<C, E, S>,
    readonly command: C,
    readonly options: WriteOptions,
  ) {
    super();
  }

  /** Keeps the decider, command and state types bound together through the untyped bus. */
  applyTo(writePath: WritePath): Promise<WriteOutcome> {
    return writePath.handle(this.decider, this.command, this.options);
  }
}

@CommandHandler(WriteToStream)
export class WriteToStreamHandler implements ICommandHandler<
  WriteToStream<{ readonly metadata: CommandMetadata }, DomainEvent, unknown>,
  WriteOutcome
> {
  constructor(private readonly writePath: WritePath) {}

  execute(
    message: WriteToStream<{ readonly metadata: CommandMetadata }, DomainEvent, unknown>,
  ): Promise<WriteOutcome> {
    return message.applyTo(this.writePath);
  }
}
