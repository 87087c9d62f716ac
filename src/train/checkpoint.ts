// Resume checkpoints, one layout for pre-training and fine-tuning, in <out>.work/checkpoint/:
//   trainer_state.json     what the run is (its identity) and where it stands (step, graph runs, losses)
//   config.json, model.safetensors (+ tokenizer files when given)   the trained parameters
//   optimizer.safetensors  the optimizer's per-parameter slots (AdamW: slot0 = m, slot1 = v)
//   best.safetensors       fine-tuning with a dev set: the best weights so far
// Every random stream of a run is a function of its seed and position (data order and masking of
// (seed, epoch/step), initialisation of (seed, name), dropout of (seed, graph run), see ops.dropout),
// so identity + position + parameters + optimizer slots is the whole state: a resumed run is the
// run it resumes, bit for bit. A checkpoint of another run is refused in one line naming the field.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import * as path from 'node:path';
import type { OptimizerState, ParamStore } from '../engine/index.js';
import { writeCheckpoint } from '../formats/checkpoint.js';
import { readSafetensors, serializeSafetensors, type TensorInput } from '../formats/safetensors.js';

const FORMAT = 1;
const STATE = 'trainer_state.json';

/**
 * What a run is: every input and option that shapes its trained state. Values are compared as JSON;
 * keys ending in "Name" are shown beside the field they name, never compared (a moved model folder
 * with the same weights is the same model).
 */
export type RunIdentity = Record<string, string | number | boolean | null | string[]>;

/** Where a run stands. */
export interface RunPosition {
  /** Optimizer steps done. */
  step: number;
  /** Training-graph runs done (one a micro-batch): where the dropout kernels continue (Trainer resumeAt). */
  runs: number;
  lossCurve: number[];
  tokensSeen: number;
  wallSeconds: number;
  /** The loop's own counters (fine-tuning: best dev score, evaluations without improvement). */
  loop: Record<string, number>;
}

export interface ResumeState {
  position: RunPosition;
  params: Map<string, Float32Array>;
  optimizer: OptimizerState;
  best?: Map<string, Float32Array>;
}

export interface SaveResume {
  identity: RunIdentity;
  position: RunPosition;
  /** The trained parameters (names from `store`) and the model config written beside them. */
  store: ParamStore;
  trained: string[];
  config: Record<string, unknown>;
  optimizer: OptimizerState;
  best?: Map<string, Float32Array>;
  /** Copy tokenizer files from here (pre-training: the checkpoint folder loads as a model). */
  tokenizerFrom?: string;
}

/** The folder a run writes its work (checkpoint, caches) to, beside its output folder. */
export function workDir(out: string): string {
  return path.resolve(out) + '.work';
}

export function checkpointDir(out: string): string {
  return path.join(workDir(out), 'checkpoint');
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(path.join(dir, STATE));
}

