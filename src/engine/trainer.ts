// One training step = one ONNX Runtime run that computes the loss and every gradient (written
// into preallocated buffers), then gradient accumulation, clipping and the optimizer update in JS.
import { performance } from 'node:perf_hooks';
import { GraphError, Tensor } from './graph.js';
import { DeferredScatter, gradWithDeferred } from './grad.js';
import { HostTensor, ParamStore, Program } from './session.js';
import { Optimizer, Schedule, clipGlobalNorm, learningRate } from './optim.js';

export interface TrainerOptions {
  optimizer: Optimizer;
  schedule: Schedule;
  /** Global-norm clipping threshold; 0 or undefined = no clipping. */
  clipNorm?: number;
  /** Extra outputs to fetch with the loss (e.g. logits for accuracy). */
  extraOutputs?: Tensor[];
  /**
   * Continue a run: optimizer steps and graph runs already done. The step drives the schedule; the
   * runs set where the random kernels (dropout) continue, so a resumed run draws the same masks.
   */
  resumeAt?: { step: number; runs: number };
  /** ONNX Runtime's CPU memory arena for the training graph (default: on below ARENA_OFF_FROM_PARAMS parameters, off from there). */
  memArena?: boolean;
}

/**
 * Parameter count from which training runs without ORT's memory arena. Measured (2026-12-04, load
 * average ~11, 2 threads): a bert-base-width 4-layer classifier (52.8M parameters, batch 16 x 128)
 * peaks at 2.69 GB with the arena and 1.73 GB without, at a step time within noise; a bert-mini
 * classifier (3.3M, same batch) saves only 0.05 GB without it and its steps take 5-20% longer
 * (twice the system time: freed activations go back to the kernel and fault in again).
 */
export const ARENA_OFF_FROM_PARAMS = 20_000_000;

/** Where a step's wall time went, in seconds (performance.now around each phase; no effect on results). */
export interface StepTimings {
  /** Inside ONNX Runtime's session.run (forward + backward). */
  ort: number;
  /** Wrapping feeds and fetches as ORT tensors, around session.run. */
  feeds: number;
  /** Host copies of gradients ORT did not write in place, and the host scatter-add of embedding rows. */
  copies: number;
  /** Adding a micro-batch's gradients into the accumulator. */
  accumulate: number;
  /** Global-norm computation and clipping. */
  clip: number;
  /** The optimizer update. */
  optimizer: number;
  total: number;
}

export interface StepResult {
  loss: number;
  lr: number;
  gradNorm: number;
  extras: Float32Array[][];
  timings: StepTimings;
}

export class Trainer {
  readonly program: Program;
  readonly trainable: Tensor[];
  private gradBufs: Float32Array[];
  /**
   * The accumulator, made only when a step has several micro-batches: with one, its gradients are
   * the step's gradients (0 + g x 1 is g exactly), so clipping and the optimizer use gradBufs and
   * a second copy of every trainable parameter's size is never allocated.
   */
  private accBufs?: Float32Array[];
  private into: Map<Tensor, Float32Array>;
  /** Graph gradient per trainable parameter (null: its gradient comes only from host scatters). */
  private gradTensors: Array<Tensor | null>;
  private deferred: DeferredScatter[];
  /** Optimizer steps taken (for the schedule and checkpoints). */
  step = 0;
  /** Graph runs made (one a micro-batch), counting those before a resume: checkpoints store it. */
  get runs(): number {
    return this.program.runs;
  }

  constructor(readonly loss: Tensor, trainable: Tensor[], readonly store: ParamStore, readonly options: TrainerOptions) {
    if (trainable.length === 0) throw new GraphError('Trainer: nothing to train');
    this.trainable = trainable;
    // Embedding tables (Gather axis 0 sources) get their row gradients scattered on the host (see gradWithDeferred).
    const tables = new Set(loss.graph.nodes.filter((n) => n.op === 'Gather' && n.attrs['axis'] === 0 && trainable.includes(n.inputs[0]!)).map((n) => n.inputs[0]!));
    const { grads, deferred } = gradWithDeferred(loss, trainable, tables);
    this.deferred = deferred;
    this.gradTensors = trainable.map((p) => grads.get(p) ?? null);
    const graphGrads = this.gradTensors.filter((g): g is Tensor => g !== null);
    const outputs = [loss, ...(options.extraOutputs ?? []), ...graphGrads, ...deferred.flatMap((d) => [d.grad, d.indices])];
    // ORT's memory arena: off for big models, where it holds GBs of activations it rounded up; on for
    // small ones, where the page faults of allocating without it cost more (see CompileOptions.memArena).
    const paramValues = loss.graph.params.reduce((a, p) => a + (store.get(p.name)?.data.length ?? 0), 0);
    const memArena = options.memArena ?? paramValues < ARENA_OFF_FROM_PARAMS;
    this.program = new Program(outputs, { fresh: loss.graph.nodes.some((n) => n.op === 'Dropout'), randomRuns: options.resumeAt?.runs, memArena });
    this.step = options.resumeAt?.step ?? 0;
    this.gradBufs = trainable.map((p) => new Float32Array(store.get(p.name)!.data.length));
    this.into = new Map();
    this.gradTensors.forEach((g, i) => { if (g) this.into.set(g, this.gradBufs[i]!); });
  }

