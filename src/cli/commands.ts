// Every CLI command, registered in the order `tuneshot --help` lists them.
import type { Command } from 'commander';
import { registerPretrain } from './pretrain.js';

export const commands: Array<(program: Command) => void> = [registerPretrain];
