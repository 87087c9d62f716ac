// Fine-tuning: full, LoRA or head-only, for classification (text or text pair -> label) and
// generation (prompt -> completion, loss on the completion only).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { AdamW, Graph, HostTensor, ParamStore, Program, Tensor, Trainer, mulberry32, ops as o, subSeed } from '../engine/index.js';
import { Example, loadExamples, LoadOptions } from '../data/dataset.js';
import { readSafetensors, serializeSafetensors } from '../formats/safetensors.js';
import { writeCheckpoint } from '../formats/checkpoint.js';
import { Builder, LoraSpec } from '../models/layers.js';
import { TransformerModel, isHeadParam, isLoraParam } from '../models/model.js';
import { bertClassifierHead, decoderClassifierHead } from '../models/families.js';
import { decoderFeeds, encoderFeeds, forwardTexts } from '../models/inference.js';
import { resolveModel } from '../models/resolve.js';
import { FineTunedClassifier, FineTunedGenerator } from './adapted.js';
import { Progress } from './progress.js';
import { checkLoraTargets, validateFinetuneOptions } from '../options/validate.js';
import { prepareOutputFolder, writeOutputFolder, type OutputOptions } from '../io/output.js';

export type Method = 'full' | 'lora' | 'head';

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

interface Encoded {
  ids: number[];
  types: number[];
  label: number;
  /** generate: number of prompt tokens (no loss on them). */
  promptLen?: number;
}

const DEFAULT_LR: Record<Method, number> = { full: 1e-4, lora: 1e-3, head: 3e-3 };

function examplesOf(src: string | Example[], task: 'classify' | 'generate', opts: FinetuneOptions, labels?: string[]) {
  if (typeof src !== 'string') return { examples: src, labels: labels ?? [...new Set(src.map((e) => e.label!))].sort() };
  return loadExamples(src, { task, labels, ...(opts.fields ?? {}) });
}

/** Length bucketing: sort by length within windows of 50 batches, cut batches, shuffle the batches. */
function bucketBatches(lengths: number[], batchSize: number, rand: () => number): number[][] {
  const idx = lengths.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [idx[i], idx[j]] = [idx[j]!, idx[i]!]; }
  const win = batchSize * 50, batches: number[][] = [];
  for (let w = 0; w < idx.length; w += win) {
    const chunk = idx.slice(w, w + win).sort((a, b) => lengths[a]! - lengths[b]!);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
  }
  for (let i = batches.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [batches[i], batches[j]] = [batches[j]!, batches[i]!]; }
  return batches;
}

function pad(rows: number[][], value: number): number[][] {
  const T = Math.max(...rows.map((r) => r.length));
  return rows.map((r) => [...r, ...new Array(T - r.length).fill(value)]);
}

function softmaxRows(logits: Float32Array[], labels: readonly string[]) {
  return logits.map((l) => {
    const max = Math.max(...l);
    const e = Array.from(l, (v) => Math.exp(v - max));
    const z = e.reduce((a, b) => a + b, 0);
    const probs = Object.fromEntries(labels.map((lab, i) => [lab, e[i]! / z]));
    let best = 0;
    for (let i = 1; i < e.length; i++) if (e[i]! > e[best]!) best = i;
    return { label: labels[best]!, probs };
  });
}

