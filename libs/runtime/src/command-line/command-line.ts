import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * The command-line conventions of every CarePath program: `--help` or `-h` prints the usage on stdout and exits 0;
 * a command line the program cannot act on prints what is wrong and the usage on stderr and exits 2.
 */

/** An unknown option, a missing value, a bad one: exit status 2. `usage`: a subcommand's own, instead of the program's. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** `--help` or `-h` was given. */
export class HelpRequested extends Error {
  constructor(readonly usage?: string) {
    super('help requested');
  }
}

/**
 * `node:util` parseArgs, strict (an option the program does not declare is refused), with the conventions above:
 * throws HelpRequested when asked for help, UsageError when the arguments do not parse. `usage` goes with either.
 */
export function parseCommandLine<const T extends Omit<ParseArgsConfig, 'args' | 'strict'>>(
  argv: readonly string[],
  config: T,
  usage?: string,
): ReturnType<typeof parseArgs<T>> {
  const end = argv.indexOf('--');
  const options = end === -1 ? argv : argv.slice(0, end);
  if (options.includes('--help') || options.includes('-h')) throw new HelpRequested(usage);
  try {
    return parseArgs<T>({ ...config, args: [...argv] });
  } catch (error) {
    // parseArgs names the argument at fault (ERR_PARSE_ARGS_UNKNOWN_OPTION, ..._INVALID_OPTION_VALUE, ...).
    throw new UsageError(error instanceof Error ? error.message : String(error), usage);
  }
}

/**
 * Runs a program under the conventions above and answers its exit status: the program's own, 0 after help, 2 after
 * a UsageError. Any other error is the program's to report, so it is thrown on.
 */
export async function runCommandLine(
  usage: string,
  program: () => Promise<number> | number,
): Promise<number> {
  try {
    return await program();
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${error.usage ?? usage}\n`);
      return 0;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${error.usage ?? usage}\n`);
      return 2;
    }
    throw error;
  }
}
