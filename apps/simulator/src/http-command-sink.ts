import type { Actor, CommandRequest } from './simulation.script';

/** What a write answered: for a journey command, the journey, the ids it minted and its events. */
export interface CommandAnswer {
  readonly journeyId: string | null;
  readonly created: Readonly<Record<string, string>>;
  readonly events: readonly { readonly id: string; readonly type: string }[];
}

/**
 * Sends the simulator's commands to a CarePath API over HTTP, as a `system` service account (docs/api.md,
 * "Authentication") whose bearer token is given, naming in X-Institution-Id the institution each command is
 * recorded for. The simulator's only way in: it goes through the routes, their validation and the access policy.
 */
export class HttpCommandSink {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  async send(actor: Actor, { path, body }: CommandRequest): Promise<CommandAnswer> {
    const response = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${this.token}`,
        'X-Institution-Id': actor.institutionId,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
    const answer = JSON.parse(text) as { journeyId?: unknown; events?: CommandAnswer['events'] } & Record<
      string,
      unknown
    >;
    // Besides the journey, revision and events, a journey write answers with the ids it minted (referralId, ...).
    const created: Record<string, string> = {};
    for (const [field, value] of Object.entries(answer)) {
      if (field !== 'journeyId' && typeof value === 'string') created[field] = value;
    }
    return {
      journeyId: typeof answer.journeyId === 'string' ? answer.journeyId : null,
      created,
      events: answer.events ?? [],
    };
  }
}
