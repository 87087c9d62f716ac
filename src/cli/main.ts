// The command-line interface: a thin layer over the library API in src/index.ts.
import { Command } from 'commander';

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program.name('tuneshot').description('Fine-tune or prompt? Adapt language models and measure which is right.').version('0.1.0');
  await program.parseAsync(argv);
}
