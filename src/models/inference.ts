// Running a TransformerModel: batch tensors from token ids (padding masks, positions, causal
// bias), batched encoder forward, and decoder inference with a KV cache (continuation
// log-probabilities, greedy / temperature / top-p generation with a seed and stop sequences).
import { HostTensor, mulberry32 } from '../engine/index.js';
import type { Tokenizer } from '../formats/tokenizer.js';
import { GraphOptions, ModelError, TransformerModel } from './model.js';
import { TextStream } from './text-stream.js';

const NEG = -1e9;

export interface EncodedBatch {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds?: number[][];
}

const i64 = (rows: number[][]) => BigInt64Array.from(rows.flat(), (x) => BigInt(x));

/** Feeds for an encoder batch (right padding): ids, positions, token types, padding bias [B,1,1,T]. */
export function encoderFeeds(model: TransformerModel, batch: EncodedBatch): Record<string, HostTensor> {
  const B = batch.inputIds.length, T = batch.inputIds[0]!.length;
  const off = model.config.positionOffset;
  const feeds: Record<string, HostTensor> = {
    input_ids: { data: i64(batch.inputIds), shape: [B, T] },
    position_ids: { data: i64(batch.inputIds.map((r) => r.map((_, t) => t + off))), shape: [B, T] },
    attention_bias: { data: Float32Array.from(batch.attentionMask.flat(), (m) => (m ? 0 : NEG)), shape: [B, 1, 1, T] },
    attention_mask: { data: Float32Array.from(batch.attentionMask.flat()), shape: [B, T] },
  };
  if (model.config.typeVocabSize > 0) feeds['token_type_ids'] = { data: i64(batch.tokenTypeIds ?? batch.inputIds.map((r) => r.map(() => 0))), shape: [B, T] };
  return feeds;
}

/**
 * Feeds for a decoder batch of right-padded rows that continue `past` cached positions:
 * positions count real tokens only, bias is causal and hides padding; last_index points at each
 * row's last real token in the flattened [B*T] view.
 */
export function decoderFeeds(batch: EncodedBatch, past = 0): Record<string, HostTensor> {
  const B = batch.inputIds.length, T = batch.inputIds[0]!.length, S = past + T;
  const bias = new Float32Array(B * T * S).fill(NEG);
  const positions: number[][] = [];
  const last: number[] = [];
  for (let b = 0; b < B; b++) {
    const mask = batch.attentionMask[b]!;
    const real = mask.reduce((a, m) => a + m, 0);
    positions.push(mask.map((_, t) => past + Math.min(t, Math.max(real - 1, 0))));
    last.push(b * T + Math.max(real - 1, 0));
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * S;
      for (let s = 0; s < past; s++) bias[row + s] = 0;
      for (let s = 0; s <= t; s++) if (mask[s]) bias[row + past + s] = 0;
      if (!mask[t]) bias[row + past + t] = 0; // padded queries attend to themselves: no NaN rows
    }
  }
  return {
    input_ids: { data: i64(batch.inputIds), shape: [B, T] },
    position_ids: { data: i64(positions), shape: [B, T] },
    attention_bias: { data: bias, shape: [B, 1, T, S] },
    last_index: { data: BigInt64Array.from(last, BigInt), shape: [B] },
  };
}

function needTokenizer(model: TransformerModel): Tokenizer {
  if (!model.tokenizer) throw new ModelError(`${model.sourceDir ?? 'model'}: no tokenizer.json`);
  return model.tokenizer;
}

/** Encoder or decoder classification / embedding forward over texts, in batches. Returns rows of the output. */
export async function forwardTexts(model: TransformerModel, texts: string[], opts: GraphOptions & { pairs?: (string | undefined)[]; batchSize?: number; maxLength?: number }): Promise<Float32Array[]> {
  const tok = needTokenizer(model);
  const out: Float32Array[] = [];
  const bs = opts.batchSize ?? 32;
  const { program } = model.program({ head: opts.head, numLabels: opts.numLabels, pooling: opts.pooling, lora: opts.lora });
  for (let i = 0; i < texts.length; i += bs) {
    const enc = tok.encodeBatch(texts.slice(i, i + bs), { pairs: opts.pairs?.slice(i, i + bs), maxLength: Math.min(opts.maxLength ?? 256, model.config.maxPositions), truncation: true });
    const feeds = model.family.kind === 'encoder' ? encoderFeeds(model, enc) : decoderFeeds(enc);
    const [y] = await program.run(feeds, model.params);
    const data = y!.data as Float32Array;
    const rows = enc.inputIds.length, width = data.length / rows;
    for (let r = 0; r < rows; r++) out.push(data.slice(r * width, (r + 1) * width));
  }
  return out;
}

