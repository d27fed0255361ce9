import type { DecidedEvent, DomainEvent, RecordedDomainEvent } from './event';

/**
 * A stream's behaviour as data: how it starts, what a command decides against the folded state, and how each
 * event folds. The write path (libs/write-path) and every reader fold streams through this one shape.
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  readonly initialState: () => State;
  /** An event may carry its own care time (DecidedEvent): a whole past stay's discharge, say. */
  readonly decide: (command: Command, state: State) => DecidedEvent<Event>[];
  readonly evolve: (state: State, event: RecordedDomainEvent<Event>) => State;
  /** Stored type strings this decider folds; anything else in its stream is a bug, not data to skip. */
  readonly eventTypes: readonly string[];
}