export async function finetune(opts: FinetuneOptions): Promise<FinetuneResult> {
  validateFinetuneOptions(opts);
  const output: OutputOptions = { kind: 'finetune', overwrite: opts.overwrite, inputs: [opts.train, opts.dev, typeof opts.model === 'string' ? resolveModel(opts.model) : opts.model.sourceDir].map((p) => (typeof p === 'string' ? p : undefined)) };
  if (opts.out) prepareOutputFolder(opts.out, output);
  const task = opts.task ?? 'classify';
  const method = opts.method ?? 'full';
  const seed = opts.seed ?? 0;
  const warn = opts.onWarning ?? ((m: string) => { if (!opts.quiet) process.stderr.write(`warning: ${m}\n`); });
  // Always a private copy of the weights: the caller's model (e.g. shared across compare cells) stays untouched.
  const base = typeof opts.model === 'string' ? await TransformerModel.load(resolveModel(opts.model)) : opts.model;
  const model = new TransformerModel(base.config, cloneStore(base.params), base.tokenizer, base.sourceDir);
  model.tokenizerDir = base.tokenizerDir;
  const tok = model.tokenizer;
  if (!tok) throw new Error(`${model.sourceDir ?? 'model'}: no tokenizer.json to fine-tune with`);
  if (task === 'generate' && model.family === 'bert') throw new Error('generate needs a decoder model (llama or gpt2 family), not an encoder');

  const train = examplesOf(opts.train, task, opts, opts.labels);
  const labels = task === 'classify' ? (opts.labels ?? train.labels) : [];
  const dev = opts.dev ? examplesOf(opts.dev, task, opts, task === 'classify' ? labels : undefined).examples : undefined;
  if (train.examples.length === 0) throw new Error('no training examples');
  const maxLength = Math.min(opts.maxLength ?? 128, model.config.maxPositions);
  const pooling = opts.pooling ?? (model.family === 'bert' ? 'cls' : undefined);
  const loraSpec: LoraSpec | undefined = method === 'lora' ? {
    r: 8, alpha: 16, dropout: 0.05,
    targetModules: model.family === 'bert' ? ['query', 'value'] : model.family === 'llama' ? ['q_proj', 'v_proj'] : ['c_attn'],
    ...opts.lora,
  } : undefined;
  if (loraSpec && model.family === 'gpt2') throw new Error('LoRA on GPT-2 (Conv1D layers) is not supported yet; use llama-family decoders or method full/head');

  // Tokenize once; count truncations.
  let truncated = 0;
  const encode = (ex: Example): Encoded => {
    if (task === 'classify') {
      const e = tok.encodeBatch([ex.text], { pairs: [ex.textPair], maxLength, truncation: true });
      truncated += e.truncatedCount;
      return { ids: e.inputIds[0]!, types: e.tokenTypeIds[0]!, label: labels.indexOf(ex.label!) };
    }
    const p = tok.encode(ex.prompt ?? ex.text, null, { addSpecialTokens: true });
    const c = [...tok.encode(ex.completion ?? '', null, { addSpecialTokens: false }), ...(tok.eosId !== undefined ? [tok.eosId] : [])];
    let ids = [...p, ...c];
    if (ids.length > maxLength) { truncated++; ids = ids.slice(0, maxLength); }
    return { ids, types: ids.map(() => 0), label: -1, promptLen: Math.min(p.length, ids.length - 1) };
  };
  const trainEnc = train.examples.map(encode);
  if (truncated) warn(`${truncated} training inputs were longer than ${maxLength} tokens and were truncated`);

  const numLabels = labels.length;
  const headOpts = task === 'classify' ? { head: 'cls' as const, numLabels, pooling } : { head: 'clm' as const };
  model.ensureParams({ ...headOpts, lora: loraSpec }, seed);
  if (loraSpec) checkLoraTargets(loraSpec.targetModules, model.params.names());

  const batchSize = opts.batchSize ?? 16;
  const epochs = opts.epochs ?? 3;
  const stepsPerEpoch = Math.ceil(trainEnc.length / batchSize);
  const totalSteps = opts.maxSteps ?? stepsPerEpoch * epochs;
  const lr = opts.lr ?? DEFAULT_LR[method];

  // Head-only: the frozen body's features are computed once; the head trains on them alone.
  let headFeatures: { train: Float32Array[]; dev?: Float32Array[] } | undefined;
  let built: { graph: Graph; loss: Tensor; feedsFor: (batch: number[], enc: Encoded[], feats?: Float32Array[]) => Record<string, HostTensor> };
  if (method === 'head') {
    if (task !== 'classify') throw new Error('head-only fine-tuning is for classification; use full or lora for generate');
    const feats = (exs: Example[]) => featuresOf(model, exs, pooling, maxLength);
    headFeatures = { train: await feats(train.examples), dev: dev ? await feats(dev) : undefined };
    built = headGraph(model, numLabels, opts.dropout !== false);
  } else {
    const b = model.build({ ...headOpts, training: true, lora: loraSpec, dropoutSeed: seed, noDropout: opts.dropout === false });
    built = {
      graph: b.graph, loss: b.loss!,
      feedsFor: (batch, enc) => {
        const rows = batch.map((i) => enc[i]!);
        const padId = tok.padId ?? tok.eosId ?? 0;
        const ids = pad(rows.map((r) => r.ids), padId), mask = pad(rows.map((r) => r.ids.map(() => 1)), 0), types = pad(rows.map((r) => r.types), 0);
        const feeds = model.family === 'bert' ? encoderFeeds(model, { inputIds: ids, attentionMask: mask, tokenTypeIds: types }) : decoderFeeds({ inputIds: ids, attentionMask: mask });
        if (task === 'classify') feeds['labels'] = { data: BigInt64Array.from(rows.map((r) => BigInt(r.label))), shape: [rows.length] };
        else {
          const T = ids[0]!.length;
          const lab = rows.flatMap((r) => Array.from({ length: T }, (_, t) => (t >= r.promptLen! - 1 && t + 1 < r.ids.length ? r.ids[t + 1]! : -100)));
          feeds['labels'] = { data: BigInt64Array.from(lab, BigInt), shape: [lab.length] };
        }
        return feeds;
      },
    };
  }
  // full: everything; head: the head graph holds only head parameters; lora: adapters plus the task
  // head (never a language-model head, which stays frozen like the body).
  const trainable = built.graph.params.filter((p) => method !== 'lora' || isLoraParam(p.name) || (isHeadParam(p.name) && !/^(lm_head|cls)\./.test(p.name)));
  const optimizer = new AdamW({ weightDecay: opts.weightDecay ?? 0.01 });
  const trainer = new Trainer(built.loss, trainable, model.params, {
    optimizer, clipNorm: opts.clipNorm ?? 1,
    schedule: { kind: 'linear', peakLr: lr, warmupSteps: Math.round(totalSteps * (opts.warmupRatio ?? 0.06)), totalSteps },
  });

  // Checkpoints for resume live beside the output folder.
  const work = opts.out ? path.resolve(opts.out) + '.work' : undefined;
  let step = 0, bestDev = -Infinity, badEvals = 0;
  const lossCurve: number[] = [];
  let best: Map<string, Float32Array> | undefined;
  if (opts.resume && work && existsSync(path.join(work, 'state.json'))) {
    const st = JSON.parse(readFileSync(path.join(work, 'state.json'), 'utf8'));
    const saved = await readSafetensors(path.join(work, 'state.safetensors'));
    for (const p of trainable) model.params.set(p.name, p.shape as number[], Float32Array.from(saved.get(`p.${p.name}`)!.data));
    optimizer.load({ step: st.step, slots: Object.fromEntries(trainable.map((p) => [p.name, [saved.get(`m.${p.name}`)!.data, saved.get(`v.${p.name}`)!.data]])) });
    if (saved.has(`best.${trainable[0]!.name}`)) best = new Map(trainable.map((p) => [p.name, Float32Array.from(saved.get(`best.${p.name}`)!.data)]));
    ({ step, bestDev, badEvals } = st);
    lossCurve.push(...st.lossCurve);
    trainer.step = step;
  }
  const checkpoint = async () => {
    if (!work) return;
    const st = optimizer.state();
    const t: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const p of trainable) {
      const shape = p.shape as number[];
      t[`p.${p.name}`] = { shape, data: model.params.get(p.name)!.data as Float32Array };
      const [m, v] = st.slots[p.name] ?? [new Float32Array(0), new Float32Array(0)];
      t[`m.${p.name}`] = { shape: m!.length ? shape : [0], data: m! };
      t[`v.${p.name}`] = { shape: v!.length ? shape : [0], data: v! };
      if (best) t[`best.${p.name}`] = { shape, data: best.get(p.name)! };
    }
    mkdirSync(path.dirname(work), { recursive: true });
    await writeCheckpoint(work, { config: { tuneshot_finetune_checkpoint: true }, tensors: {}, extraFiles: {
      'state.json': JSON.stringify({ step, bestDev, badEvals, lossCurve }), 'state.safetensors': serializeSafetensors(t),
    } });
  };

  const devScore = async (): Promise<number> => {
    if (!dev) return NaN;
    if (task === 'classify') {
      const logits = headFeatures ? await headLogits(model, numLabels, headFeatures.dev!) : await forwardTexts(model, dev.map((e) => e.text), { head: 'cls', numLabels, pooling, pairs: dev.map((e) => e.textPair), maxLength });
      const preds = softmaxRows(logits, labels);
      return preds.filter((p, i) => p.label === dev[i]!.label).length / dev.length;
    }
    // generate: negative mean loss on dev (higher is better).
    const enc = dev.map(encode);
    const ev = model.build({ head: 'clm', training: true, noDropout: true });
    const prog = new Program([ev.loss!]);
    let sum = 0;
    for (let i = 0; i < enc.length; i += batchSize) {
      const batch = Array.from({ length: Math.min(batchSize, enc.length - i) }, (_, k) => i + k);
      sum += Number((await prog.run(built.feedsFor(batch, enc), model.params))[0]!.data[0]) * batch.length;
    }
    return -sum / enc.length;
  };

  const progress = new Progress({ total: totalSteps, label: `finetune ${method}`, unit: 'ex/s', quiet: opts.quiet });
  progress.start(step);
  const t0 = Date.now();
  let ranHere = 0, stopped = false, examplesSeen = 0, tokensSeen = 0;
  const evalEvery = stepsPerEpoch;
  let lastDev: number | undefined;
  while (step < totalSteps && !stopped) {
    const epoch = Math.floor(step / stepsPerEpoch);
    const batches = bucketBatches(trainEnc.map((e) => e.ids.length), batchSize, mulberry32(subSeed(seed, `epoch${epoch}`)));
    const batch = batches[step % stepsPerEpoch]!;
    const feeds = headFeatures ? headFeeds(batch, trainEnc, headFeatures.train) : built.feedsFor(batch, trainEnc);
    const res = await trainer.trainStep([feeds]);
    step++;
    ranHere++;
    examplesSeen += batch.length;
    tokensSeen += batch.reduce((a, i) => a + trainEnc[i]!.ids.length, 0);
    lossCurve.push(Number(res.loss.toFixed(5)));
    if (dev && (step % evalEvery === 0 || step === totalSteps)) {
      lastDev = await devScore();
      if (lastDev > bestDev) {
        bestDev = lastDev;
        badEvals = 0;
        best = new Map(trainable.map((p) => [p.name, Float32Array.from(model.params.get(p.name)!.data as Float32Array)]));
      } else if (opts.patience && ++badEvals >= opts.patience) stopped = true;
    }
    progress.update(step, { epoch: epoch + 1, loss: res.loss, dev: lastDev }, batch.length);
    if (opts.checkpointEvery && step % opts.checkpointEvery === 0) await checkpoint();
    if (opts.stopAfter && ranHere >= opts.stopAfter) {
      await checkpoint();
      progress.stop();
      throw new Error(`stopped after ${ranHere} steps (stopAfter)`);
    }
  }
  progress.stop();
  const trainSeconds = (Date.now() - t0) / 1000;
  if (best) for (const [name, data] of best) model.params.set(name, model.params.get(name)!.shape, data);

  const trainFlops = method === 'head'
    ? 2 * model.numParams() * trainEnc.reduce((a, e) => a + e.ids.length, 0) // one forward pass for the cached features
    : (method === 'full' ? 6 : 4) * model.numParams() * tokensSeen; // LoRA skips the frozen weights' own gradients
  const served = loraSpec ? mergeLora(model, loraSpec) : model;
  const result: FinetuneResult = {
    model: task === 'classify' ? new FineTunedClassifier(served, labels, { method, pooling, maxLength }) : new FineTunedGenerator(served, { maxLength }),
    trained: model, lora: loraSpec, labels, steps: step, epochs: step / stepsPerEpoch, trainSeconds, examplesPerSecond: examplesSeen / Math.max(trainSeconds, 1e-9),
    trainFlops, bestDev: dev ? bestDev : undefined, truncated, lossCurve,
  };
  if (opts.out) {
    await writeOutputFolder(opts.out, output, (dir) => saveFinetuned(result, dir, method, typeof opts.model === 'string' ? opts.model : model.sourceDir));
    result.out = path.resolve(opts.out);
    if (work) rmSync(work, { recursive: true, force: true });
  }
  return result;
}