/** Mean-pooled sentence embeddings from an encoder's last hidden states (L2-normalized). */
export async function embedTexts(model: TransformerModel, texts: string[], batchSize = 32): Promise<Float32Array[]> {
  const tok = needTokenizer(model);
  const { program } = model.program({ head: 'base' });
  const out: Float32Array[] = [];
  const H = model.config.hidden;
  for (let i = 0; i < texts.length; i += batchSize) {
    const enc = tok.encodeBatch(texts.slice(i, i + batchSize), { maxLength: Math.min(256, model.config.maxPositions) });
    const feeds = model.family.kind === 'encoder' ? encoderFeeds(model, enc) : decoderFeeds(enc);
    const [y] = await program.run(feeds, model.params);
    const h = y!.data as Float32Array;
    const T = enc.inputIds[0]!.length;
    enc.attentionMask.forEach((mask, b) => {
      const v = new Float32Array(H);
      let n = 0;
      mask.forEach((m, t) => {
        if (!m) return;
        n++;
        for (let j = 0; j < H; j++) v[j]! += h[(b * T + t) * H + j]!;
      });
      let norm = 0;
      for (let j = 0; j < H; j++) norm += (v[j]! /= Math.max(n, 1)) ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < H; j++) v[j]! /= norm;
      out.push(v);
    });
  }
  return out;
}

// ---- decoders with a KV cache ----

interface KvState {
  past: HostTensor[]; // per layer: k, v
  length: number;
  lastLogits: Float32Array; // logits after the last token
}

function emptyPast(model: TransformerModel): HostTensor[] {
  const c = model.config;
  return Array.from({ length: 2 * c.layers }, () => ({ data: new Float32Array(0), shape: [1, c.kvHeads, 0, c.headDim] }));
}

/** Run `ids` (batch 1) after the cached state; returns per-position logits [T, V] and the new state. */
async function stepDecoder(model: TransformerModel, ids: number[], state: KvState | null): Promise<{ logits: Float32Array; state: KvState }> {
  if (ids.length === 0) throw new ModelError('no tokens to run');
  const c = model.config;
  const { program, built } = model.program({ head: 'clm', kvCache: true }, (b) => [b.logits, ...b.present!.flatMap((p) => [p.k, p.v])]);
  const pastLen = state?.length ?? 0;
  const feeds = decoderFeeds({ inputIds: [ids], attentionMask: [ids.map(() => 1)] }, pastLen);
  const past = state?.past ?? emptyPast(model);
  built.inputs.past!.forEach((p, i) => {
    feeds[p.k.name] = past[2 * i]!;
    feeds[p.v.name] = past[2 * i + 1]!;
  });
  if (pastLen + ids.length > c.maxPositions) throw new ModelError(`sequence of ${pastLen + ids.length} tokens exceeds the model's ${c.maxPositions} positions`);
  const [logits, ...present] = await program.run(feeds, model.params);
  const V = c.vocabSize;
  const l = logits!.data as Float32Array;
  return {
    logits: l,
    state: {
      past: present.map((t) => ({ data: t.data as Float32Array, shape: t.dims as number[] })),
      length: pastLen + ids.length,
      lastLogits: l.slice(l.length - V),
    },
  };
}

function logSoftmaxAt(logits: Float32Array, offset: number, V: number, token: number): number {
  let max = -Infinity;
  for (let j = 0; j < V; j++) max = Math.max(max, logits[offset + j]!);
  let sum = 0;
  for (let j = 0; j < V; j++) sum += Math.exp(logits[offset + j]! - max);
  return logits[offset + token]! - max - Math.log(sum);
}

/** Natural-log probability of each token of each continuation after the prompt (prompt run once, cache shared). */
export async function scoreContinuations(model: TransformerModel, prompt: string, continuations: string[]): Promise<number[][]> {
  const tok = needTokenizer(model);
  const promptIds = promptTokens(model, prompt);
  const { state } = await stepDecoder(model, promptIds, null);
  const V = model.config.vocabSize;
  const out: number[][] = [];
  for (const cont of continuations) {
    const ids = tok.encode(cont, null, { addSpecialTokens: false });
    if (ids.length === 0) throw new ModelError(`continuation "${cont}" has no tokens`);
    const { logits } = await stepDecoder(model, ids, state);
    const lp: number[] = [logSoftmaxAt(state.lastLogits, 0, V, ids[0]!)];
    for (let t = 1; t < ids.length; t++) lp.push(logSoftmaxAt(logits, (t - 1) * V, V, ids[t]!));
    out.push(lp);
  }
  return out;
}

