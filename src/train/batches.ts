// Fine-tuning batches: examples tokenized once into rows, rows cut into length-bucketed batches in
// a seeded order, and a batch of rows as the feeds of a model's training graph.
import type { HostTensor } from '../engine/index.js';
import type { Example, Task } from '../data/dataset.js';
import { shuffle } from '../data/random.js';
import type { Tokenizer } from '../formats/tokenizer.js';
import type { TransformerModel } from '../models/model.js';
import { decoderFeeds, encoderFeeds } from '../models/inference.js';
import { hasSoftLabels, softTarget, targetFeed } from './soft-labels.js';

/** One tokenized example. */
export interface Row {
  ids: number[];
  types: number[];
  /** classify: index of the label; generate: -1. */
  label: number;
  /** classify with soft labels: the target distribution in label order. */
  target?: number[];
  /** generate: number of prompt tokens (no loss on them). */
  promptLen?: number;
}

/** Tokenize examples: text (and pair) with its label index, or prompt + completion + EOS. Counts truncated inputs. */
export function encodeRows(tok: Tokenizer, examples: Example[], task: Task, labels: readonly string[], maxLength: number): { rows: Row[]; truncated: number } {
  let truncated = 0;
  const soft = task === 'classify' && hasSoftLabels(examples);
  const rows = examples.map((ex): Row => {
    if (task === 'classify') {
      const e = tok.encodeBatch([ex.text], { pairs: [ex.textPair], maxLength, truncation: true });
      truncated += e.truncatedCount;
      const label = labels.indexOf(ex.label!);
      return { ids: e.inputIds[0]!, types: e.tokenTypeIds[0]!, label, ...(soft ? { target: softTarget(ex, labels, label) } : {}) };
    }
    const p = tok.encode(ex.prompt ?? ex.text, null, { addSpecialTokens: true });
    const c = [...tok.encode(ex.completion ?? '', null, { addSpecialTokens: false }), ...(tok.eosId !== undefined ? [tok.eosId] : [])];
    let ids = [...p, ...c];
    if (ids.length > maxLength) { truncated++; ids = ids.slice(0, maxLength); }
    return { ids, types: ids.map(() => 0), label: -1, promptLen: Math.min(p.length, ids.length - 1) };
  });
  return { rows, truncated };
}

/** Length bucketing: sort by length within windows of 50 batches, cut batches, shuffle the batches. */
export function bucketBatches(lengths: number[], batchSize: number, rand: () => number): number[][] {
  const idx = shuffle(lengths.map((_, i) => i), rand);
  const win = batchSize * 50, batches: number[][] = [];
  for (let w = 0; w < idx.length; w += win) {
    const chunk = idx.slice(w, w + win).sort((a, b) => lengths[a]! - lengths[b]!);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
  }
  return shuffle(batches, rand);
}

function pad(rows: number[][], value: number): number[][] {
  const T = Math.max(...rows.map((r) => r.length));
  return rows.map((r) => [...r, ...new Array(T - r.length).fill(value)]);
}

/** Feeds of a model's training graph for a batch of rows: padded tokens and the labels (generate: next tokens of the completion). */
export function rowFeeds(model: TransformerModel, rows: Row[], task: Task): Record<string, HostTensor> {
  const tok = model.tokenizer!;
  const padId = tok.padId ?? tok.eosId ?? 0;
  const ids = pad(rows.map((r) => r.ids), padId), mask = pad(rows.map((r) => r.ids.map(() => 1)), 0), types = pad(rows.map((r) => r.types), 0);
  const feeds = model.family.kind === 'encoder' ? encoderFeeds(model, { inputIds: ids, attentionMask: mask, tokenTypeIds: types }) : decoderFeeds({ inputIds: ids, attentionMask: mask });
  if (rows[0]!.target) feeds['label_probs'] = targetFeed(rows.map((r) => r.target!));
  else if (task === 'classify') feeds['labels'] = { data: BigInt64Array.from(rows.map((r) => BigInt(r.label))), shape: [rows.length] };
  else {
    const T = ids[0]!.length;
    const lab = rows.flatMap((r) => Array.from({ length: T }, (_, t) => (t >= r.promptLen! - 1 && t + 1 < r.ids.length ? r.ids[t + 1]! : -100)));
    feeds['labels'] = { data: BigInt64Array.from(lab, BigInt), shape: [lab.length] };
  }
  return feeds;
}