function cloneStore(src: ParamStore): ParamStore {
  const s = new ParamStore();
  for (const n of src.names()) {
    const v = src.get(n)!;
    s.set(n, v.shape, Float32Array.from(v.data as Float32Array));
  }
  return s;
}

/** Pooled body features per example: [CLS] / mean hidden state (encoders), last token (decoders). */
async function featuresOf(model: TransformerModel, exs: Example[], pooling: 'cls' | 'mean' | undefined, maxLength: number): Promise<Float32Array[]> {
  const tok = model.tokenizer!;
  const { program } = model.program({ head: 'base' });
  const H = model.config.hidden;
  const out: Float32Array[] = [];
  for (let i = 0; i < exs.length; i += 32) {
    const chunk = exs.slice(i, i + 32);
    const enc = tok.encodeBatch(chunk.map((e) => e.text), { pairs: chunk.map((e) => e.textPair), maxLength, truncation: true });
    const feeds = model.family === 'bert' ? encoderFeeds(model, enc) : decoderFeeds(enc);
    const h = (await program.run(feeds, model.params))[0]!.data as Float32Array;
    const T = enc.inputIds[0]!.length;
    enc.attentionMask.forEach((mask, b) => {
      const real = mask.reduce((a, m) => a + m, 0);
      if (model.family !== 'bert' || pooling === 'cls') {
        const t = model.family === 'bert' ? 0 : real - 1;
        out.push(h.slice((b * T + t) * H, (b * T + t + 1) * H));
        return;
      }
      const v = new Float32Array(H);
      for (let t = 0; t < T; t++) if (mask[t]) for (let j = 0; j < H; j++) v[j] = v[j]! + h[(b * T + t) * H + j]! / real;
      out.push(v);
    });
  }
  return out;
}

