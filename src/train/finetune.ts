// Fine-tuning: full, LoRA or head-only, for classification (text or text pair -> label) and
// generation (prompt -> completion, loss on the completion only).
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { AdamW, ParamStore, Trainer, mulberry32, subSeed } from '../engine/index.js';
import { Example, examplesOf, LoadOptions, Task } from '../data/dataset.js';
import type { LoraSpec } from '../models/layers.js';
import { TransformerModel } from '../models/model.js';
import { loadPretrained } from '../models/pretrained.js';
import { Progress } from '../util/progress.js';
import { FineTunedClassifier, FineTunedGenerator } from './adapted.js';
import { bucketBatches, encodeRows } from './batches.js';
import { checkpointDir, contentHash, openResume, restoreParams, saveResume, weightsHash, workDir, type ResumeState, type RunIdentity, type RunPosition } from './checkpoint.js';
import { finetuneMethod, type FinetuneMethod, type Method } from './methods/index.js';
import type { MethodRun, MethodTraining } from './methods/method.js';
import { checkLoraTargets, validateFinetuneOptions } from '../options/validate.js';
import { prepareOutputFolder, writeOutputFolder, type OutputOptions } from '../io/output.js';
import { preflight } from './estimate.js';

export interface FinetuneOptions {
  /** A model folder, an embedded model name, a Hub id (org/name@revision), or a loaded model (its parameters are not modified). */
  model: string | TransformerModel;
  train: string | Example[];
  dev?: string | Example[];
  task?: 'classify' | 'generate';
  method?: Method;
  labels?: string[];
  /** Field names for file inputs (JSONL or CSV). */
  fields?: Pick<LoadOptions, 'textField' | 'textPairField' | 'labelField' | 'promptField' | 'completionField'>;
  out?: string;
  /** Replace an earlier fine-tuned model in `out` (never anything tuneshot did not write). */
  overwrite?: boolean;
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
  /** Dropout as the model's config sets it (default true); false turns it off. Runs and resumes are bit-exact either way. */
  dropout?: boolean;
  seed?: number;
  quiet?: boolean;
  /** Steps between resume checkpoints (in <out>.work/checkpoint). */
  checkpointEvery?: number;
  /** Continue from the checkpoint of the same run (one with other settings or data is refused). */
  resume?: boolean;
  /** Stop after this many steps of this process (tests simulate a crash with it). */
  stopAfter?: number;
  /** Refuse the run when its estimated peak memory exceeds this many GB (default: the memory available; see train/estimate.ts). */
  maxMemory?: number;
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
  validateFinetuneOptions(opts);
  if (opts.out) prepareOutputFolder(opts.out, outputOf(opts));
  const say = opts.onWarning ?? ((m: string) => { if (!opts.quiet) process.stderr.write(`warning: ${m}\n`); });
  const task = opts.task ?? 'classify';
  const model = await privateCopy(opts.model, task, opts.quiet);
  const data = readData(opts, task);
  const method = finetuneMethod(opts.method ?? 'full', { task, family: model.family, lora: opts.lora });
  const run = encodeRun(opts, model, task, data, say);
  const plan = planSteps(opts, run, method);
  await preflight(method, run, { stepsPerEpoch: plan.stepsPerEpoch, maxMemoryGb: opts.maxMemory, quiet: opts.quiet, lora: opts.lora });
  const checkpoint = opts.out ? await openCheckpoint(opts, method, run, plan, say) : undefined;
  const training = await method.prepare(run);
  if (method.adapters) checkLoraTargets(method.adapters.targetModules, model.params.names());
  const loop = await trainLoop(opts, method, run, plan, training, checkpoint);
  return finish(opts, method, run, plan, training, loop);
}

/** What the output folder may be (src/io/output.ts): never holding the data or the base model. */
function outputOf(opts: FinetuneOptions): OutputOptions {
  const base = typeof opts.model === 'string' ? (existsSync(opts.model) ? opts.model : undefined) : opts.model.sourceDir; // a local folder; Hub and embedded models live elsewhere
  return { kind: 'finetune', overwrite: opts.overwrite, inputs: [opts.train, opts.dev, base].map((p) => (typeof p === 'string' ? p : undefined)) };
}

