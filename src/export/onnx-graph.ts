// Inference graphs with the inputs and outputs transformers.js (and Hugging Face Optimum's ONNX
// exports) use, built from the same family forward passes tuneshot trains and runs:
//   classifier: input_ids, attention_mask[, token_type_ids] -> logits [batch, labels]
//   encoder:    input_ids, attention_mask[, token_type_ids] -> last_hidden_state [batch, seq, hidden]
//   decoder:    input_ids, attention_mask [batch, past + seq], position_ids, past_key_values.N.key/value,
//               num_logits_to_keep -> logits, present.N.key/value
// The padding mask, positions (encoders) and the causal mask are computed inside the graph, so a
// consumer feeds only what its tokenizer gives it. Padding may be on either side.
import { Graph, Tensor, ops as o } from '../engine/index.js';
import { Builder, ForwardInputs } from '../models/layers.js';
import type { TransformerModel } from '../models/model.js';

export type OnnxTask = 'classifier' | 'encoder' | 'decoder';

export interface ExportGraph {
  graph: Graph;
  /** Graph inputs, in the order the model declares them. */
  inputs: Tensor[];
  /** Graph outputs under the names consumers read. */
  outputs: Array<{ name: string; tensor: Tensor }>;
}

const NEG = -1e9;

/** Size of axis `axis` of `x` at run time, as an int64 scalar. */
function dim(x: Tensor, axis: number): Tensor {
  return o.gather(o.shapeOf(x), o.scalar(x.graph, axis, 'int64'), 0);
}

/** 0, 1, ..., n-1 (int64) for a runtime scalar n. */
function range(n: Tensor, name: string): Tensor {
  const g = n.graph;
  return g.addNode('Range', [o.scalar(g, 0, 'int64'), n, o.scalar(g, 1, 'int64')], {}, [{ dtype: 'int64', shape: [name] }])[0]!;
}

/** Additive attention bias [B, 1, 1, T] from a padding mask (encoders: every token sees every real token). */
function paddingBias(mask: Tensor): Tensor {
  return o.mul(o.sub(o.unsqueeze(o.cast(mask, 'float32'), [1, 2]), 1), -NEG);
}

/**
 * Additive bias [B, 1, T, S] for T new tokens after S - T cached ones: a query at absolute position
 * p sees keys at positions <= p that the mask marks real.
 */
function causalBias(ids: Tensor, mask: Tensor): Tensor {
  const g = ids.graph;
  const T = dim(ids, 1), S = dim(mask, 1);
  const queryPos = o.unsqueeze(o.add(range(T, 'sequence_length'), o.sub(S, T)), [1]); // [T, 1]
  const keyPos = o.unsqueeze(range(S, 'total_sequence_length'), [0]); // [1, S]
  const causal = o.unsqueeze(o.not(o.greater(keyPos, queryPos)), [0, 1]); // [1, 1, T, S]
  const real = o.unsqueeze(o.cast(mask, 'bool'), [1, 2]); // [B, 1, 1, S]
  return o.where(o.and(causal, real), o.scalar(g, 0), o.scalar(g, NEG));
}

/** The model's own family forward pass (src/models/families/). */
const forward = (b: Builder, x: ForwardInputs) => b.cfg.family.forward(b, x);

/** The family's classification head; `mask` for mean pooling, `lastIndex` for decoders. */
function classifier(b: Builder, h: Tensor, n: number, pooling: 'cls' | 'mean' | undefined, inputs: { mask?: () => Tensor; lastIndex?: () => Tensor }): Tensor {
  const no = (what: string) => () => { throw new Error(`${b.cfg.modelType}: the classifier export has no ${what}`); };
  return b.cfg.family.classifierHead(b, h, n, pooling ?? b.cfg.family.defaultPooling?.(b.cfg) ?? 'cls', { mask: inputs.mask ?? no('attention mask'), lastIndex: inputs.lastIndex ?? no('last token index') });
}

export interface ExportGraphOptions {
  task: OnnxTask;
  numLabels?: number;
  pooling?: 'cls' | 'mean';
}