/**
 * Prompt ids as the tokenizer's own post-processor frames them (Llama adds BOS, GPT-2 adds nothing).
 * An empty prompt that gives no ids starts from the BOS token (GPT-2's <|endoftext|>, its EOS), as
 * OpenAI's completions do; a model with neither has nothing to start from and gives [].
 */
export function promptTokens(model: TransformerModel, prompt: string): number[] {
  const tok = needTokenizer(model);
  const ids = tok.encode(prompt, null, { addSpecialTokens: true });
  if (ids.length > 0) return ids;
  const start = tok.bosId ?? model.config.bosTokenId ?? tok.eosId ?? model.config.eosTokenId;
  return start === undefined ? [] : [start];
}

export interface GenerateOptions {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  /**
   * Called as tokens are decoded, with the text they add to the answer; the pieces concatenate to the
   * final text. A piece waits while a multi-byte character or a possible stop sequence is incomplete.
   */
  onText?: (piece: string) => void;
  /** Aborting stops the generation before its next token; generate then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export async function generate(model: TransformerModel, prompt: string, opts: GenerateOptions): Promise<{ text: string; tokens: number[]; finishReason: 'stop' | 'length' }> {
  const tok = needTokenizer(model);
  const V = model.config.vocabSize;
  const rand = mulberry32(opts.seed ?? 0);
  opts.signal?.throwIfAborted();
  let { state } = await stepDecoder(model, promptTokens(model, prompt), null);
  const tokens: number[] = [];
  const eos = tok.eosId ?? model.config.eosTokenId;
  const stream = new TextStream(opts.stop ?? [], opts.onText);
  const finish = (text: string, finishReason: 'stop' | 'length') => {
    stream.end(text);
    return { text, tokens, finishReason };
  };
  for (let i = 0; i < opts.maxTokens; i++) {
    opts.signal?.throwIfAborted();
    if (state.length >= model.config.maxPositions) break;
    const next = sample(state.lastLogits, V, opts.temperature ?? 0, opts.topP ?? 1, rand);
    if (next === eos) return finish(tok.decode(tokens, { skipSpecialTokens: true }), 'stop');
    tokens.push(next);
    const text = tok.decode(tokens, { skipSpecialTokens: true });
    const hit = (opts.stop ?? []).map((s) => text.indexOf(s)).filter((k) => k >= 0);
    if (hit.length) return finish(text.slice(0, Math.min(...hit)), 'stop');
    stream.update(text);
    // The last token's logits would never be sampled: skip that forward pass.
    if (i + 1 < opts.maxTokens) ({ state } = await stepDecoder(model, [next], state));
  }
  return finish(tok.decode(tokens, { skipSpecialTokens: true }), 'length');
}

/** Greedy when temperature is 0; otherwise temperature-scaled nucleus (top-p) sampling. */
export function sample(logits: Float32Array, V: number, temperature: number, topP: number, rand: () => number): number {
  let best = 0;
  for (let j = 1; j < V; j++) if (logits[j]! > logits[best]!) best = j;
  if (temperature <= 0) return best;
  const max = logits[best]!;
  const probs = Array.from({ length: V }, (_, j) => ({ j, p: Math.exp((logits[j]! - max) / temperature) }));
  const total = probs.reduce((a, x) => a + x.p, 0);
  probs.sort((a, b) => b.p - a.p);
  let mass = 0;
  const kept: typeof probs = [];
  for (const x of probs) {
    kept.push(x);
    mass += x.p / total;
    if (mass >= topP) break;
  }
  const keptTotal = kept.reduce((a, x) => a + x.p, 0);
  let r = rand() * keptTotal;
  for (const x of kept) if ((r -= x.p) <= 0) return x.j;
  return kept.at(-1)!.j;
}

/** Logits for the token after `ids` (batch 1, no cache kept). */
export async function nextTokenLogits(model: TransformerModel, ids: number[]): Promise<Float32Array> {
  return (await stepDecoder(model, ids, null)).state.lastLogits;
}

/** Full causal-LM logits [T, V] for one sequence in a single pass without a cache (reference for cache tests). */
export async function fullLogits(model: TransformerModel, ids: number[]): Promise<Float32Array> {
  const { program } = model.program({ head: 'clm' });
  const [y] = await program.run(decoderFeeds({ inputIds: [ids], attentionMask: [ids.map(() => 1)] }), model.params);
  return y!.data as Float32Array;
}
