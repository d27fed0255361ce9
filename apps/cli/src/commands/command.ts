import type { EventStore } from '@carepath/event-store';
import { type AppConfig, parseCommandLine, UsageError } from '@carepath/runtime';

/** What a command may use: the configuration, and the event store, opened on first use and closed after the run. */
export interface CommandContext {
  config(): AppConfig;
  store(): EventStore;
}

/** A command of `carepath`: its name, its synopsis and what it does (both for the usage), and how it runs. */
export interface Command {
  readonly name: string;
  readonly synopsis: string;
  readonly summary: string;
  run(argv: readonly string[], ctx: CommandContext): Promise<number> | number;
}

/** A command's parseArgs and its usage errors: both answer with the command's own usage. */
export function commandLineOf(command: Pick<Command, 'name' | 'synopsis' | 'summary'>) {
  const usage = `Usage: carepath ${command.name} ${command.synopsis}\n\n${command.summary}`;
  return {
    parse: <const T extends Parameters<typeof parseCommandLine>[1]>(argv: readonly string[], config: T) =>
      parseCommandLine(argv, config, usage),
    usageError: (message: string) => new UsageError(message, usage),
  };
}
