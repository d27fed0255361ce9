import type { EventStore } from '@carepath/event-store';
import {
  type AppConfig,
  HelpRequested,
  loadConfig,
  openEventStore,
  runCommandLine,
  UsageError,
} from '@carepath/runtime';
import { CALENDAR } from './commands/calendar.command';
import { CHECKPOINT } from './commands/checkpoint.command';
import type { Command, CommandContext } from './commands/command';
import { EXPORT } from './commands/export.command';
import { LOGIN_LINK } from './commands/login-link.command';
import { REBUILD } from './commands/rebuild.command';
import { REPLAY } from './commands/replay.command';
import { TOKEN } from './commands/token.command';
import { VERIFY } from './commands/verify.command';

const COMMANDS: readonly Command[] = [
  VERIFY,
  CHECKPOINT,
  REPLAY,
  EXPORT,
  REBUILD,
  TOKEN,
  CALENDAR,
  LOGIN_LINK,
];

const USAGE = `Usage: carepath <command> [options]: tools for auditors and operators (same environment as the API)

${COMMANDS.map((c) => `  ${c.name} ${c.synopsis}`).join('\n')}

carepath <command> --help describes a command. Exit status: 0 done and clean, 1 a check failed (broken chain, bad
signature, different projection), 2 usage or configuration error.`;

export async function run(argv: readonly string[]): Promise<number> {
  let store: EventStore | null = null;
  let config: AppConfig | null = null;
  const ctx: CommandContext = {
    config: () => (config ??= loadConfig()),
    store: () =>
      (store ??= openEventStore(
        ctx.config(),
        { log: () => undefined, warn: (m) => console.error(m), error: (m) => console.error(m) },
        { followOtherWriters: true },
      )),
  };
  try {
    return await runCommandLine(USAGE, () => {
      const [name, ...rest] = argv;
      if (name === undefined) throw new UsageError('A command is required.');
      if (name === 'help' || name === '--help' || name === '-h') throw new HelpRequested();
      const command = COMMANDS.find((c) => c.name === name);
      if (!command) throw new UsageError(`Unknown command ${name}.`);
      return command.run(rest, ctx);
    });
  } catch (error) {
    console.error(`carepath: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    // Assigned in ctx.store(), which TypeScript's flow analysis does not follow into.
    await (store as EventStore | null)?.close();
  }
}

if (require.main === module || process.argv[1]?.endsWith('bin.js')) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
