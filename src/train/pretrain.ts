// Pre-training from scratch: a tokenizer trained on the corpus, packed sequences, masked-LM
// (encoders) or causal-LM (decoders) objective, atomic checkpoints and exact resume. `init`
// continues an existing model instead; objective "icl-episodes" meta-trains a causal LM on
// in-context classification episodes (src/data/episodes.ts) mixed with plain causal-LM text.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AdamW, HostTensor, Trainer, mulberry32, subSeed } from '../engine/index.js';
import { Tokenizer } from '../formats/tokenizer.js';
import { resolvePretrained } from '../models/pretrained.js';
import { writeFileAtomic, writeFileSynced } from '../io/atomic.js';
import { prepareOutputFolder, writeOutputFolder, type OutputOptions } from '../io/output.js';
import { validatePretrainOptions } from '../options/validate.js';
import { corpusFiles, readTextStream } from '../data/corpus.js';
import { randomInt, shuffle } from '../data/random.js';
import { EpisodeSampler, episodeTasks, type LabelledTask } from '../data/episodes.js';
import { trainTokenizer } from '../data/train-tokenizer.js';
import { NAMED_SIZES, parseConfig } from '../models/config.js';
import { TransformerModel } from '../models/model.js';
import { Progress } from '../util/progress.js';
import { checkpointDir, contentHash, filesHash, hasCheckpoint, openResume, refuseOverwrite, restoreParams, saveResume, weightsHash, workDir, type RunIdentity, type RunPosition } from './checkpoint.js';
import { familyOf } from '../models/families/index.js';

export type PretrainObjective = 'mlm' | 'clm' | 'icl-episodes';

export interface PretrainOptions {
  objective: PretrainObjective;
  /**
   * Continue from this model (a folder, embedded model or Hub id) with its tokenizer and architecture
   * instead of a fresh initialisation (e.g. 'tuneshot-base-lm' for icl-episodes).
   */
  init?: string;
  /** icl-episodes: the fraction of each batch's sequences that are plain causal-LM text of the corpus (default 0.25). */
  clmMix?: number;
  /** icl-episodes: loss on every demonstration's label and the query's ("all", default), or the query's only. */
  episodeLoss?: 'all' | 'query';
  /** icl-episodes: the labelled tasks (default: the built-in WordNet and Brown tasks; tests pass small ones). */
  episodeTasks?: LabelledTask[];
  /** Files, folders, or .jsonl files (with `textField`). */
  corpus: string[];
  textField?: string;
  out: string;
  /** Replace an earlier pre-trained model in `out` (never anything tuneshot did not write). */
  overwrite?: boolean;
  /**
   * Use this tokenizer (a folder, embedded model or Hub id) instead of training one. (The Hugging Face trainer breaks frequency
   * ties in hash-map order, so two trainings on the same text can differ; pass a tokenizer to make
   * separate runs comparable bit for bit. A resumed run always reuses its own.)
   */
  tokenizer?: string;
  /** A named size (bert-mini, llama-mini, ...) or a config.json path. */
  size?: string;
  configPath?: string;
  vocabSize?: number;
  seqLen?: number;
  batchSize?: number;
  accumulate?: number;
  steps: number;
  lr?: number;
  warmupSteps?: number;
  schedule?: 'linear' | 'cosine' | 'constant';
  weightDecay?: number;
  clipNorm?: number;
  maskProb?: number;
  wholeWordMask?: boolean;
  /** Every n-th document goes to the held-out slice. */
  heldOutEvery?: number;
  checkpointEvery?: number;
  resume?: boolean;
  seed?: number;
  /** Dropout as the architecture sets it (default false: pre-training runs few epochs over its corpus). Resumes stay bit-exact either way. */
  dropout?: boolean;
  quiet?: boolean;
  /** Where messages go (default: stderr unless quiet), e.g. that --resume found no checkpoint and starts fresh. */
  onWarning?: (msg: string) => void;
  /** Exact command line, recorded in the model card. */
  command?: string;
  /** Stop after this many steps of this process (for tests that simulate a crash). */
  stopAfter?: number;
}

export interface PretrainResult {
  out: string;
  steps: number;
  tokensSeen: number;
  wallSeconds: number;
  params: number;
  heldOut: { loss: number; accuracy?: number; perplexity?: number; tokens: number };
  losses: number[];
}