/** Build the graph for `task` over `model`'s parameters (names as in the model's ParamStore). */
export function buildExportGraph(model: TransformerModel, opts: ExportGraphOptions): ExportGraph {
  const cfg = model.config;
  const g = new Graph();
  const b = new Builder(g, cfg, false);
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  if (cfg.family.kind === 'encoder') {
    if (opts.task === 'decoder') throw new Error(`${cfg.modelType} is an encoder: export it as an encoder or a classifier, not a decoder`);
    const mask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
    const inputs = [ids, mask];
    const x: ForwardInputs = {
      ids,
      // Right or left padding alike: positions count from the first column, as tuneshot and BERT's own
      // position_ids default do (tuneshot pads on the right).
      positions: o.unsqueeze(o.add(range(dim(ids, 1), 'sequence_length'), o.scalar(g, cfg.positionOffset, 'int64')), [0]),
      attnBias: paddingBias(mask),
    };
    if (cfg.typeVocabSize > 0) inputs.push((x.tokenTypes = g.input('token_type_ids', 'int64', ['batch_size', 'sequence_length'])));
    const h = forward(b, x).hidden;
    if (opts.task === 'encoder') return { graph: g, inputs, outputs: [{ name: 'last_hidden_state', tensor: h }] };
    const n = needLabels(opts);
    const logits = classifier(b, h, n, opts.pooling, { mask: () => o.cast(mask, 'float32') });
    return { graph: g, inputs, outputs: [{ name: 'logits', tensor: logits }] };
  }

  if (opts.task === 'classifier' || opts.task === 'encoder') {
    // Sequence classification / hidden states of a decoder, no cache: causal, the last real token pools.
    const mask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
    const positions = g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
    const h = forward(b, { ids, positions, attnBias: causalBias(ids, mask) }).hidden;
    const inputs = [ids, mask, positions];
    if (opts.task === 'encoder') return { graph: g, inputs, outputs: [{ name: 'last_hidden_state', tensor: h }] };
    const T = dim(ids, 1);
    // Rightmost real token of each row: argmax of mask * (column + 1); as a row of the flattened [B*T] view.
    const column = o.cast(o.add(range(T, 'sequence_length'), o.scalar(g, 1, 'int64')), 'float32');
    const last = o.argmax(o.mul(o.cast(mask, 'float32'), column), 1);
    const rowStart = o.mul(range(dim(ids, 0), 'batch_size'), T);
    const logits = classifier(b, h, needLabels(opts), undefined, { lastIndex: () => o.add(rowStart, last) });
    return { graph: g, inputs, outputs: [{ name: 'logits', tensor: logits }] };
  }

  const mask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  const positions = g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  const past = Array.from({ length: cfg.layers }, (_, i) => ({
    k: g.input(`past_key_values.${i}.key`, 'float32', ['batch_size', cfg.kvHeads, 'past_sequence_length', cfg.headDim]),
    v: g.input(`past_key_values.${i}.value`, 'float32', ['batch_size', cfg.kvHeads, 'past_sequence_length', cfg.headDim]),
  }));
  const keep = g.input('num_logits_to_keep', 'int64', []);
  const fwd = forward(b, { ids, positions, attnBias: causalBias(ids, mask), past });
  // num_logits_to_keep = k > 0: logits of the last k positions only (generation asks for 1); 0: all.
  const T = dim(ids, 1);
  const start = o.where(o.greater(keep, 0), o.sub(T, keep), o.scalar(g, 0, 'int64'));
  const h = fwd.hidden;
  const kept = g.addNode('Slice', [h, o.unsqueeze(start, [0]), o.unsqueeze(T, [0]), o.ints(g, [1])], {}, [{ dtype: 'float32', shape: [h.shape[0]!, 'logits_length', h.shape[2]!] }])[0]!;
  const outputs = [{ name: 'logits', tensor: cfg.family.lmHead(b, kept) }];
  fwd.present!.forEach((p, i) => outputs.push({ name: `present.${i}.key`, tensor: p.k }, { name: `present.${i}.value`, tensor: p.v }));
  return { graph: g, inputs: [ids, mask, positions, ...past.flatMap((p) => [p.k, p.v]), keep], outputs };
}

function needLabels(opts: ExportGraphOptions): number {
  if (!opts.numLabels) throw new Error('a classifier export needs its labels (id2label in config.json)');
  return opts.numLabels;
}
