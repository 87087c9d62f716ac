// Before fine-tuning: the peak memory and time a run will take, estimated from the model's shape,
// the method and the batch, so a run that cannot fit is refused at once (naming the largest batch
// size or the method that would fit) instead of being killed by the kernel an hour in.
//
// Memory (float32 throughout), as the engine holds it while training (src/engine/trainer.ts):
//   runtime      Node + ONNX Runtime + tokenizer                          RUNTIME_BYTES
//   weights      4 bytes x every parameter of the training graph
//   gradients    4 bytes x trainable parameters (one buffer: ORT writes into it, the optimizer reads it)
//   optimizer    8 bytes x trainable parameters (AdamW's two moments)
//   transients   2 x 4 bytes x the largest trainable tensor (a weight gradient is computed in the
//                transposed layout, then transposed into its buffer)
//   activations  what ORT keeps alive between forward and backward:
//                ACT_FACTOR x 4 bytes x batch x seq x layers x (hidden + ffn + heads x seq)
//                + LOGITS_FACTOR x 4 bytes x batch x seq x vocab for a causal-LM loss
//                (head-only: one forward pass at a time, FORWARD_FACTOR x 4 x 32 x seq x (hidden + ffn + heads x seq))
// The factors are calibrated on `npm run bench:scale` (docs/results.md, "bench:scale", 2026-12-04,
// load average ~3): bert-base classification at 16 x 128 measured 4.52 GB (estimate 4.52),
// Qwen2.5-0.5B-shape LoRA at 4 x 256 10.24 GB (estimate 10.35) and full at 2 x 256 13.21 GB
// (estimate 13.19). The head-only factor is not calibrated (its runs are small).
// Time: model FLOPs a step (6 x body weights x tokens for full, 4x for LoRA, + attention and the
// vocabulary projection) over a MatMul rate measured on this machine at start, times the share of
// that rate training reached in the same benchmark (TRAIN_EFFICIENCY).
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Graph, Program, ops as o } from '../engine/index.js';
import type { Task } from '../data/dataset.js';
import type { LoraSpec } from '../models/layers.js';
import { isHeadParam, isLoraParam, type TransformerModel } from '../models/model.js';
import { finetuneMethod, type FinetuneMethod } from './methods/index.js';
import { taskHead, type MethodRun } from './methods/method.js';

export const RUNTIME_BYTES = 0.15e9;
export const ACT_FACTOR = 4.6;
export const LOGITS_FACTOR = 6.2;
export const FORWARD_FACTOR = 3;
/** Training step FLOP rate as a share of the large-MatMul rate (bench:scale, bert_base_classify MFU: 64%). */
export const TRAIN_EFFICIENCY = 0.6;

export type EstimateMethod = 'full' | 'lora' | 'head';

/** What the estimate needs to know about a run. */
export interface TrainingShape {
  method: EstimateMethod;
  /** Every parameter of the training graph (body, head, adapters). */
  params: number;
  /** Parameters the optimizer updates. */
  trainable: number;
  /** Values in the largest trainable tensor (0 when unknown). */
  largestTrainable?: number;
  layers: number;
  hidden: number;
  ffn: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  batch: number;
  /** The longest padded sequence of a batch (the run's longest training row, at most --max-length). */
  seq: number;
  /** Causal-LM loss over the vocabulary (generate), else a classification head. */
  lmLoss: boolean;
  /** Encoders: two weight matrices a feed-forward block; gated decoders (Llama, Qwen): three. */
  gatedMlp: boolean;
}

export interface TrainingEstimate {
  peakBytes: number;
  parts: { runtime: number; weights: number; gradients: number; optimizer: number; transients: number; activations: number };
  flopsPerStep: number;
}

/** Weights of the transformer layers' linear maps (the FLOPs are there). */
function bodyMatmulParams(s: TrainingShape): number {
  const hd = s.hidden / s.heads, kv = s.kvHeads * hd;
  return s.layers * (2 * s.hidden * s.hidden + 2 * s.hidden * kv + (s.gatedMlp ? 3 : 2) * s.hidden * s.ffn);
}