/** Tokenize the corpus once into packed int32 token streams (train + held-out), cached in `dir`. */
async function tokenStreams(tok: Tokenizer, o: Required<Pick<PretrainOptions, 'corpus' | 'heldOutEvery' | 'objective'>> & { textField?: string }, dir: string) {
  const trainPath = path.join(dir, 'train.i32'), heldPath = path.join(dir, 'heldout.i32');
  if (existsSync(trainPath) && existsSync(heldPath)) {
    const load = (p: string) => { const b = readFileSync(p); return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
    return { train: load(trainPath), held: load(heldPath) };
  }
  const sep = o.objective === 'mlm' ? tok.sepId : (tok.eosId ?? tok.sepId);
  if (sep === undefined) throw new Error('pretrain: the tokenizer has no [SEP]/EOS token to separate documents');
  const train: number[] = [], held: number[] = [];
  let i = 0;
  for await (const doc of readTextStream(o.corpus, { field: o.textField })) {
    const ids = tok.encode(doc, null, { addSpecialTokens: false });
    const dst = i++ % o.heldOutEvery === o.heldOutEvery - 1 ? held : train;
    for (const id of ids) dst.push(id);
    dst.push(sep);
  }
  if (train.length === 0) throw new Error(`pretrain: the corpus (${o.corpus.join(', ')}) has no text`);
  mkdirSync(dir, { recursive: true });
  await writeFileAtomic(trainPath, new Uint8Array(Int32Array.from(train).buffer));
  await writeFileAtomic(heldPath, new Uint8Array(Int32Array.from(held).buffer));
  return { train: Int32Array.from(train), held: Int32Array.from(held) };
}

/** Plain-text files for tokenizer training (jsonl corpora are extracted to a text file first). */
async function tokenizerTrainingFiles(corpus: string[], field: string | undefined, cacheDir: string): Promise<string[]> {
  const files = corpusFiles(corpus);
  if (files.every((f) => !f.endsWith('.jsonl'))) return files;
  const text: string[] = [];
  for await (const doc of readTextStream(corpus, { field })) text.push(doc);
  mkdirSync(cacheDir, { recursive: true });
  const p = path.join(cacheDir, 'tokenizer-corpus.txt');
  writeFileSync(p, text.join('\n\n'));
  return [p];
}

/** MLM masking (BERT): select `prob` of non-special tokens; 80% [MASK], 10% random, 10% kept. */
export function maskTokens(ids: Int32Array, opts: { prob: number; maskId: number; vocabSize: number; special: Set<number>; rand: () => number; wordStart?: (id: number) => boolean }): { input: Int32Array; positions: number[]; labels: number[] } {
  const input = Int32Array.from(ids);
  const positions: number[] = [], labels: number[] = [];
  let selectWord = false;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (opts.special.has(id)) { selectWord = false; continue; }
    // Whole-word masking: a continuation piece ("##ing") follows the decision of its word's first piece.
    const select: boolean = opts.wordStart && !opts.wordStart(id) && i > 0 ? selectWord : opts.rand() < opts.prob;
    selectWord = select;
    if (!select) continue;
    positions.push(i);
    labels.push(id);
    const r = opts.rand();
    if (r < 0.8) input[i] = opts.maskId;
    else if (r < 0.9) input[i] = Math.floor(opts.rand() * opts.vocabSize);
  }
  if (positions.length === 0) {
    // Never an empty batch: mask the first non-special token.
    const i = ids.findIndex((id) => !opts.special.has(id));
    positions.push(i);
    labels.push(ids[i]!);
    input[i] = opts.maskId;
  }
  return { input, positions, labels };
}

/** One packed sequence by index: [CLS] chunk [SEP] for MLM, a raw chunk for CLM. */
function sequence(stream: Int32Array, index: number, bodyLen: number, tok: Tokenizer, objective: 'mlm' | 'clm'): Int32Array {
  const body = stream.subarray(index * bodyLen, (index + 1) * bodyLen);
  if (objective === 'clm') return body;
  const s = new Int32Array(bodyLen + 2);
  s[0] = tok.clsId!;
  s.set(body, 1);
  s[bodyLen + 1] = tok.sepId!;
  return s;
}