  /** Forward + backward on one micro-batch; returns the loss and extra outputs, adds grads to the accumulator. */
  private async micro(inputs: Record<string, HostTensor>, scale: number, tm: StepTimings, acc: Float32Array[] | null): Promise<{ loss: number; extras: Float32Array[] }> {
    const out = await this.program.run(inputs, this.store, this.into);
    tm.ort += this.program.lastRun.ortSeconds;
    tm.feeds += this.program.lastRun.totalSeconds - this.program.lastRun.ortSeconds;
    let t = performance.now();
    const nExtra = this.options.extraOutputs?.length ?? 0;
    // ORT writes into the preallocated buffers; should it ever hand back its own, copy from that.
    let o = 1 + nExtra;
    this.gradTensors.forEach((g, k) => {
      if (!g) return this.gradBufs[k]!.fill(0);
      const t = out[o++]!;
      if (t.data !== this.gradBufs[k]) this.gradBufs[k]!.set(t.data as Float32Array);
    });
    // Host scatter-add of embedding row gradients, in index order (deterministic).
    for (const d of this.deferred) {
      const rows = out[o++]!.data as Float32Array, idx = out[o++]!.data as BigInt64Array | Int32Array;
      const buf = this.gradBufs[this.trainable.indexOf(d.param)]!;
      const H = rows.length / idx.length;
      for (let i = 0; i < idx.length; i++) {
        const base = Number(idx[i]) * H, src = i * H;
        for (let j = 0; j < H; j++) buf[base + j] = buf[base + j]! + rows[src + j]!;
      }
    }
    tm.copies += (performance.now() - t) / 1000;
    t = performance.now();
    if (acc) {
      for (let k = 0; k < this.gradBufs.length; k++) {
        const g = this.gradBufs[k]!, a = acc[k]!;
        for (let i = 0; i < g.length; i++) a[i] = a[i]! + g[i]! * scale;
      }
    }
    tm.accumulate += (performance.now() - t) / 1000;
    const loss = Number(out[0]!.data[0]);
    if (!Number.isFinite(loss)) throw new GraphError(`training diverged: loss is ${loss} at step ${this.step}`);
    return { loss, extras: out.slice(1, 1 + nExtra).map((t) => t.data as Float32Array) };
  }

  /**
   * One optimizer step over `microBatches` (gradient accumulation: their gradients are averaged).
   * Returns the mean loss.
   */
  async trainStep(microBatches: Array<Record<string, HostTensor>>): Promise<StepResult> {
    const t0 = performance.now();
    const tm: StepTimings = { ort: 0, feeds: 0, copies: 0, accumulate: 0, clip: 0, optimizer: 0, total: 0 };
    let t = performance.now();
    let acc: Float32Array[] | null = null;
    if (microBatches.length > 1) {
      acc = this.accBufs ??= this.trainable.map((p) => new Float32Array(this.store.get(p.name)!.data.length));
      for (const a of acc) a.fill(0);
    }
    tm.accumulate += (performance.now() - t) / 1000;
    let loss = 0;
    const extras: Float32Array[][] = [];
    for (const mb of microBatches) {
      const r = await this.micro(mb, 1 / microBatches.length, tm, acc);
      loss += r.loss / microBatches.length;
      extras.push(r.extras);
    }
    t = performance.now();
    const grads = acc ?? this.gradBufs;
    const gradNorm = clipGlobalNorm(grads, this.options.clipNorm ?? 0);
    tm.clip = (performance.now() - t) / 1000;
    t = performance.now();
    const lr = learningRate(this.options.schedule, this.step);
    this.options.optimizer.step(
      this.trainable.map((p) => p.name),
      this.trainable.map((p) => this.store.get(p.name)!.data as Float32Array),
      grads,
      lr,
    );
    tm.optimizer = (performance.now() - t) / 1000;
    this.step++;
    tm.total = (performance.now() - t0) / 1000;
    return { loss, lr, gradNorm, extras, timings: tm };
  }
}