export function estimateTraining(s: TrainingShape): TrainingEstimate {
  const width = s.hidden + s.ffn + s.heads * s.seq;
  const activations = s.method === 'head'
    ? FORWARD_FACTOR * 4 * 32 * s.seq * width
    : ACT_FACTOR * 4 * s.batch * s.seq * s.layers * width + (s.lmLoss ? LOGITS_FACTOR * 4 * s.batch * s.seq * s.vocab : 0);
  const transients = s.method === 'head' ? 0 : 8 * (s.largestTrainable ?? 0);
  const parts = { runtime: RUNTIME_BYTES, weights: 4 * s.params, gradients: 4 * s.trainable, optimizer: 8 * s.trainable, transients, activations };
  const tokens = s.batch * s.seq;
  const per = s.method === 'full' ? 6 : s.method === 'lora' ? 4 : 0;
  const flopsPerStep = s.method === 'head'
    ? 6 * s.trainable * s.batch
    : per * bodyMatmulParams(s) * tokens + 12 * s.layers * s.batch * s.seq * s.seq * s.hidden + (s.lmLoss ? per * tokens * s.hidden * s.vocab : 0);
  return { peakBytes: Object.values(parts).reduce((a, b) => a + b, 0), parts, flopsPerStep };
}

/** The largest batch size (at most `upTo`) whose estimate fits in `limitBytes`; 0 when not even 1 does. */
export function largestFittingBatch(s: TrainingShape, limitBytes: number, upTo = s.batch): number {
  let lo = 0, hi = upTo;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (estimateTraining({ ...s, batch: mid }).peakBytes <= limitBytes) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Memory this process may still take: MemAvailable from /proc/meminfo (Linux), else os.freemem(). */
export function availableMemoryBytes(): number {
  try {
    const kb = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch { /* not Linux */ }
  return freemem();
}

/** This machine's float32 MatMul rate on ONNX Runtime (GFLOP/s): a 1024 x 1024 product, best of 3 after a warm-up. */
export async function measureMatmulGflops(n = 1024): Promise<number> {
  const g = new Graph();
  const a = g.input('a', 'float32', [n, n]), b = g.input('b', 'float32', [n, n]);
  const p = new Program([o.matmul(a, b)]);
  const data = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const feeds = { a: { data, shape: [n, n] }, b: { data, shape: [n, n] } };
  await p.run(feeds);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await p.run(feeds);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (2 * n ** 3) / best / 1e9;
}

const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${seconds.toFixed(0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(0)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** One line: the estimate's peak and its parts, and the time an epoch when the rate is known. */
export function describeEstimate(e: TrainingEstimate, o: { stepsPerEpoch?: number; gflops?: number; flopsPerStep?: number } = {}): string {
  const p = e.parts;
  const flops = o.flopsPerStep ?? e.flopsPerStep;
  const time = o.stepsPerEpoch && o.gflops ? `, ~${formatDuration((o.stepsPerEpoch * flops) / (o.gflops * 1e9 * TRAIN_EFFICIENCY))} an epoch (${o.stepsPerEpoch} steps, ${(flops / 1e9).toFixed(0)} GFLOP a mean step at ${o.gflops.toFixed(0)} GFLOP/s x ${TRAIN_EFFICIENCY})` : '';
  return `estimated peak memory ${gb(e.peakBytes)} (weights ${gb(p.weights)}, gradients ${gb(p.gradients)}, optimizer ${gb(p.optimizer)}, gradient temporaries ${gb(p.transients)}, activations ${gb(p.activations)}, runtime ${gb(p.runtime)})${time}`;
}

export class MemoryLimitError extends Error {
  override name = 'MemoryLimitError';
}

/**
 * Refuse a run whose estimate exceeds `limitBytes`, in one line naming what would fit: the largest
 * batch size with this method, else the first of `alternatives` (other methods' shapes) that fits.
 */
export function checkMemory(s: TrainingShape, limitBytes: number, o: { limitSource: string; alternatives?: TrainingShape[] }): TrainingEstimate {
  const e = estimateTraining(s);
  if (e.peakBytes <= limitBytes) return e;
  const head = `estimated peak memory ${gb(e.peakBytes)} for ${s.method} fine-tuning at batch size ${s.batch} x ${s.seq} tokens exceeds ${o.limitSource} (${gb(limitBytes)})`;
  const batch = largestFittingBatch(s, limitBytes);
  if (batch >= 1) throw new MemoryLimitError(`${head}: the largest batch size that fits is ${batch} (--batch-size ${batch})`);
  for (const a of o.alternatives ?? []) {
    const b = largestFittingBatch(a, limitBytes);
    if (b < 1) continue;
    const at = b === a.batch ? '' : ` --batch-size ${b}`;
    throw new MemoryLimitError(`${head}: no batch size fits with ${s.method}; --method ${a.method}${at} would (estimated ${gb(estimateTraining({ ...a, batch: b }).peakBytes)})`);
  }
  throw new MemoryLimitError(`${head}: no batch size or method fits (the weights alone take ${gb(e.parts.weights)})`);
}

/** A fine-tuning run's shape: parameter counts from the head's (and adapters') parameter spec, nothing allocated. */
export function runShape(model: TransformerModel, method: EstimateMethod, o: { task: Task; labels: string[]; pooling?: 'cls' | 'mean'; lora?: LoraSpec; batch: number; seq: number }): TrainingShape {
  const c = model.config;
  const head = taskHead({ task: o.task, labels: o.labels, pooling: o.pooling });
  const spec = model.paramSpec({ ...head, ...(method === 'lora' && o.lora ? { lora: o.lora } : {}) });
  let params = 0, trainable = 0, largestTrainable = 0;
  for (const [name, shape] of spec) {
    const n = shape.reduce((a, b) => a * b, 1);
    params += n;
    const taskHeadParam = isHeadParam(name) && !isLoraParam(name) && !/^(lm_head|cls)\./.test(name);
    if (method === 'full' || (method === 'lora' && (isLoraParam(name) || taskHeadParam)) || (method === 'head' && taskHeadParam)) {
      trainable += n;
      largestTrainable = Math.max(largestTrainable, n);
    }
  }
  return {
    method, params, trainable, largestTrainable, layers: c.layers, hidden: c.hidden, ffn: c.intermediate, heads: c.heads, kvHeads: c.kvHeads, vocab: c.vocabSize,
    batch: o.batch, seq: o.seq, lmLoss: o.task === 'generate', gatedMlp: model.family.kind === 'decoder' && c.modelType !== 'gpt2',
  };
}

/**
 * finetune()'s check before training: prints the estimate (unless quiet) and refuses, with a
 * MemoryLimitError, a run that would not fit in `maxMemoryGb` (else the memory available now, plus
 * what this process already holds: the loaded model is part of the estimate).
 */
export async function preflight(method: FinetuneMethod, run: MethodRun, o: { stepsPerEpoch: number; maxMemoryGb?: number; quiet?: boolean; lora?: Partial<LoraSpec> }): Promise<TrainingEstimate> {
  const { model } = run;
  const seq = Math.max(1, ...run.train.rows.map((r) => r.ids.length));
  const batch = Math.min(run.batchSize, run.train.rows.length);
  const base = { task: run.task, labels: run.labels, pooling: run.pooling, batch, seq };
  const shape = runShape(model, method.name, { ...base, lora: method.adapters });
  const alternatives: TrainingShape[] = [];
  for (const m of ['lora', 'head'] as const) {
    if (m === method.name) continue;
    try {
      const alt = finetuneMethod(m, { task: run.task, family: model.family, lora: o.lora });
      alternatives.push(runShape(model, m, { ...base, lora: alt.adapters }));
    } catch { /* not available for this task or family */ }
  }
  const held = process.memoryUsage().rss;
  const limit = o.maxMemoryGb !== undefined ? o.maxMemoryGb * 1e9 : availableMemoryBytes() + held;
  const limitSource = o.maxMemoryGb !== undefined ? `--max-memory ${o.maxMemoryGb}` : 'the memory available (MemAvailable + what this process holds)';
  const e = checkMemory(shape, limit, { limitSource, alternatives });
  if (!o.quiet) {
    const gflops = await measureMatmulGflops().catch(() => undefined);
    // Time at the mean row length (batches are length-bucketed, so padded to about that); memory at the longest.
    const meanSeq = Math.max(1, Math.round(run.train.rows.reduce((a, r) => a + r.ids.length, 0) / run.train.rows.length));
    const flopsPerStep = estimateTraining({ ...shape, seq: meanSeq }).flopsPerStep;
    process.stderr.write(`finetune ${method.name}: ${describeEstimate(e, { stepsPerEpoch: o.stepsPerEpoch, gflops, flopsPerStep })}; limit ${gb(limit)}\n`);
  }
  return e;
}
