// Fine-tuning: full, LoRA or head-only, for classification (text or text pair -> label) and
// generation (prompt -> completion, loss on the completion only).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { AdamW, ParamStore, Tensor, Trainer, mulberry32, subSeed } from '../engine/index.js';
import { Example, examplesOf, LoadOptions, Task } from '../data/dataset.js';
import type { LoraSpec } from '../models/layers.js';
import { TransformerModel } from '../models/model.js';
import { readSafetensors, serializeSafetensors } from '../formats/safetensors.js';
import { writeCheckpoint } from '../formats/checkpoint.js';
import { resolveModel } from '../models/resolve.js';
import { Progress } from '../util/progress.js';
import { FineTunedClassifier, FineTunedGenerator } from './adapted.js';
import { bucketBatches, encodeRows } from './batches.js';
import { finetuneMethod, type FinetuneMethod, type Method } from './methods/index.js';
import type { MethodRun, MethodTraining } from './methods/method.js';

export interface FinetuneOptions {
  /** A model folder, an embedded model name, or a loaded model (its parameters are not modified). */
  model: string | TransformerModel;
  train: string | Example[];
  dev?: string | Example[];
  task?: 'classify' | 'generate';
  method?: Method;
  labels?: string[];
  /** Field names for file inputs (JSONL or CSV). */
  fields?: Pick<LoadOptions, 'textField' | 'textPairField' | 'labelField' | 'promptField' | 'completionField'>;
  out?: string;
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  lr?: number;
  warmupRatio?: number;
  weightDecay?: number;
  clipNorm?: number;
  lora?: Partial<LoraSpec>;
  pooling?: 'cls' | 'mean';
  maxLength?: number;
  /** Early stopping: evaluations on dev without improvement before stopping (0 = never). */
  patience?: number;
  /** Dropout as the model's config sets it (default true); false makes runs and resumes bit-exact. */
  dropout?: boolean;
  seed?: number;
  quiet?: boolean;
  checkpointEvery?: number;
  resume?: boolean;
  /** Stop after this many steps of this process (tests simulate a crash with it). */
  stopAfter?: number;
  onWarning?: (msg: string) => void;
}

export interface FinetuneResult {
  /** The adapted model (LoRA adapters merged into the weights). */
  model: FineTunedClassifier | FineTunedGenerator;
  /** The trained weights as trained (LoRA: base + separate adapter parameters). */
  trained: TransformerModel;
  lora?: LoraSpec;
  labels: string[];
  steps: number;
  epochs: number;
  trainSeconds: number;
  examplesPerSecond: number;
  /** Training FLOPs, estimated as 6 x trained-through parameters x tokens (2x for frozen-body methods' forward). */
  trainFlops: number;
  bestDev?: number;
  truncated: number;
  lossCurve: number[];
  out?: string;
}

/** Fine-tune a model: read the data, set up the method, train (resuming when asked), save. */
export async function finetune(opts: FinetuneOptions): Promise<FinetuneResult> {
  const say = opts.onWarning ?? ((m: string) => { if (!opts.quiet) process.stderr.write(`warning: ${m}\n`); });
  const task = opts.task ?? 'classify';
  const model = await privateCopy(opts.model, task);
  const data = readData(opts, task);
  const method = finetuneMethod(opts.method ?? 'full', { task, family: model.family, lora: opts.lora });
  const run = encodeRun(opts, model, task, data, say);
  const plan = planSteps(opts, run, method);
  const training = await method.prepare(run);
  const loop = await trainLoop(opts, method, run, plan, training);
  return finish(opts, method, run, plan, training, loop);
}

/** The run's own copy of the model: the caller's (e.g. shared across compare cells) stays untouched. */
async function privateCopy(src: string | TransformerModel, task: Task): Promise<TransformerModel> {
  const base = typeof src === 'string' ? await TransformerModel.load(resolveModel(src)) : src;
  const model = new TransformerModel(base.config, cloneStore(base.params), base.tokenizer, base.sourceDir);
  model.tokenizerDir = base.tokenizerDir;
  if (!model.tokenizer) throw new Error(`${model.sourceDir ?? 'model'}: no tokenizer.json to fine-tune with`);
  if (task === 'generate' && model.family === 'bert') throw new Error('generate needs a decoder model (llama or gpt2 family), not an encoder');
  return model;
}

function cloneStore(src: ParamStore): ParamStore {
  const s = new ParamStore();
  for (const n of src.names()) {
    const v = src.get(n)!;
    s.set(n, v.shape, Float32Array.from(v.data as Float32Array));
  }
  return s;
}

interface RunData {
  train: Example[];
  dev?: Example[];
  labels: string[];
}