/** The classification head alone, fed pooled features as a length-1 sequence: same parameter names as the full model. */
function headGraph(model: TransformerModel, numLabels: number, dropout = false) {
  const g = new Graph();
  const b = new Builder(g, model.config, dropout, 0);
  const feats = g.input('features', 'float32', ['batch', 1, model.config.hidden]);
  let logits;
  if (model.family === 'bert') logits = bertClassifierHead(b, feats, numLabels, 'cls');
  else logits = decoderClassifierHead(b, feats, g.input('last_index', 'int64', ['batch']), numLabels);
  const labels = g.input('labels', 'int64', ['batch']);
  return { graph: g, logits, loss: o.crossEntropy(logits, labels), feedsFor: () => ({}) };
}

function headFeeds(batch: number[], enc: Encoded[], feats: Float32Array[]): Record<string, HostTensor> {
  const H = feats[0]!.length;
  const data = new Float32Array(batch.length * H);
  batch.forEach((i, k) => data.set(feats[i]!, k * H));
  return {
    features: { data, shape: [batch.length, 1, H] },
    last_index: { data: BigInt64Array.from(batch.map((_, k) => BigInt(k))), shape: [batch.length] },
    labels: { data: BigInt64Array.from(batch.map((i) => BigInt(enc[i]!.label))), shape: [batch.length] },
  };
}

