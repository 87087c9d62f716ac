// Helpers every command file uses: argument parsers with the ranges of src/options/ranges.ts (so a
// bad value is one line naming the option and its range, before anything runs), and the command
// line recorded in model cards and the run registry. Command files import this module, never
// main.ts or each other, so the import graph has no cycle.
import { InvalidArgumentError } from 'commander';
import { RANGES, describeRange, inRange, type Range, type RangeName } from '../options/ranges.js';

/** A commander argument parser that also says which range it enforces (the CLI test reads it). */
export interface RangedParser<T = number> {
  (value: string, previous?: unknown): T;
  range: Range;
}

function parseNumber(v: string, range: Range): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!inRange(n, range)) throw new InvalidArgumentError(`Expected ${describeRange(range)}.`);
  return n;
}

/** A number in the range of the library option `name` (RANGES). */
export function num(name: RangeName): RangedParser {
  const range = RANGES[name];
  return Object.assign((v: string) => parseNumber(v, range), { range });
}

/** Comma-separated non-empty names. */
export function list(v: string): string[] {
  const items = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new InvalidArgumentError('Expected a comma-separated list of names.');
  return items;
}

/** One of `allowed`. */
export function oneOf<T extends string>(allowed: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!(allowed as readonly string[]).includes(v)) throw new InvalidArgumentError(`Expected one of ${allowed.join(', ')}.`);
    return v as T;
  };
}

/** This process's command line as the user typed it, for model cards and the run registry. */
export const commandLine = () => `tuneshot ${process.argv.slice(2).join(' ')}`;
