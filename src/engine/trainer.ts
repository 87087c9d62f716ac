// One training step = one ONNX Runtime run that computes the loss and every gradient (written
// into preallocated buffers), then gradient accumulation, clipping and the optimizer update in JS.
import { GraphError, Tensor } from './graph.js';
import { grad } from './grad.js';
import { HostTensor, ParamStore, Program } from './session.js';
import { Optimizer, Schedule, clipGlobalNorm, learningRate } from './optim.js';

export interface TrainerOptions {
  optimizer: Optimizer;
  schedule: Schedule;
  /** Global-norm clipping threshold; 0 or undefined = no clipping. */
  clipNorm?: number;
  /** Extra outputs to fetch with the loss (e.g. logits for accuracy). */
  extraOutputs?: Tensor[];
}

export interface StepResult {
  loss: number;
  lr: number;
  gradNorm: number;
  extras: Float32Array[][];
}

export class Trainer {
  readonly program: Program;
  readonly trainable: Tensor[];
  private gradBufs: Float32Array[];
  private accBufs: Float32Array[];
  private into: Map<Tensor, Float32Array>;
  private gradTensors: Tensor[];
  /** Optimizer steps taken (for the schedule and checkpoints). */
  step = 0;

  constructor(readonly loss: Tensor, trainable: Tensor[], readonly store: ParamStore, readonly options: TrainerOptions) {
    if (trainable.length === 0) throw new GraphError('Trainer: nothing to train');
    this.trainable = trainable;
    const grads = grad(loss, trainable);
    this.gradTensors = trainable.map((p) => grads.get(p)!);
    const outputs = [loss, ...(options.extraOutputs ?? []), ...this.gradTensors];
    this.program = new Program(outputs, { fresh: loss.graph.nodes.some((n) => n.op === 'Dropout') });
    this.gradBufs = trainable.map((p) => new Float32Array(store.get(p.name)!.data.length));
    this.accBufs = trainable.map((p) => new Float32Array(store.get(p.name)!.data.length));
    this.into = new Map(this.gradTensors.map((g, i) => [g, this.gradBufs[i]!]));
  }

  /** Forward + backward on one micro-batch; returns the loss and extra outputs, adds grads to the accumulator. */
  private async micro(inputs: Record<string, HostTensor>, scale: number): Promise<{ loss: number; extras: Float32Array[] }> {
    const out = await this.program.run(inputs, this.store, this.into);
    const nExtra = this.options.extraOutputs?.length ?? 0;
    for (let k = 0; k < this.gradBufs.length; k++) {
      const g = this.gradBufs[k]!, a = this.accBufs[k]!;
      for (let i = 0; i < g.length; i++) a[i] = a[i]! + g[i]! * scale;
    }
    const loss = Number(out[0]!.data[0]);
    if (!Number.isFinite(loss)) throw new GraphError(`training diverged: loss is ${loss} at step ${this.step}`);
    return { loss, extras: out.slice(1, 1 + nExtra).map((t) => t.data as Float32Array) };
  }

  /**
   * One optimizer step over `microBatches` (gradient accumulation: their gradients are averaged).
   * Returns the mean loss.
   */
  async trainStep(microBatches: Array<Record<string, HostTensor>>): Promise<StepResult> {
    for (const a of this.accBufs) a.fill(0);
    let loss = 0;
    const extras: Float32Array[][] = [];
    for (const mb of microBatches) {
      const r = await this.micro(mb, 1 / microBatches.length);
      loss += r.loss / microBatches.length;
      extras.push(r.extras);
    }
    const gradNorm = clipGlobalNorm(this.accBufs, this.options.clipNorm ?? 0);
    const lr = learningRate(this.options.schedule, this.step);
    this.options.optimizer.step(
      this.trainable.map((p) => p.name),
      this.trainable.map((p) => this.store.get(p.name)!.data as Float32Array),
      this.accBufs,
      lr,
    );
    this.step++;
    return { loss, lr, gradNorm, extras };
  }
}
