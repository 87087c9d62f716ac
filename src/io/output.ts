// Where a command may write. Every command that writes (finetune, pretrain, compare, demo, report,
// predict, icl, and export) asks this module first, before any work, so that nothing the user did
// not make with tuneshot is ever deleted or replaced:
//   - a folder output may go to a new path, an empty folder, or an earlier tuneshot output of the
//     same kind: model folders (finetune, pretrain, export) are replaced only with `overwrite`
//     (--overwrite), a pre-training run resuming into its own output needs none, nor does a remote
//     fine-tuning job writing its model card into its own folder; compare and report
//     folders are updated in place (compare reuses its finished cells), nothing in them is deleted;
//   - a file output (predictions, prompt programs, exported files) may go to a new path or replace
//     an earlier tuneshot file of the same kind with `overwrite`; missing parent folders are created;
//   - never `/`, the current folder or one holding it, the home folder, a folder holding an input
//     (data, base model, corpus), an input file itself, a file where a folder is expected or a
//     folder where a file is expected, whatever `overwrite` says.
// Folder outputs carry a small marker (.tuneshot-output.json, {kind}); outputs written before it
// existed are recognised by their content (config.json's "tuneshot" block, results.json).
// Hook for new commands (e.g. export): prepareOutputFolder/prepareOutputFile at the top, then
// writeOutputFolder or writeFileAtomic (src/io/atomic.ts) for the final write.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeDirs, removeStaleTemps, replaceFolderAtomic, writeFileAtomicSync, writeFileSynced } from './atomic.js';

export type OutputKind = 'finetune' | 'remote-finetune' | 'pretrain' | 'compare' | 'report' | 'export' | 'predictions' | 'prompt-program';

export const OUTPUT_MARKER = '.tuneshot-output.json';

export interface OutputOptions {
  kind: OutputKind;
  /** Replace an earlier tuneshot output of the same kind (--overwrite). */
  overwrite?: boolean;
  /** Files and folders the run reads: the output may neither be one of them nor hold one. */
  inputs?: Array<string | undefined>;
  /** A run resuming into its own output (pretrain --resume). */
  resume?: boolean;
  /** The option that named the output, for messages (default --out). */
  option?: string;
}

export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

/** Folder kinds whose outputs are written into (updated) rather than replaced as a whole. */
const UPDATED: Partial<Record<OutputKind, OutputKind[]>> = { compare: ['compare'], report: ['report', 'compare'] };

const KINDS: readonly OutputKind[] = ['finetune', 'remote-finetune', 'pretrain', 'compare', 'report', 'export', 'predictions', 'prompt-program'];

/** The real path of `p`, or of its nearest existing ancestor joined with the rest. */
function realish(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(realpathSync(cur), ...rest.reverse());
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return abs;
      rest.push(path.basename(cur));
      cur = up;
    }
  }
}

const opt = (o: OutputOptions) => o.option ?? '--out';