async function headLogits(model: TransformerModel, numLabels: number, feats: Float32Array[]): Promise<Float32Array[]> {
  const hg = headGraph(model, numLabels);
  const prog = new Program([hg.logits]);
  const out: Float32Array[] = [];
  for (let i = 0; i < feats.length; i += 256) {
    const idx = Array.from({ length: Math.min(256, feats.length - i) }, (_, k) => i + k);
    const f = headFeeds(idx, feats.map(() => ({ ids: [], types: [], label: 0 })), feats); // labels unused at inference
    const l = (await prog.run(f, model.params))[0]!.data as Float32Array;
    for (let r = 0; r < idx.length; r++) out.push(l.slice(r * numLabels, (r + 1) * numLabels));
  }
  return out;
}

/** Save as a Hugging Face folder; LoRA additionally as a PEFT adapter (adapter_config.json + adapter_model.safetensors). */
async function saveFinetuned(r: FinetuneResult, out: string, method: Method, baseName?: string) {
  const m = r.model, model = r.trained, lora = r.lora;
  const arch = m instanceof FineTunedClassifier
    ? { bert: 'BertForSequenceClassification', llama: 'LlamaForSequenceClassification', gpt2: 'GPT2ForSequenceClassification' }[model.family]
    : { bert: 'BertForMaskedLM', llama: 'LlamaForCausalLM', gpt2: 'GPT2LMHeadModel' }[model.family];
  const labels = m instanceof FineTunedClassifier ? [...m.labels] : undefined;
  const extraConfig = { tuneshot: { method, pooling: m instanceof FineTunedClassifier ? m.options.pooling : undefined, max_length: m.options.maxLength } };
  if (method !== 'lora') {
    await model.save(out, { architecture: arch, labels, extraConfig, only: (n) => !isLoraParam(n) });
    return;
  }
  // LoRA: the adapter (what PEFT loads onto the base) plus the merged full checkpoint beside it, so
  // `predict` and `serve` load the folder like any other.
  const adapter: Record<string, { shape: number[]; data: Float32Array }> = {};
  const saveModules = new Set<string>();
  for (const n of model.params.names()) {
    const v = model.params.get(n)!;
    if (isLoraParam(n)) adapter[`base_model.model.${n}`] = { shape: v.shape, data: v.data as Float32Array };
    else if (isHeadParam(n) && !n.startsWith('cls.') && !n.startsWith('lm_head')) {
      const mod = n.replace(/\.(weight|bias)$/, '');
      saveModules.add(mod.split('.')[0] === 'bert' ? mod.split('.').slice(1, 2).join('.') : mod.split('.')[0]!);
      adapter[`base_model.model.${n}`] = { shape: v.shape, data: v.data as Float32Array };
    }
  }
  await m.model.save(out, {
    architecture: arch, labels, extraConfig,
  });
  const adapterConfig = {
    peft_type: 'LORA', task_type: m instanceof FineTunedClassifier ? 'SEQ_CLS' : 'CAUSAL_LM', r: lora!.r, lora_alpha: lora!.alpha, lora_dropout: lora!.dropout,
    target_modules: lora!.targetModules, modules_to_save: [...saveModules], base_model_name_or_path: baseName ?? null, bias: 'none', inference_mode: true, fan_in_fan_out: false,
  };
  const adapterDir = path.join(out, 'adapter');
  await writeCheckpoint(adapterDir, { config: {}, tensors: {}, extraFiles: { 'adapter_config.json': JSON.stringify(adapterConfig, null, 2), 'adapter_model.safetensors': serializeSafetensors(adapter) } });
}