function batchFeeds(model: TransformerModel, seqs: Int32Array[], objective: 'mlm' | 'clm', tok: Tokenizer, rand: () => number, o: { maskProb: number; wholeWordMask: boolean }, clmLabels?: Int32Array[]): { feeds: Record<string, HostTensor>; tokens: number } {
  const B = seqs.length, T = seqs[0]!.length;
  const common = (ids: Int32Array[]): Record<string, HostTensor> => ({
    input_ids: { data: BigInt64Array.from(ids.flatMap((s) => Array.from(s)), BigInt), shape: [B, T] },
    position_ids: { data: BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i % T) + model.config.positionOffset)), shape: [B, T] },
    token_type_ids: { data: new BigInt64Array(B * T), shape: [B, T] },
  });
  if (objective === 'clm') {
    const bias = new Float32Array(T * T);
    for (let t = 0; t < T; t++) for (let s = t + 1; s < T; s++) bias[t * T + s] = -1e9;
    const labels = clmLabels ? clmLabels.flatMap((l) => Array.from(l)) : seqs.flatMap((s) => Array.from(s, (_, t) => (t + 1 < T ? s[t + 1]! : -100)));
    const feeds = common(seqs);
    delete feeds['token_type_ids'];
    return { feeds: { ...feeds, attention_bias: { data: bias, shape: [1, 1, T, T] }, labels: { data: BigInt64Array.from(labels, BigInt), shape: [labels.length] } }, tokens: B * T };
  }
  const special = new Set([tok.clsId, tok.sepId, tok.padId].filter((x): x is number => x !== undefined));
  const wordStart = o.wholeWordMask ? (id: number) => !(tok.idToToken(id) ?? '').startsWith('##') : undefined;
  const masked = seqs.map((s) => maskTokens(s, { prob: o.maskProb, maskId: tok.maskId!, vocabSize: model.config.vocabSize, special, rand, wordStart }));
  return {
    feeds: {
      ...common(masked.map((m) => m.input)),
      attention_bias: { data: new Float32Array(B * T), shape: [B, 1, 1, T] },
      masked_index: { data: BigInt64Array.from(masked.flatMap((m, b) => m.positions.map((p) => BigInt(b * T + p)))), shape: [masked.reduce((a, m) => a + m.positions.length, 0)] },
      labels: { data: BigInt64Array.from(masked.flatMap((m) => m.labels), BigInt), shape: [masked.reduce((a, m) => a + m.labels.length, 0)] },
    },
    tokens: B * T,
  };
}

/** Held-out evaluation with a fixed masking seed: MLM loss and accuracy, or CLM loss and perplexity. */
async function evaluate(model: TransformerModel, held: Int32Array, bodyLen: number, tok: Tokenizer, objective: 'mlm' | 'clm', o: { maskProb: number; wholeWordMask: boolean; batchSize: number }, maxSeqs = 256) {
  const n = Math.min(maxSeqs, Math.floor(held.length / bodyLen));
  if (n === 0) return { loss: NaN, tokens: 0 };
  const built = model.program({ head: objective, maskedOnly: objective === 'mlm' });
  const rand = mulberry32(12345);
  let lossSum = 0, count = 0, correct = 0;
  const V = model.config.vocabSize;
  for (let i = 0; i < n; i += o.batchSize) {
    const seqs = Array.from({ length: Math.min(o.batchSize, n - i) }, (_, k) => sequence(held, i + k, bodyLen, tok, objective));
    const { feeds } = batchFeeds(model, seqs, objective, tok, rand, o);
    const [logits] = await built.program.run(feeds, model.params);
    const l = logits!.data as Float32Array;
    const labels = feeds['labels']!.data as BigInt64Array;
    for (let r = 0; r < labels.length; r++) {
      const y = Number(labels[r]);
      if (y < 0) continue;
      let max = -Infinity, arg = 0;
      for (let j = 0; j < V; j++) { const v = l[r * V + j]!; if (v > max) { max = v; arg = j; } }
      let z = 0;
      for (let j = 0; j < V; j++) z += Math.exp(l[r * V + j]! - max);
      lossSum += max + Math.log(z) - l[r * V + y]!;
      correct += Number(arg === y);
      count++;
    }
  }
  const loss = lossSum / count;
  return objective === 'mlm' ? { loss, accuracy: correct / count, tokens: count } : { loss, perplexity: Math.exp(loss), tokens: count };
}

