/**
 * The pure core's view of an event. Stored type string = `type` (never renamed; evolve with added optional
 * fields or a `V2` type plus an upcaster). Data is plain JSON: no classes, no Dates, no bigints.
 */
export type DomainEvent<Type extends string = string, Data extends object = object> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

/** Who did it, where, and why, as recorded with every event (brief, rule 2). */
export interface EventMetadata {
  /** When it happened in care (ISO-8601 with offset), supplied by the client; late entries are normal. */
  readonly occurredAt: string;
  /** When CarePath recorded it (ISO-8601 UTC), from the server clock in the application shell. */
  readonly recordedAt: string;
  readonly actorId: string;
  readonly actorRole: string;
  /** The institution on whose behalf the actor acts. */
  readonly institutionId: string;
  readonly correlationId: string;
  readonly causationId: string;
  /** Present when the write carried an Idempotency-Key: a retry with the same key replays these events. */
  readonly idempotencyKey?: string;
  readonly requestHash?: string;
}

/** An event as the core folds it: the domain payload plus its id and metadata. */
export type RecordedDomainEvent<E extends DomainEvent = DomainEvent> = E &
  Readonly<{
    id: string;
    metadata: EventMetadata;
  }>;

/** Metadata a command carries in from the shell: time, acting user and ids are inputs, never computed here. */
export interface CommandMetadata {
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly actorId: string;
  readonly actorRole: string;
  readonly institutionId: string;
  readonly correlationId: string;
  readonly causationId: string;
}

/**
 * An event as a decider decides it. `occurredAt` is set only when the event happened at another care time than its
 * command (a whole past stay recorded at once: the discharge is not at the admission's time); the write path then
 * records that time in the event's metadata.
 */
export type DecidedEvent<E extends DomainEvent = DomainEvent> = E & { readonly occurredAt?: string };
