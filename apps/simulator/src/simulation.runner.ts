import type { HttpCommandSink } from './http-command-sink';
import type { Plan } from './simulation.plan';
import {
  familyDoctorSteps,
  institutionRequests,
  JOURNEY,
  type JourneyStep,
  journeySteps,
} from './simulation.script';

/**
 * Sends the plan's commands to the API in recording order. Up to `concurrency` commands are in flight, but never
 * two of one journey: each journey's commands are sent one after the other, as its script orders them.
 */
export class SimulationRunner {
  commands = 0;

  constructor(
    private readonly sink: HttpCommandSink,
    private readonly concurrency = 8,
  ) {}

  async run(plan: Plan, onProgress: (done: number, total: number) => void = () => undefined): Promise<void> {
    for (const { actor, request } of institutionRequests(plan)) {
      await this.sink.send(actor, request);
      this.commands++;
    }
    await this.runFamilyDoctors(plan);
    const steps = journeySteps(plan);
    const journeys = plan.journeys.map(() => new Map<string, string>());
    const tails = new Map<number, Promise<void>>();
    const inFlight = new Set<Promise<void>>();
    // Set by whichever command fails first; nothing more is sent after it.
    const stop: { failure: Error | null } = { failure: null };
    let done = 0;
    for (const step of steps) {
      while (inFlight.size >= this.concurrency) await Promise.race(inFlight);
      if (stop.failure) break;
      const journey = journeys[step.journey]!;
      const task = (tails.get(step.journey) ?? Promise.resolve())
        .then(async () => {
          if (stop.failure) return;
          await this.execute(step, journey);
          onProgress(++done, steps.length);
        })
        .catch((error: unknown) => {
          stop.failure ??= new Error(describe(plan, step, error), { cause: error });
        })
        .finally(() => inFlight.delete(task));
      tails.set(step.journey, task);
      inFlight.add(task);
    }
    await Promise.all(inFlight);
    if (stop.failure) throw stop.failure;
  }

  /**
   * The population, contracts and slot commands one after the other: a block's commands must reach its stream in
   * the order they happened, and they touch no journey.
   */
  private async runFamilyDoctors(plan: Plan): Promise<void> {
    const minted = new Map<string, string>();
    const ids = (name: string) => {
      const id = minted.get(name);
      if (id === undefined) throw new Error(`no id named ${name} yet`);
      return id;
    };
    for (const step of familyDoctorSteps(plan)) {
      const request = step.request(ids);
      let answer;
      try {
        answer = await this.sink.send(step.actor, request);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`POST ${request.path} as ${step.actor.institutionId} failed: ${message}`, {
          cause: error,
        });
      }
      this.commands++;
      for (const [field, name] of Object.entries(step.created ?? {})) {
        const id = answer.created[field];
        if (id === undefined) throw new Error(`the answer to POST ${request.path} has no ${field}`);
        minted.set(name, id);
      }
    }
  }

  /** Sends one journey command; `minted` holds the ids its journey's earlier commands answered, by name. */
  private async execute(step: JourneyStep, minted: Map<string, string>): Promise<void> {
    const ids = (name: string) => {
      const id = minted.get(name);
      if (id === undefined) throw new Error(`no id named ${name} yet`);
      return id;
    };
    const answer = await this.sink.send(step.actor, step.request(ids));
    this.commands++;
    if (!minted.has(JOURNEY)) {
      if (answer.journeyId === null) throw new Error('the answer names no journey');
      minted.set(JOURNEY, answer.journeyId);
    }
    for (const [field, name] of Object.entries(step.created ?? {})) {
      const id = answer.created[field];
      if (id === undefined) throw new Error(`the answer has no ${field}`);
      minted.set(name, id);
    }
    for (const [type, name] of Object.entries(step.events ?? {})) {
      const event = answer.events.find((e) => e.type === type);
      if (!event) throw new Error(`the answer has no ${type} event`);
      minted.set(name, event.id);
    }
  }
}

function describe(plan: Plan, step: JourneyStep, error: unknown): string {
  const journey = plan.journeys[step.journey]!;
  // The route with the script's names in place of the ids (`/journeys/:journey/referrals/:referral:up/accept`).
  const route = step.request((name) => `:${name}`).path;
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? `${String(error.code)}: ` : '';
  const message = code + (error instanceof Error ? error.message : String(error));
  return `${journey.shape} journey of ${journey.patientId}: POST ${route} as ${step.actor.institutionId} failed: ${message}`;
}