/** The architecture to pre-train: a named size or a config.json, sized to the tokenizer and sequence length. */
function modelConfig(o: Pick<PretrainOptions, 'configPath' | 'size' | 'objective' | 'seqLen'>, tok: Tokenizer): Record<string, unknown> {
  const raw = o.configPath ? (JSON.parse(readFileSync(o.configPath, 'utf8')) as Record<string, unknown>) : NAMED_SIZES[o.size ?? (o.objective === 'mlm' ? 'bert-mini' : 'llama-mini')]?.(tok.vocabSize);
  if (!raw) throw new Error(`pretrain: unknown size "${o.size}"; named sizes: ${Object.keys(NAMED_SIZES).join(', ')}`);
  raw['vocab_size'] = tok.vocabSize;
  if (o.objective === 'clm') {
    raw['bos_token_id'] = tok.bosId ?? tok.eosId;
    raw['eos_token_id'] = tok.eosId;
  }
  raw['max_position_embeddings'] = Math.max(Number(raw['max_position_embeddings'] ?? 0), o.seqLen!);
  parseConfig(raw);
  return raw;
}

/**
 * One icl-episodes batch: round(clmMix × batch) plain corpus sequences (so text generation survives),
 * the rest episodes padded to the sequence length. Episodes have loss on their label tokens only; a
 * corpus sequence on a random quarter of its positions, so its 255 targets do not outweigh the
 * episodes' dozen label tokens in the mean loss. Drawn from `rand` only: a resumed run replays exactly.
 */
export function episodeBatch(sampler: EpisodeSampler, rand: () => number, o: { batchSize: number; seqLen: number; clmMix: number; pad: number; numSeqs: number; text: (i: number) => Int32Array }): { seqs: Int32Array[]; labels: Int32Array[] } {
  const T = o.seqLen, seqs: Int32Array[] = [], labels: Int32Array[] = [];
  const nText = Math.round(o.batchSize * o.clmMix);
  for (let b = 0; b < o.batchSize; b++) {
    const s = new Int32Array(T).fill(o.pad), l = new Int32Array(T).fill(-100);
    if (b < nText) {
      s.set(o.text(randomInt(rand, o.numSeqs)));
      for (let t = 0; t + 1 < T; t++) if (rand() < 0.25) l[t] = s[t + 1]!;
    } else {
      const e = sampler.sample(rand);
      s.set(e.ids.slice(0, T));
      for (let t = 0; t + 1 < Math.min(T, e.ids.length); t++) if (e.target[t + 1]) l[t] = s[t + 1]!;
    }
    seqs.push(s);
    labels.push(l);
  }
  return { seqs, labels };
}

/** --init must be of the kind the objective trains: an encoder for mlm, a decoder for clm and icl-episodes. */
function refuseInitOfOtherKind(init: string, dir: string, objective: PretrainOptions['objective']): void {
  const modelType = (JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { model_type?: string }).model_type ?? '';
  const kind = familyOf(modelType)?.kind;
  const needs = objective === 'mlm' ? 'encoder' : 'decoder';
  if (kind !== undefined && kind !== needs) throw new Error(`pretrain: --init ${init} is a ${modelType} ${kind}; --objective ${objective} continues a${needs === 'encoder' ? 'n' : ''} ${needs}`);
}