/** A short content hash (sha256, 16 hex digits) of strings, JSON values and byte arrays, in order. */
export function contentHash(...parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    if (typeof p === 'string') h.update(p);
    else if (p instanceof Uint8Array) h.update(p);
    else if (ArrayBuffer.isView(p)) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
    else h.update(JSON.stringify(p) ?? 'undefined');
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Content hash of files' bytes, in order (read in chunks: corpora may be large). */
export function filesHash(files: string[]): string {
  const h = createHash('sha256');
  const buf = Buffer.alloc(1 << 22);
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Content hash of a model's weights: its config and every parameter (name, shape, values). */
export function weightsHash(config: Record<string, unknown>, store: ParamStore): string {
  const names = store.names().sort();
  return contentHash(config, ...names.flatMap((n) => {
    const v = store.get(n)!;
    return [n, v.shape.join(','), v.data];
  }));
}

/** A run that does not resume must not overwrite the checkpoint of an earlier one: the user chooses. */
export function refuseOverwrite(dir: string, resume: boolean | undefined): void {
  if (!resume && hasCheckpoint(dir)) throw new Error(`${dir} holds a checkpoint from an earlier run; pass --resume to continue it, or remove ${path.dirname(dir)}`);
}

/**
 * Open a run's checkpoint: its state when resuming, undefined when starting fresh (saying so when a
 * resume finds none). Refuses a checkpoint of another run, and an existing one when not resuming.
 */
export async function openResume(dir: string, identity: RunIdentity, o: { resume?: boolean; say: (msg: string) => void }): Promise<ResumeState | undefined> {
  refuseOverwrite(dir, o.resume);
  if (!hasCheckpoint(dir)) {
    if (o.resume) o.say(`resume: no checkpoint in ${dir}; starting fresh`);
    return undefined;
  }
  const statePath = path.join(dir, STATE);
  let saved: { format?: number; identity?: RunIdentity } & Partial<RunPosition> & { optimizerStep?: number };
  try {
    saved = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch (e) {
    throw new Error(`${statePath}: unreadable checkpoint state (${(e as Error).message}); remove ${path.dirname(dir)} to start over`);
  }
  if (saved.format !== FORMAT || !saved.identity) throw new Error(`${statePath}: not a checkpoint this version of tuneshot can resume (format ${saved.format ?? 'unknown'}); remove ${path.dirname(dir)} to start over`);
  const diff = identityDifference(saved.identity, identity);
  if (diff) throw new Error(`${dir}: the checkpoint is of another run: ${diff}; resume with the settings it was made with, or remove ${path.dirname(dir)} to start over`);
  const params = await readSafetensors(path.join(dir, 'model.safetensors'));
  const slots = await readSafetensors(path.join(dir, 'optimizer.safetensors'));
  const bestPath = path.join(dir, 'best.safetensors');
  const best = existsSync(bestPath) ? await readSafetensors(bestPath) : undefined;
  const bySlot: Record<string, Float32Array[]> = {};
  for (const [key, t] of slots) {
    const m = /^slot(\d+)\.(.+)$/.exec(key);
    if (!m) continue;
    (bySlot[m[2]!] ??= [])[Number(m[1])] = t.data;
  }
  return {
    position: { step: saved.step!, runs: saved.runs!, lossCurve: saved.lossCurve!, tokensSeen: saved.tokensSeen!, wallSeconds: saved.wallSeconds!, loop: saved.loop ?? {} },
    params: new Map([...params].map(([n, t]) => [n, t.data])),
    optimizer: { step: saved.optimizerStep!, slots: bySlot },
    best: best && new Map([...best].map(([n, t]) => [n, t.data])),
  };
}

/** Put a checkpoint's parameters into `store`: every one of `trained` must be there with its shape. */
export function restoreParams(dir: string, state: ResumeState, store: ParamStore, trained: string[]): void {
  for (const name of trained) {
    const data = state.params.get(name), have = store.get(name);
    if (!data || !have || data.length !== have.data.length) throw new Error(`${path.join(dir, 'model.safetensors')}: tensor ${name} ${data ? `has ${data.length} values, the model ${have?.data.length ?? 0}` : 'is missing'}; remove ${path.dirname(dir)} to start over`);
    store.set(name, have.shape, Float32Array.from(data));
  }
}

/** Write the checkpoint atomically (a killed write leaves the previous one in place). */
export async function saveResume(dir: string, s: SaveResume): Promise<void> {
  const tensors = (names: Iterable<string>, value: (n: string) => Float32Array) => {
    const t: Record<string, TensorInput> = {};
    for (const n of names) t[n] = { shape: s.store.get(n)!.shape, data: value(n) };
    return t;
  };
  const slots: Record<string, TensorInput> = {};
  for (const [name, arrays] of Object.entries(s.optimizer.slots)) arrays.forEach((a, i) => (slots[`slot${i}.${name}`] = { shape: [a.length], data: a }));
  const { step, runs, lossCurve, tokensSeen, wallSeconds, loop } = s.position;
  const state = { format: FORMAT, identity: s.identity, step, runs, lossCurve, tokensSeen, wallSeconds, loop, optimizerStep: s.optimizer.step };
  await writeCheckpoint(dir, {
    config: s.config,
    tensors: tensors(s.trained, (n) => s.store.get(n)!.data as Float32Array),
    tokenizerFrom: s.tokenizerFrom,
    extraFiles: {
      [STATE]: JSON.stringify(state),
      'optimizer.safetensors': serializeSafetensors(slots),
      ...(s.best ? { 'best.safetensors': serializeSafetensors(tensors(s.best.keys(), (n) => s.best!.get(n)!)) } : {}),
    },
  });
}

/** The first field in which two identities differ, with both values, or undefined when they match. */
export function identityDifference(saved: RunIdentity, now: RunIdentity): string | undefined {
  const keys = [...new Set([...Object.keys(now), ...Object.keys(saved)])].filter((k) => !k.endsWith('Name'));
  for (const k of keys) {
    const a = JSON.stringify(saved[k] ?? null), b = JSON.stringify(now[k] ?? null);
    if (a === b) continue;
    const named = (id: RunIdentity, v: string) => (typeof id[`${k}Name`] === 'string' ? `${id[`${k}Name`]} (${v})` : v);
    return `${k} is ${named(saved, a)} there, ${named(now, b)} now`;
  }
  return undefined;
}