/** The run's own copy of the model: the caller's (e.g. shared across compare cells) stays untouched. */
async function privateCopy(src: string | TransformerModel, task: Task, quiet?: boolean): Promise<TransformerModel> {
  const base = typeof src === 'string' ? await loadPretrained(src, { quiet }) : src;
  const model = new TransformerModel(base.config, cloneStore(base.params), base.tokenizer, base.sourceDir);
  model.tokenizerDir = base.tokenizerDir;
  if (!model.tokenizer) throw new Error(`${model.sourceDir ?? 'model'}: no tokenizer.json to fine-tune with`);
  if (task === 'generate' && model.family.kind === 'encoder') throw new Error(`generate needs a decoder model (a causal language model), not the encoder ${model.config.modelType}`);
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
    pooling: opts.pooling ?? model.family.defaultPooling?.(model.config),
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

/** The run's resume checkpoint: where it lives, what the run is, and its state when resuming. */
interface RunCheckpoint {
  dir: string;
  identity: RunIdentity;
  resumed?: ResumeState;
}

/**
 * Open the checkpoint before the method touches the model (task head, adapters, features): the
 * identity hashes the weights as given, and a checkpoint of another run is refused before any work.
 */
async function openCheckpoint(opts: FinetuneOptions, method: FinetuneMethod, run: MethodRun, plan: StepPlan, say: (m: string) => void): Promise<RunCheckpoint> {
  const { model } = run;
  const identity: RunIdentity = {
    kind: 'finetune',
    model: weightsHash(model.config.raw, model.params), modelName: typeof opts.model === 'string' ? opts.model : (model.sourceDir ?? '(in memory)'),
    method: method.name, task: run.task, labels: run.labels,
    trainData: contentHash(run.train.examples), devData: run.dev ? contentHash(run.dev.examples) : null,
    lr: plan.lr, batchSize: run.batchSize, maxLength: run.maxLength, epochs: opts.epochs ?? 3, maxSteps: opts.maxSteps ?? null,
    warmupRatio: opts.warmupRatio ?? 0.06, weightDecay: opts.weightDecay ?? 0.01, clipNorm: opts.clipNorm ?? 1,
    pooling: run.pooling ?? null, patience: opts.patience ?? 0, dropout: run.dropout, seed: run.seed,
    ...method.settings,
  };
  const dir = checkpointDir(opts.out!);
  return { dir, identity, resumed: await openResume(dir, identity, { resume: opts.resume, say }) };
}

/** Where the training loop stands (all of it goes into a checkpoint), and what it found. */
interface LoopState {
  position: RunPosition;
  bestDev: number;
  badEvals: number;
  /** The best weights on dev so far (of the trainable parameters). */
  best?: Map<string, Float32Array>;
  examplesSeen: number;
  trainSeconds: number;
}

/**
 * The training loop: seeded length-bucketed batches (a function of seed and epoch), one optimizer
 * step a batch, dev evaluation every epoch with best-weights tracking and early stopping, resumable
 * checkpoints. Ends with the best weights in the model.
 */
async function trainLoop(opts: FinetuneOptions, method: FinetuneMethod, run: MethodRun, plan: StepPlan, training: MethodTraining, checkpoint?: RunCheckpoint): Promise<LoopState> {
  const { model } = run;
  const trained = training.trainable.map((p) => p.name);
  const resumed = checkpoint?.resumed;
  const state: LoopState = {
    position: resumed?.position ?? { step: 0, runs: 0, lossCurve: [], tokensSeen: 0, wallSeconds: 0, loop: {} },
    bestDev: resumed?.position.loop['bestDev'] ?? -Infinity, badEvals: resumed?.position.loop['badEvals'] ?? 0, best: resumed?.best,
    examplesSeen: 0, trainSeconds: 0,
  };
  const position = state.position;
  if (resumed) restoreParams(checkpoint!.dir, resumed, model.params, trained);
  const optimizer = new AdamW({ weightDecay: opts.weightDecay ?? 0.01 });
  if (resumed) optimizer.load(resumed.optimizer);
  const trainer = new Trainer(training.loss, training.trainable, model.params, {
    optimizer, clipNorm: opts.clipNorm ?? 1,
    schedule: { kind: 'linear', peakLr: plan.lr, warmupSteps: Math.round(plan.totalSteps * (opts.warmupRatio ?? 0.06)), totalSteps: plan.totalSteps },
    resumeAt: { step: position.step, runs: position.runs },
  });
  const save = async () => {
    if (!checkpoint) return;
    // -Infinity (no dev evaluation yet) has no JSON form: it is left out and read back as -Infinity.
    const loop = { badEvals: state.badEvals, ...(Number.isFinite(state.bestDev) ? { bestDev: state.bestDev } : {}) };
    await saveResume(checkpoint.dir, { identity: checkpoint.identity, position: { ...position, runs: trainer.runs, loop }, store: model.params, trained, config: model.config.raw, optimizer: optimizer.state(), best: state.best });
  };
  const snapshot = () => new Map(trained.map((n) => [n, Float32Array.from(model.params.get(n)!.data as Float32Array)]));

  const progress = new Progress({ total: plan.totalSteps, label: `finetune ${method.name}`, unit: 'ex/s', quiet: opts.quiet });
  progress.start(position.step);
  const t0 = Date.now(), wall0 = position.wallSeconds;
  let ranHere = 0, stopped = false, lastDev: number | undefined;
  while (position.step < plan.totalSteps && !stopped) {
    const epoch = Math.floor(position.step / plan.stepsPerEpoch);
    const batches = bucketBatches(run.train.rows.map((e) => e.ids.length), run.batchSize, mulberry32(subSeed(run.seed, `epoch${epoch}`)));
    const batch = batches[position.step % plan.stepsPerEpoch]!;
    const res = await trainer.trainStep([training.feeds(batch)]);
    position.step++;
    ranHere++;
    state.examplesSeen += batch.length;
    position.tokensSeen += batch.reduce((a, i) => a + run.train.rows[i]!.ids.length, 0);
    position.lossCurve.push(Number(res.loss.toFixed(5)));
    position.wallSeconds = wall0 + (Date.now() - t0) / 1000;
    if (run.dev && (position.step % plan.stepsPerEpoch === 0 || position.step === plan.totalSteps)) {
      lastDev = await training.devScore();
      if (lastDev > state.bestDev) {
        state.bestDev = lastDev;
        state.badEvals = 0;
        state.best = snapshot();
      } else if (opts.patience && ++state.badEvals >= opts.patience) stopped = true;
    }
    progress.update(position.step, { epoch: epoch + 1, loss: res.loss, dev: lastDev }, batch.length);
    if (opts.checkpointEvery && position.step % opts.checkpointEvery === 0) await save();
    if (opts.stopAfter && ranHere >= opts.stopAfter) {
      await save();
      progress.stop();
      throw new Error(`stopped after ${ranHere} steps (stopAfter)`);
    }
  }
  progress.stop();
  state.trainSeconds = (Date.now() - t0) / 1000;
  if (state.best) for (const [name, data] of state.best) model.params.set(name, model.params.get(name)!.shape, data);
  return state;
}

/** The result: the served model behind predict, the figures of the run, and the output folder when asked. */
async function finish(opts: FinetuneOptions, method: FinetuneMethod, run: MethodRun & { truncated: number }, plan: StepPlan, training: MethodTraining, loop: LoopState): Promise<FinetuneResult> {
  const { model, task, labels, pooling, maxLength } = run;
  const served = method.served(model);
  const result: FinetuneResult = {
    model: task === 'classify' ? new FineTunedClassifier(served, labels, { method: method.name, pooling, maxLength }) : new FineTunedGenerator(served, { maxLength }),
    trained: model, lora: method.adapters, labels, steps: loop.position.step, epochs: loop.position.step / plan.stepsPerEpoch, trainSeconds: loop.trainSeconds,
    examplesPerSecond: loop.examplesSeen / Math.max(loop.trainSeconds, 1e-9), trainFlops: training.flops(loop.position.tokensSeen),
    bestDev: run.dev ? loop.bestDev : undefined, truncated: run.truncated, lossCurve: loop.position.lossCurve,
  };
  if (opts.out) {
    await writeOutputFolder(opts.out, outputOf(opts), (dir) => method.save(dir, { trained: model, served, task, labels, pooling, maxLength, baseName: typeof opts.model === 'string' ? opts.model : model.sourceDir }));
    result.out = path.resolve(opts.out);
    rmSync(workDir(opts.out), { recursive: true, force: true });
  }
  return result;
}

export { mergeLora } from './methods/lora.js';
