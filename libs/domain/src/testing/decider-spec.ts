import type { DomainErrorCode } from '../shared/domain-error';
import type { CommandMetadata, DomainEvent, RecordedDomainEvent } from '../shared/event';

/**
 * Given/when/then for deciders: given past events (folded with evolve), when a command is decided, then
 * expect the new events or a domain error code. Test-only; not exported from the lib's index.
 */
export interface DeciderUnderTest<Command, Event extends DomainEvent, State> {
  readonly decide: (command: Command, state: State) => Event[];
  readonly evolve: (state: State, event: RecordedDomainEvent<Event>) => State;
  readonly initialState: () => State;
}

/** A past event with the id and care metadata it was recorded with. */
export interface GivenEvent<Event extends DomainEvent> {
  readonly event: Event;
  readonly id?: string;
  readonly metadata?: Partial<CommandMetadata>;
}

export const specMetadata = (overrides: Partial<CommandMetadata> = {}): CommandMetadata => ({
  occurredAt: '2026-03-01T09:00:00+08:00',
  recordedAt: '2026-03-01T01:00:05.000Z',
  actorId: 'dr-1',
  actorRole: 'doctor',
  institutionId: 'CHC-CY-01',
  correlationId: 'corr-1',
  causationId: 'req-1',
  ...overrides,
});

export function deciderSpec<Command, Event extends DomainEvent, State>(
  decider: DeciderUnderTest<Command, Event, State>,
) {
  return (given: readonly (Event | GivenEvent<Event>)[] = []) => {
    const state = given.reduce<State>((s, item, i) => {
      const { event, id, metadata } =
        'event' in item ? item : { event: item, id: undefined, metadata: undefined };
      const recorded = {
        ...event,
        id: id ?? `evt-${i}`,
        metadata: specMetadata(metadata),
      } as RecordedDomainEvent<Event>;
      return decider.evolve(s, recorded);
    }, decider.initialState());
    return {
      state,
      when: (command: Command) => ({
        then: (expected: readonly Event[]) => expect(decider.decide(command, state)).toEqual(expected),
        thenFails: (code: DomainErrorCode) =>
          expect(() => decider.decide(command, state)).toThrow(expect.objectContaining({ code }) as Error),
        events: () => decider.decide(command, state),
      }),
    };
  };
}
