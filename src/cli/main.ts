// The command-line interface: a thin layer over the library API. Each command parses flags
// (ranges and choices checked by the parsers of ./args.ts), calls one library function, and
// prints its result. Imports run one way: main -> commands -> each command -> args.
import { Command, CommanderError } from 'commander';
import { commands } from './commands.js';

/** The `tuneshot` program with every command registered (tests drive it in-process). */
export function createProgram(): Command {
  const program = new Command();
  program
    .name('tuneshot')
    .description('Fine-tune or prompt? Adapt language models to your task and measure which is right.')
    .version('0.1.0')
    // One line for a bad option, then a hint (the whole help would bury the error).
    .showHelpAfterError('(add --help for the options)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** A command-line error commander has already printed (with its hint): entry points only set the exit code. */
export class UsageError extends Error {
  readonly reported = true;
}

/** Run the CLI. Never exits the process itself (tests call it in-process): a usage error is thrown as UsageError. */
export async function main(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return; // --help, --version
    throw new UsageError(e.message);
  }
}