/** Training (and dev) examples with the label set: as given, else the training set's. */
function readData(opts: FinetuneOptions, task: Task): RunData {
  const train = examplesOf(opts.train, opts.labels, { task, ...opts.fields });
  const labels = task === 'classify' ? (opts.labels ?? train.labels) : [];
  const dev = opts.dev ? examplesOf(opts.dev, task === 'classify' ? labels : undefined, { task, ...opts.fields }).examples : undefined;
  if (train.examples.length === 0) throw new Error('no training examples');
  return { train: train.examples, dev, labels };
}

/** The run as methods see it: examples tokenized once (truncations counted and reported), resolved options. */
function encodeRun(opts: FinetuneOptions, model: TransformerModel, task: Task, data: RunData, say: (m: string) => void): MethodRun & { truncated: number } {
  const maxLength = Math.min(opts.maxLength ?? 128, model.config.maxPositions);
  const tok = model.tokenizer!;
  const train = encodeRows(tok, data.train, task, data.labels, maxLength);
  if (train.truncated) say(`${train.truncated} training inputs were longer than ${maxLength} tokens and were truncated`);
  return {
    model, task, labels: data.labels, maxLength, seed: opts.seed ?? 0, dropout: opts.dropout !== false, batchSize: opts.batchSize ?? 16,
    pooling: opts.pooling ?? (model.family === 'bert' ? 'cls' : undefined),
    train: { examples: data.train, rows: train.rows },
    // Generation scores dev by its completion loss, so its rows are tokenized too.
    dev: data.dev && { examples: data.dev, rows: task === 'generate' ? encodeRows(tok, data.dev, task, data.labels, maxLength).rows : [] },
    truncated: train.truncated,
  };
}

interface StepPlan {
  stepsPerEpoch: number;
  totalSteps: number;
  lr: number;
}

function planSteps(opts: FinetuneOptions, run: MethodRun, method: FinetuneMethod): StepPlan {
  const stepsPerEpoch = Math.ceil(run.train.rows.length / run.batchSize);
  return { stepsPerEpoch, totalSteps: opts.maxSteps ?? stepsPerEpoch * (opts.epochs ?? 3), lr: opts.lr ?? method.defaultLr };
}

/** Where the training loop stands; all of it goes into a checkpoint. */
interface LoopState {
  step: number;
  bestDev: number;
  badEvals: number;
  lossCurve: number[];
  /** The best weights on dev so far (of the trainable parameters). */
  best?: Map<string, Float32Array>;
  tokensSeen: number;
  examplesSeen: number;
  trainSeconds: number;
}

/**
 * The training loop: seeded length-bucketed batches (a function of seed and epoch), one optimizer
 * step a batch, dev evaluation every epoch with best-weights tracking and early stopping, resumable
 * checkpoints. Ends with the best weights in the model.
 */
async function trainLoop(opts: FinetuneOptions, method: FinetuneMethod, run: MethodRun, plan: StepPlan, training: MethodTraining): Promise<LoopState> {
  const { model } = run;
  const { trainable } = training;
  const optimizer = new AdamW({ weightDecay: opts.weightDecay ?? 0.01 });
  const trainer = new Trainer(training.loss, trainable, model.params, {
    optimizer, clipNorm: opts.clipNorm ?? 1,
    schedule: { kind: 'linear', peakLr: plan.lr, warmupSteps: Math.round(plan.totalSteps * (opts.warmupRatio ?? 0.06)), totalSteps: plan.totalSteps },
  });
  const state: LoopState = { step: 0, bestDev: -Infinity, badEvals: 0, lossCurve: [], tokensSeen: 0, examplesSeen: 0, trainSeconds: 0 };
  const work = opts.out ? path.resolve(opts.out) + '.work' : undefined;
  if (opts.resume && work && existsSync(path.join(work, 'state.json'))) {
    await restoreCheckpoint(work, state, trainable, model.params, optimizer);
    trainer.step = state.step;
  }
  const checkpoint = async () => { if (work) await saveCheckpoint(work, state, trainable, model.params, optimizer); };
  const snapshot = () => new Map(trainable.map((p) => [p.name, Float32Array.from(model.params.get(p.name)!.data as Float32Array)]));

  const progress = new Progress({ total: plan.totalSteps, label: `finetune ${method.name}`, unit: 'ex/s', quiet: opts.quiet });
  progress.start(state.step);
  const t0 = Date.now();
  let ranHere = 0, stopped = false, lastDev: number | undefined;
  while (state.step < plan.totalSteps && !stopped) {
    const epoch = Math.floor(state.step / plan.stepsPerEpoch);
    const batches = bucketBatches(run.train.rows.map((e) => e.ids.length), run.batchSize, mulberry32(subSeed(run.seed, `epoch${epoch}`)));
    const batch = batches[state.step % plan.stepsPerEpoch]!;
    const res = await trainer.trainStep([training.feeds(batch)]);
    state.step++;
    ranHere++;
    state.examplesSeen += batch.length;
    state.tokensSeen += batch.reduce((a, i) => a + run.train.rows[i]!.ids.length, 0);
    state.lossCurve.push(Number(res.loss.toFixed(5)));
    if (run.dev && (state.step % plan.stepsPerEpoch === 0 || state.step === plan.totalSteps)) {
      lastDev = await training.devScore();
      if (lastDev > state.bestDev) {
        state.bestDev = lastDev;
        state.badEvals = 0;
        state.best = snapshot();
      } else if (opts.patience && ++state.badEvals >= opts.patience) stopped = true;
    }
    progress.update(state.step, { epoch: epoch + 1, loss: res.loss, dev: lastDev }, batch.length);
    if (opts.checkpointEvery && state.step % opts.checkpointEvery === 0) await checkpoint();
    if (opts.stopAfter && ranHere >= opts.stopAfter) {
      await checkpoint();
      progress.stop();
      throw new Error(`stopped after ${ranHere} steps (stopAfter)`);
    }
  }
  progress.stop();
  state.trainSeconds = (Date.now() - t0) / 1000;
  if (state.best) for (const [name, data] of state.best) model.params.set(name, model.params.get(name)!.shape, data);
  return state;
}

