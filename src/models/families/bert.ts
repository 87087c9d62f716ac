// BERT (transformers' modeling_bert): learned absolute positions and token types, post-LayerNorm
// encoder layers, GELU; [CLS] -> pooler (dense + tanh) -> classifier. Parameters "bert.*", heads
// "cls.predictions.*" (masked LM, decoder tied to the word embeddings) and "classifier.*".
// RoBERTa shares this body (families/roberta.ts).
import { Tensor, ops as o } from '../../engine/index.js';
import { commonFields, num, opt, type RawConfig } from '../config-fields.js';
import type { FamilyConfig, GgufContext, ModelFamily } from '../family.js';
import { Builder, ForwardInputs, ForwardOutputs, activation, attend, firstToken, meanPool, splitHeads } from '../layers.js';

/** The encoder config fields BERT, RoBERTa and DistilBERT share. */
export function encoderConfig(raw: RawConfig, file: string, o: { typeVocabSize: number; positionOffset: number }): FamilyConfig {
  return {
    ...commonFields(raw, file),
    intermediate: num(raw, file, 'intermediate_size', 'hidden_dim'),
    maxPositions: num(raw, file, 'max_position_embeddings'),
    typeVocabSize: opt(raw, 'type_vocab_size', o.typeVocabSize),
    eps: opt(raw, 'layer_norm_eps', 1e-12),
    ropeTheta: 0,
    tieEmbeddings: raw['tie_word_embeddings'] !== false,
    attentionBias: true,
    act: String(raw['hidden_act'] ?? raw['activation'] ?? 'gelu'),
    hiddenDropout: opt(raw, 'hidden_dropout_prob', opt(raw, 'dropout', 0.1)),
    attentionDropout: opt(raw, 'attention_probs_dropout_prob', opt(raw, 'attention_dropout', 0.1)),
    positionOffset: o.positionOffset,
  };
}

/** Embeddings (word + position + token type, LayerNorm) and post-LN layers, under `pre` ("bert", "roberta"). */
export function bertBody(b: Builder, x: ForwardInputs, pre: string): ForwardOutputs {
  const c = b.cfg, H = c.hidden;
  let h = o.add(o.gather(b.p(`${pre}.embeddings.word_embeddings.weight`, [c.vocabSize, H]), x.ids),
    o.gather(b.p(`${pre}.embeddings.position_embeddings.weight`, [c.maxPositions + c.positionOffset, H]), x.positions));
  if (c.typeVocabSize > 0 && x.tokenTypes) h = o.add(h, o.gather(b.p(`${pre}.embeddings.token_type_embeddings.weight`, [c.typeVocabSize, H]), x.tokenTypes));
  h = b.dropout(b.layerNorm(h, `${pre}.embeddings.LayerNorm`), c.hiddenDropout);
  for (let i = 0; i < c.layers; i++) {
    const L = `${pre}.encoder.layer.${i}`;
    const q = splitHeads(b.linear(h, `${L}.attention.self.query`, H, H), c.heads, c.headDim);
    const k = splitHeads(b.linear(h, `${L}.attention.self.key`, H, H), c.heads, c.headDim);
    const v = splitHeads(b.linear(h, `${L}.attention.self.value`, H, H), c.heads, c.headDim);
    const attn = b.dropout(b.linear(attend(b, q, k, v, x.attnBias), `${L}.attention.output.dense`, H, H), c.hiddenDropout);
    h = b.layerNorm(o.add(h, attn), `${L}.attention.output.LayerNorm`);
    const ff = activation(b.linear(h, `${L}.intermediate.dense`, H, c.intermediate), c.act);
    h = b.layerNorm(o.add(h, b.dropout(b.linear(ff, `${L}.output.dense`, c.intermediate, H), c.hiddenDropout)), `${L}.output.LayerNorm`);
  }
  return { hidden: h };
}

export const pooled = (h: Tensor, pooling: 'cls' | 'mean', mask: () => Tensor) => (pooling === 'mean' ? meanPool(h, mask()) : firstToken(h));