/** Pre-train a base model; returns its metrics. Writes `out/` as a Hugging Face folder with a model card. */
export async function pretrain(opts: PretrainOptions): Promise<PretrainResult> {
  validatePretrainOptions(opts);
  const output: OutputOptions = { kind: 'pretrain', overwrite: opts.overwrite, resume: opts.resume, inputs: [...opts.corpus, opts.tokenizer, opts.configPath, opts.init] };
  prepareOutputFolder(opts.out, output);
  const o = {
    vocabSize: 8192, seqLen: 128, batchSize: 32, accumulate: 1, lr: opts.objective === 'mlm' ? 1e-3 : 1e-3, schedule: 'linear' as const,
    weightDecay: 0.01, clipNorm: 1, maskProb: 0.15, wholeWordMask: false, heldOutEvery: 50, checkpointEvery: 200, seed: 0, dropout: false,
    clmMix: 0.25, episodeLoss: 'all' as const, ...opts,
  };
  // The language-modelling head and data of the objective (episodes are causal-LM sequences).
  const lm: 'mlm' | 'clm' = o.objective === 'mlm' ? 'mlm' : 'clm';
  const initOrigin = o.init ? await resolvePretrained(o.init, { quiet: o.quiet }) : undefined;
  if (initOrigin) refuseInitOfOtherKind(o.init!, initOrigin.dir, o.objective);
  const say = opts.onWarning ?? ((m: string) => { if (!opts.quiet) process.stderr.write(`warning: ${m}\n`); });
  const warmup = opts.warmupSteps ?? Math.max(1, Math.round(o.steps * 0.06));
  const out = path.resolve(o.out);
  const work = workDir(out);
  const ckptDir = checkpointDir(out);
  const tokDir = path.join(work, 'tokenizer');
  refuseOverwrite(ckptDir, o.resume);
  // Caches of a run that never reached a checkpoint may be of another corpus or tokenizer: rebuild them.
  if (!hasCheckpoint(ckptDir)) for (const d of [tokDir, path.join(work, 'data')]) rmSync(d, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  // 1. Tokenizer, trained on the same corpus with the Hugging Face tokenizers library.
  if (!existsSync(path.join(tokDir, 'tokenizer.json')) && (o.tokenizer || initOrigin)) {
    // A folder, embedded model or Hub id; a model continued from (init) brings its own.
    const tokSrc = initOrigin?.dir ?? (await resolvePretrained(o.tokenizer!, { tokenizerOnly: true, quiet: o.quiet })).dir;
    mkdirSync(tokDir, { recursive: true });
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
      if (existsSync(path.join(tokSrc, f))) copyFileSync(path.join(tokSrc, f), path.join(tokDir, f));
    }
  }
  if (!existsSync(path.join(tokDir, 'tokenizer.json'))) {
    const files = await tokenizerTrainingFiles(o.corpus, o.textField, path.join(work, 'data'));
    trainTokenizer({ kind: lm === 'mlm' ? 'wordpiece' : 'bpe', files, vocabSize: o.vocabSize, outDir: tokDir, modelMaxLength: o.seqLen });
  }
  const tok = await Tokenizer.fromFolder(tokDir);

  // 2. Packed token streams with a held-out slice.
  const { train, held } = await tokenStreams(tok, { corpus: o.corpus, heldOutEvery: o.heldOutEvery, objective: lm, textField: o.textField }, path.join(work, 'data'));
  const bodyLen = lm === 'mlm' ? o.seqLen - 2 : o.seqLen;
  const numSeqs = Math.floor(train.length / bodyLen);
  if (numSeqs < o.batchSize) throw new Error(`pretrain: the corpus gives ${numSeqs} sequences of ${o.seqLen} tokens, fewer than one batch of ${o.batchSize}`);

  // 3. Model, freshly initialised (seeded) or the init model's weights; a resumed run then takes the checkpoint's.
  let model: TransformerModel, raw: Record<string, unknown>, initHash: string | null = null;
  if (initOrigin) {
    model = await TransformerModel.load(initOrigin.dir);
    const initWeightsHash = weightsHash(model.config.raw, model.params);
    model.ensureParams({ head: lm }, o.seed);
    raw = model.config.raw;
    if (model.config.maxPositions < o.seqLen) throw new Error(`pretrain: --init ${o.init} has ${model.config.maxPositions} positions, fewer than --seq-len ${o.seqLen}`);
    // The init weights as loaded (sharded checkpoints too), before a missing head is added.
    initHash = initWeightsHash;
  } else {
    raw = modelConfig({ ...o, objective: lm }, tok);
    model = TransformerModel.fromConfig(raw, { seed: o.seed, head: lm, tokenizer: tok });
  }
  model.tokenizer = tok;
  model.tokenizerDir = tokDir;
  const episodes = o.objective === 'icl-episodes' ? new EpisodeSampler(o.episodeTasks ?? episodeTasks(), tok, { seqLen: o.seqLen, lossOn: o.episodeLoss }) : undefined;
  const identity: RunIdentity = {
    kind: 'pretrain', objective: o.objective, ...(o.init ? { init: o.init, initWeights: initHash } : {}),
    ...(episodes ? { clmMix: o.clmMix, episodeLoss: o.episodeLoss, episodeTasks: contentHash(episodes.tasks) } : {}),
    corpus: filesHash(corpusFiles(o.corpus)), corpusName: o.corpus.join(', '), textField: o.textField ?? null,
    tokenizer: contentHash(readFileSync(path.join(tokDir, 'tokenizer.json'))), architecture: contentHash(raw),
    seqLen: o.seqLen, batchSize: o.batchSize, accumulate: o.accumulate, steps: o.steps, lr: o.lr, warmupSteps: warmup, schedule: o.schedule,
    weightDecay: o.weightDecay, clipNorm: o.clipNorm, maskProb: o.maskProb, wholeWordMask: o.wholeWordMask, heldOutEvery: o.heldOutEvery, seed: o.seed, dropout: o.dropout,
  };
  const resumed = await openResume(ckptDir, identity, { resume: o.resume, say });
  if (resumed) restoreParams(ckptDir, resumed, model.params, model.params.names());
  const position: RunPosition = resumed?.position ?? { step: 0, runs: 0, lossCurve: [], tokensSeen: 0, wallSeconds: 0, loop: {} };

  // 4. Training graph. No dropout by default: at most a few epochs over the corpus.
  const built = model.build({ head: lm, training: true, maskedOnly: lm === 'mlm', dropoutSeed: o.seed, noDropout: !o.dropout });
  const optimizer = new AdamW({ weightDecay: o.weightDecay });
  if (resumed) optimizer.load(resumed.optimizer);
  const trainer = new Trainer(built.loss!, built.graph.params, model.params, {
    optimizer, clipNorm: o.clipNorm, schedule: { kind: o.schedule, peakLr: o.lr, warmupSteps: warmup, totalSteps: o.steps },
    resumeAt: { step: position.step, runs: position.runs },
  });
  const saveCheckpoint = () => saveResume(ckptDir, {
    identity, position: { ...position, runs: trainer.runs }, store: model.params, trained: model.params.names(), config: model.config.raw,
    optimizer: optimizer.state(), tokenizerFrom: tokDir,
  });

  // 5. The loop. Batch order and masking depend only on (seed, step), dropout on (seed, graph run):
  // a resumed run replays exactly.
  const progress = new Progress({ total: o.steps, label: `pretrain ${o.objective}`, unit: 'tok/s', quiet: o.quiet });
  progress.start(position.step);
  const t0 = Date.now() - position.wallSeconds * 1000;
  const perEpoch = Math.floor(numSeqs / (o.batchSize * o.accumulate));
  let order: number[] = [];
  let orderEpoch = -1;
  let ranThisProcess = 0;
  while (position.step < o.steps) {
    const step = position.step;
    const epoch = Math.floor(step / perEpoch);
    if (epoch !== orderEpoch) {
      order = shuffle(Array.from({ length: numSeqs }, (_, i) => i), subSeed(o.seed, `epoch${epoch}`));
      orderEpoch = epoch;
    }
    const rand = mulberry32(subSeed(o.seed, `step${step}`));
    const micro: Record<string, HostTensor>[] = [];
    let tokens = 0;
    for (let a = 0; a < o.accumulate; a++) {
      const base = ((step % perEpoch) * o.accumulate + a) * o.batchSize;
      const ep = episodes ? episodeBatch(episodes, rand, { batchSize: o.batchSize, seqLen: o.seqLen, clmMix: o.clmMix, pad: tok.padId ?? tok.eosId ?? 0, text: (i) => sequence(train, i, bodyLen, tok, 'clm'), numSeqs }) : undefined;
      const seqs = ep?.seqs ?? Array.from({ length: o.batchSize }, (_, k) => sequence(train, order[base + k]!, bodyLen, tok, lm));
      const b = batchFeeds(model, seqs, lm, tok, rand, o, ep?.labels);
      micro.push(b.feeds);
      tokens += b.tokens;
    }
    const res = await trainer.trainStep(micro);
    position.step++;
    position.lossCurve.push(Number(res.loss.toFixed(5)));
    position.tokensSeen += tokens;
    position.wallSeconds = (Date.now() - t0) / 1000;
    progress.update(position.step, { loss: res.loss, lr: res.lr }, tokens);
    ranThisProcess++;
    if (position.step % o.checkpointEvery === 0 || position.step === o.steps) await saveCheckpoint();
    if (o.stopAfter && ranThisProcess >= o.stopAfter) break;
  }
  progress.stop();

  // 6. Held-out evaluation and the final folder with its model card.
  const heldOut = await evaluate(model, held, bodyLen, tok, lm, { ...o, batchSize: o.batchSize });
  const result: PretrainResult = { out, steps: position.step, tokensSeen: position.tokensSeen, wallSeconds: position.wallSeconds, params: model.numParams(), heldOut, losses: position.lossCurve };
  if (position.step >= o.steps) {
    await writeOutputFolder(out, output, async (dir) => {
      await model.save(dir, {
        architecture: lm === 'mlm' ? 'BertForMaskedLM' : 'LlamaForCausalLM',
        extraConfig: { tuneshot: { objective: o.objective, ...(o.init ? { init: o.init } : {}), steps: position.step, tokens_seen: position.tokensSeen, seed: o.seed } },
      });
      await writeFileSynced(path.join(dir, 'README.md'), modelCard(model, o, result, train.length));
      await writeFileSynced(path.join(dir, 'pretrain_metrics.json'), JSON.stringify({ ...result, losses: undefined, out: undefined, lossCurve: result.losses.filter((_, i) => i % 10 === 0) }, null, 1));
    });
  }
  return result;
}