async function restoreCheckpoint(work: string, state: LoopState, trainable: Tensor[], params: ParamStore, optimizer: AdamW): Promise<void> {
  const st = JSON.parse(readFileSync(path.join(work, 'state.json'), 'utf8'));
  const saved = await readSafetensors(path.join(work, 'state.safetensors'));
  for (const p of trainable) params.set(p.name, p.shape as number[], Float32Array.from(saved.get(`p.${p.name}`)!.data));
  optimizer.load({ step: st.step, slots: Object.fromEntries(trainable.map((p) => [p.name, [saved.get(`m.${p.name}`)!.data, saved.get(`v.${p.name}`)!.data]])) });
  if (saved.has(`best.${trainable[0]!.name}`)) state.best = new Map(trainable.map((p) => [p.name, Float32Array.from(saved.get(`best.${p.name}`)!.data)]));
  state.step = st.step;
  state.bestDev = st.bestDev;
  state.badEvals = st.badEvals;
  state.lossCurve.push(...st.lossCurve);
}

async function saveCheckpoint(work: string, state: LoopState, trainable: Tensor[], params: ParamStore, optimizer: AdamW): Promise<void> {
  const st = optimizer.state();
  const t: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const p of trainable) {
    const shape = p.shape as number[];
    t[`p.${p.name}`] = { shape, data: params.get(p.name)!.data as Float32Array };
    const [m, v] = st.slots[p.name] ?? [new Float32Array(0), new Float32Array(0)];
    t[`m.${p.name}`] = { shape: m!.length ? shape : [0], data: m! };
    t[`v.${p.name}`] = { shape: v!.length ? shape : [0], data: v! };
    if (state.best) t[`best.${p.name}`] = { shape, data: state.best.get(p.name)! };
  }
  mkdirSync(path.dirname(work), { recursive: true });
  const { step, bestDev, badEvals, lossCurve } = state;
  await writeCheckpoint(work, { config: { tuneshot_finetune_checkpoint: true }, tensors: {}, extraFiles: {
    'state.json': JSON.stringify({ step, bestDev, badEvals, lossCurve }), 'state.safetensors': serializeSafetensors(t),
  } });
}

/** The result: the served model behind predict, the figures of the run, and the output folder when asked. */
async function finish(opts: FinetuneOptions, method: FinetuneMethod, run: MethodRun & { truncated: number }, plan: StepPlan, training: MethodTraining, loop: LoopState): Promise<FinetuneResult> {
  const { model, task, labels, pooling, maxLength } = run;
  const served = method.served(model);
  const result: FinetuneResult = {
    model: task === 'classify' ? new FineTunedClassifier(served, labels, { method: method.name, pooling, maxLength }) : new FineTunedGenerator(served, { maxLength }),
    trained: model, lora: method.adapters, labels, steps: loop.step, epochs: loop.step / plan.stepsPerEpoch, trainSeconds: loop.trainSeconds,
    examplesPerSecond: loop.examplesSeen / Math.max(loop.trainSeconds, 1e-9), trainFlops: training.flops(loop.tokensSeen),
    bestDev: run.dev ? loop.bestDev : undefined, truncated: run.truncated, lossCurve: loop.lossCurve,
  };
  if (opts.out) {
    await method.save(opts.out, { trained: model, served, task, labels, pooling, maxLength, baseName: typeof opts.model === 'string' ? opts.model : model.sourceDir });
    result.out = path.resolve(opts.out);
    rmSync(path.resolve(opts.out) + '.work', { recursive: true, force: true });
  }
  return result;
}

export { mergeLora } from './methods/lora.js';