/** llama.cpp's "bert" architecture (BERT checkpoints with or without the "bert." prefix). */
function bertToGguf(c: GgufContext) {
  const arch = 'bert';
  const pre = c.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const embed = c.take(`${pre}embeddings.word_embeddings.weight`)!;
  const typeEmb = c.take(`${pre}embeddings.token_type_embeddings.weight`)!;
  c.md.uint32(`${arch}.context_length`, c.num('max_position_embeddings', 512));
  c.md.uint32(`${arch}.embedding_length`, c.num('hidden_size'));
  c.md.uint32(`${arch}.block_count`, c.num('num_hidden_layers'));
  c.md.uint32(`${arch}.feed_forward_length`, c.num('intermediate_size'));
  c.md.uint32(`${arch}.attention.head_count`, c.num('num_attention_heads'));
  c.md.float32(`${arch}.attention.layer_norm_epsilon`, c.num('layer_norm_eps', 1e-12));
  c.md.bool(`${arch}.attention.causal`, false);
  c.md.uint32(`${arch}.pooling_type`, { none: 0, mean: 1, cls: 2, last: 3 }[c.pooling]);
  c.md.uint32('tokenizer.ggml.token_type_count', typeEmb.shape[0]!);
  c.put('token_embd.weight', embed);
  c.put('token_types.weight', typeEmb);
  c.put('position_embd.weight', c.take(`${pre}embeddings.position_embeddings.weight`)!);
  c.put('token_embd_norm.weight', c.take(`${pre}embeddings.LayerNorm.weight`)!);
  c.put('token_embd_norm.bias', c.take(`${pre}embeddings.LayerNorm.bias`)!);
  const wb = (gguf: string, hf: string) => {
    c.put(`${gguf}.weight`, c.take(`${hf}.weight`)!);
    c.put(`${gguf}.bias`, c.take(`${hf}.bias`)!);
  };
  for (let i = 0; i < c.num('num_hidden_layers'); i++) {
    const p = `${pre}encoder.layer.${i}.`, g = `blk.${i}.`;
    wb(`${g}attn_q`, `${p}attention.self.query`);
    wb(`${g}attn_k`, `${p}attention.self.key`);
    wb(`${g}attn_v`, `${p}attention.self.value`);
    wb(`${g}attn_output`, `${p}attention.output.dense`);
    wb(`${g}attn_output_norm`, `${p}attention.output.LayerNorm`);
    wb(`${g}ffn_up`, `${p}intermediate.dense`);
    wb(`${g}ffn_down`, `${p}output.dense`);
    wb(`${g}layer_output_norm`, `${p}output.LayerNorm`);
  }
  return { vocabSize: embed.shape[0]! };
}

export const bert: ModelFamily = {
  name: 'bert',
  modelTypes: ['bert'],
  kind: 'encoder',
  config: (raw, file) => encoderConfig(raw, file, { typeVocabSize: 2, positionOffset: 0 }),
  prefix: () => 'bert',
  bareModules: ['embeddings.', 'encoder.', 'pooler.'],
  forward: (b, x) => bertBody(b, x, 'bert'),
  lmHead(b, h) {
    const c = b.cfg, H = c.hidden;
    const t = b.layerNorm(activation(b.linear(h, 'cls.predictions.transform.dense', H, H), c.act), 'cls.predictions.transform.LayerNorm');
    return o.add(o.matmul(t, o.transpose(b.p('bert.embeddings.word_embeddings.weight', [c.vocabSize, H]), [1, 0])), b.p('cls.predictions.bias', [c.vocabSize]));
  },
  classifierHead(b, h, numLabels, pooling, inputs) {
    const c = b.cfg, H = c.hidden;
    const t = o.tanh(b.linear(pooled(h, pooling, inputs.mask), 'bert.pooler.dense', H, H));
    return b.linear(b.dropout(t, c.hiddenDropout), 'classifier', H, numLabels);
  },
  defaultPooling: () => 'cls',
  isHeadParam: (n) => /^(classifier|cls)\.|^bert\.pooler\./.test(n),
  architectures: { classify: 'BertForSequenceClassification', lm: 'BertForMaskedLM' },
  lora: { targets: ['query', 'value'] },
  gguf: { arch: 'bert', convert: bertToGguf },
};
