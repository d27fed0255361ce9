import type { CommandSink } from './command-sink';
import type { Plan } from './simulation.plan';
import { institutionIntents, type JourneyStep, journeySteps } from './simulation.script';

/**
 * Sends the plan's commands to a sink in recording order. Up to `concurrency` commands are in flight, but never
 * two of one journey: each journey's commands are sent one after the other, as its script orders them.
 */
export class SimulationRunner {
  commands = 0;

  constructor(
    private readonly sink: CommandSink,
    private readonly concurrency = 8,
  ) {}

  async run(plan: Plan, onProgress: (done: number, total: number) => void = () => undefined): Promise<void> {
    for (const { actor, intent } of institutionIntents(plan)) {
      await this.sink.institution(actor, intent);
      this.commands++;
    }
    const steps = journeySteps(plan);
    const journeys = plan.journeys.map(() => ({
      journeyId: null as string | null,
      ids: new Map<string, string>(),
    }));
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

  private async execute(
    step: JourneyStep,
    journey: { journeyId: string | null; ids: Map<string, string> },
  ): Promise<void> {
    const ids = (name: string) => {
      const id = journey.ids.get(name);
      if (id === undefined) throw new Error(`no id named ${name} yet`);
      return id;
    };
    const receipt = await this.sink.journey(journey.journeyId, step.actor, step.intent(ids));
    this.commands++;
    journey.journeyId ??= receipt.journeyId;
    for (const [field, name] of Object.entries(step.created ?? {})) {
      const id = receipt.created[field];
      if (id === undefined) throw new Error(`the answer has no ${field}`);
      journey.ids.set(name, id);
    }
    for (const [type, name] of Object.entries(step.events ?? {})) {
      const event = receipt.events.find((e) => e.type === type);
      if (!event) throw new Error(`the answer has no ${type} event`);
      journey.ids.set(name, event.id);
    }
  }
}

function describe(plan: Plan, step: JourneyStep, error: unknown): string {
  const journey = plan.journeys[step.journey]!;
  let kind = '?';
  try {
    kind = step.intent(() => '-').kind;
  } catch {
    // The intent needs ids this journey never got; the cause says which.
  }
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? `${String(error.code)}: ` : '';
  const message = code + (error instanceof Error ? error.message : String(error));
  return `${journey.shape} journey of ${journey.patientId}: ${kind} as ${step.actor.institutionId} failed: ${message}`;
}