/** Fold LoRA adapters into their base weights: W' = W + (alpha / r) B A. Returns a model without adapter parameters. */
export function mergeLora(model: TransformerModel, spec: LoraSpec): TransformerModel {
  const store = new ParamStore();
  const scale = spec.alpha / spec.r;
  for (const n of model.params.names()) {
    if (isLoraParam(n)) continue;
    const v = model.params.get(n)!;
    const data = Float32Array.from(v.data as Float32Array);
    const mod = n.replace(/\.weight$/, '');
    const A = model.params.get(`${mod}.lora_A.weight`), B = model.params.get(`${mod}.lora_B.weight`);
    if (n.endsWith('.weight') && A && B) {
      const [out, inn] = v.shape as [number, number];
      const a = A.data as Float32Array, b = B.data as Float32Array;
      for (let i = 0; i < out; i++) for (let k = 0; k < spec.r; k++) {
        const bik = b[i * spec.r + k]! * scale;
        if (bik === 0) continue;
        for (let j = 0; j < inn; j++) data[i * inn + j] = data[i * inn + j]! + bik * a[k * inn + j]!;
      }
    }
    store.set(n, v.shape, data);
  }
  const m = new TransformerModel(model.config, store, model.tokenizer, model.sourceDir);
  m.tokenizerDir = model.tokenizerDir;
  return m;
}

export { softmaxRows };