function modelCard(model: TransformerModel, o: PretrainOptions & Record<string, unknown>, r: PretrainResult, corpusTokens: number): string {
  const c = model.config;
  const metric = o.objective === 'mlm' ? `masked-token accuracy ${(r.heldOut.accuracy! * 100).toFixed(2)}%, loss ${r.heldOut.loss.toFixed(4)}` : `perplexity ${r.heldOut.perplexity!.toFixed(2)}, loss ${r.heldOut.loss.toFixed(4)}`;
  const threads = Number(process.env.TUNESHOT_THREADS ?? 2);
  const hash = createHash('sha256').update(JSON.stringify(r.losses)).digest('hex').slice(0, 16);
  return `# ${path.basename(r.out)}

${o.objective === 'icl-episodes'
    ? `A ${c.modelType} model ${o.init ? `continued from ${o.init}` : 'trained from scratch'} by tuneshot on in-context classification episodes (WordNet supersenses and parts of speech, Brown corpus genres, in the prompt format of \`tuneshot icl\`; src/data/episodes.ts), with ${Math.round(Number(o.clmMix) * 100)}% of each batch plain causal-LM text of the corpus.`
    : `A ${c.modelType} model ${o.init ? `continued from ${o.init}` : 'pre-trained from scratch'} by tuneshot with the ${o.objective === 'mlm' ? 'masked' : 'causal'} language-modelling objective.`}

| | |
|---|---|
| architecture | ${c.layers} layers, hidden ${c.hidden}, ${c.heads} heads${c.kvHeads !== c.heads ? ` (${c.kvHeads} key/value)` : ''}, FFN ${c.intermediate}, vocabulary ${c.vocabSize} (${o.objective === 'mlm' ? 'WordPiece' : 'byte-level BPE'}, trained on the same corpus) |
| parameters | ${r.params.toLocaleString('en-US')} |
| corpus | ${o.corpus.map((p) => path.basename(p)).join(', ')} (${corpusTokens.toLocaleString('en-US')} training tokens after the held-out slice) |
| steps | ${r.steps} × batch ${o.batchSize}${Number(o.accumulate) > 1 ? ` × ${o.accumulate} accumulated` : ''} × ${o.seqLen} tokens |
| tokens seen | ${r.tokensSeen.toLocaleString('en-US')} |
| optimizer | AdamW, peak learning rate ${o.lr}, ${o.schedule} decay, weight decay ${o.weightDecay}, clipping ${o.clipNorm}, seed ${o.seed} |
| wall time | ${(r.wallSeconds / 60).toFixed(1)} min, ONNX Runtime on ${threads} thread${threads === 1 ? '' : 's'} (TUNESHOT_THREADS) |
| held-out | ${metric} (${r.heldOut.tokens.toLocaleString('en-US')} ${o.objective === 'mlm' ? 'masked tokens' : 'tokens'}) |
| loss curve hash | ${hash} (first loss ${r.losses[0]}, last ${r.losses.at(-1)}) |

Reproduce with:

\`\`\`sh
${o.command ? `${process.env.TUNESHOT_THREADS ? `TUNESHOT_THREADS=${process.env.TUNESHOT_THREADS} ` : ''}${o.command}` : '(library call)'}
\`\`\`

The corpus and its licences are described in docs/corpus.md.
`;
}
