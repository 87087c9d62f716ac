// The command-line interface: a thin layer over the library API. Each command parses flags,
// calls one library function, and prints its result.
import { Command, Option } from 'commander';
import { commands } from './commands.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('tuneshot')
    .description('Fine-tune or prompt? Adapt language models to your task and measure which is right.')
    .version('0.1.0')
    .showHelpAfterError();
  for (const register of commands) register(program);
  await program.parseAsync(argv);
}

export const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got "${v}"`);
  return n;
};
export const float = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got "${v}"`);
  return n;
};
/** This process's command line as the user typed it, for model cards and the run registry. */
export const commandLine = () => `tuneshot ${process.argv.slice(2).join(' ')}`;
export { Option };