/** True when `outer` is `inner` or one of its ancestors. */
function holds(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The kind of tuneshot output in folder `dir`, if it is one. */
export function outputKindOf(dir: string): OutputKind | undefined {
  const marker = readJson(path.join(dir, OUTPUT_MARKER)) as { kind?: unknown } | undefined;
  if (marker && typeof marker.kind === 'string' && (KINDS as readonly string[]).includes(marker.kind)) return marker.kind as OutputKind;
  // Outputs written before the marker: recognised by what tuneshot writes into them.
  const config = readJson(path.join(dir, 'config.json')) as { tuneshot?: Record<string, unknown> } | undefined;
  if (config?.tuneshot && typeof config.tuneshot === 'object') {
    if ('objective' in config.tuneshot) return 'pretrain';
    if ('method' in config.tuneshot) return 'finetune';
  }
  const remote = readJson(path.join(dir, 'remote.json')) as { format?: unknown } | undefined;
  if (remote?.format === 'tuneshot-remote-model') return 'remote-finetune';
  const results = readJson(path.join(dir, 'results.json')) as { version?: unknown; cells?: unknown } | undefined;
  if (results && typeof results.version === 'number' && Array.isArray(results.cells)) {
    return existsSync(path.join(dir, 'cells')) ? 'compare' : 'report';
  }
  return undefined;
}

/** The kind of tuneshot output in `file`, by content (predictions JSONL, prompt.json, GGUF). */
export function fileKindOf(file: string): OutputKind | undefined {
  let head = '';
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (head.startsWith('GGUF')) return 'export';
  const first = head.split('\n').find((l) => l.trim() !== '');
  try {
    const row = JSON.parse(first ?? '') as Record<string, unknown>;
    if (typeof row['index'] === 'number' && ('probs' in row || 'pred' in row || 'generation' in row)) return 'predictions';
  } catch {
    /* not one JSON line: maybe a whole JSON document */
  }
  const doc = readJson(file) as Record<string, unknown> | undefined;
  if (doc && typeof doc === 'object' && typeof doc['template'] === 'string' && doc['version'] === 1) return 'prompt-program';
  return undefined;
}

/** Checks shared by files and folders: never /, the current or home folder (or above), an input. */
function checkPlace(out: string, real: string, o: OutputOptions, what: 'folder' | 'file'): void {
  if (path.parse(real).root === real) throw new OutputError(`${opt(o)} ${out}: refusing to write to the root folder`);
  if (holds(real, realish(process.cwd()))) {
    throw new OutputError(`${opt(o)} ${out}: is the current folder${real === realish(process.cwd()) ? '' : ' or holds it'}; choose a new ${what}, e.g. --out ${what === 'folder' ? 'my-model' : 'predictions.jsonl'}`);
  }
  if (holds(real, realish(os.homedir()))) throw new OutputError(`${opt(o)} ${out}: is your home folder or holds it; choose a new ${what}`);
  for (const input of o.inputs ?? []) {
    if (input === undefined || !existsSync(input)) continue;
    const inp = realish(input);
    if (holds(real, inp)) {
      throw new OutputError(real === inp
        ? `${opt(o)} ${out}: is the input ${input}; writing there would destroy it`
        : `${opt(o)} ${out}: holds the input ${input}; choose another ${what}`);
    }
  }
}

/**
 * Check a folder output before any work (nothing is deleted here): throws an OutputError naming
 * the folder and what to do. Creates missing parent folders and removes temporary folders a
 * killed earlier write of this output left. Returns the absolute path.
 */
export function prepareOutputFolder(out: string, o: OutputOptions): string {
  const abs = path.resolve(out);
  const real = realish(abs);
  checkPlace(out, real, o, 'folder');
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new OutputError(`${opt(o)} ${out}: is a file, not a folder; choose a folder name`);
    if (readdirSync(abs).length > 0) {
      const found = outputKindOf(abs);
      if (found === undefined) {
        throw new OutputError(`${opt(o)} ${out}: the folder exists and is not a tuneshot output; choose a new or empty folder (nothing was written)`);
      }
      const updated = UPDATED[o.kind];
      if (updated) {
        if (!updated.includes(found)) throw new OutputError(`${opt(o)} ${out}: holds a tuneshot ${found} output, not a ${o.kind} output; choose another folder`);
      } else if (found !== o.kind) {
        throw new OutputError(`${opt(o)} ${out}: holds a tuneshot ${found} output, not a ${o.kind} output; choose another folder`);
      } else if (!o.overwrite && !o.resume) {
        throw new OutputError(`${opt(o)} ${out}: holds an earlier tuneshot ${found} output; pass --overwrite to replace it`);
      }
    }
  }
  makeDirs(path.dirname(abs));
  removeStaleTemps(abs);
  return abs;
}

function markerText(kind: OutputKind): string {
  return `${JSON.stringify({ kind, createdAt: new Date().toISOString() })}\n`;
}

/**
 * Write a whole folder output atomically: checks it again, lets `fill` write into a temporary
 * folder beside it (empty, already created), marks it, and renames it into place.
 */
export async function writeOutputFolder(out: string, o: OutputOptions, fill: (dir: string) => Promise<void>): Promise<string> {
  const abs = prepareOutputFolder(out, o);
  await replaceFolderAtomic(abs, async (tmp) => {
    await fill(tmp);
    await writeFileSynced(path.join(tmp, OUTPUT_MARKER), markerText(o.kind));
  });
  return abs;
}

/** A folder output that is written into over time (compare): checked, created and marked. */
export function openOutputFolder(out: string, o: OutputOptions): string {
  const abs = prepareOutputFolder(out, o);
  makeDirs(abs);
  if (!existsSync(path.join(abs, OUTPUT_MARKER)) && outputKindOf(abs) === undefined) writeFileAtomicSync(path.join(abs, OUTPUT_MARKER), markerText(o.kind));
  return abs;
}

/**
 * Check a file output before any work: not a folder, not an input, not a file tuneshot did not
 * write (an earlier tuneshot file of the same kind only with `overwrite`). Creates missing parent
 * folders and removes temporary files a killed earlier write left. Returns the absolute path.
 */
export function prepareOutputFile(file: string, o: OutputOptions): string {
  const abs = path.resolve(file);
  const real = realish(abs);
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new OutputError(`${opt(o)} ${file}: is a folder; give a file name, e.g. ${path.join(file, o.kind === 'prompt-program' ? 'prompt.json' : 'predictions.jsonl')}`);
  checkPlace(file, real, o, 'file');
  if (existsSync(abs) && statSync(abs).size > 0) {
    const found = fileKindOf(abs);
    if (found === undefined) throw new OutputError(`${opt(o)} ${file}: the file exists and was not written by tuneshot; choose a new file name (nothing was written)`);
    if (found !== o.kind) throw new OutputError(`${opt(o)} ${file}: holds tuneshot ${found}, not ${o.kind}; choose another file name`);
    if (!o.overwrite) throw new OutputError(`${opt(o)} ${file}: holds earlier tuneshot ${found}; pass --overwrite to replace it`);
  }
  makeDirs(path.dirname(abs));
  removeStaleTemps(abs);
  return abs;
}
