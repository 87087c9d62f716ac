// ModernBERT (transformers' modeling_modernbert; answerdotai/ModernBERT-base, -large): an encoder
// with rotary positions instead of position embeddings, pre-LayerNorm layers without biases, a
// fused q/k/v projection "attn.Wqkv", a GeGLU MLP ("mlp.Wi" holds input and gate halves), and
// alternating attention: every `global_attn_every_n_layers`-th layer attends globally (RoPE theta
// global_rope_theta), the others within a sliding window of `local_attention` tokens (RoPE theta
// local_rope_theta). Layer 0 has no attention norm (embeddings are already normalized).
// Parameters "model.*"; heads "head.dense" -> act -> "head.norm", then the tied "decoder" (masked
// LM) or "classifier" after cls/mean pooling (config classifier_pooling).
import { ops as o, type Tensor } from '../../engine/index.js';
import { ConfigError, commonFields, num, opt, type RawConfig } from '../config-fields.js';
import type { ModelFamily } from '../family.js';
import { Builder, ForwardInputs, activation, applyRope, attend, ropeTables, splitHeads } from '../layers.js';
import { pooled } from './bert.js';

/** ModernBERT's own config fields, with transformers' defaults (old and new spellings of the RoPE thetas). */
export function modernbertConfig(raw: RawConfig) {
  const rp = (raw['rope_parameters'] ?? {}) as Record<string, { rope_theta?: number } | undefined>;
  const every = opt(raw, 'global_attn_every_n_layers', 3);
  const layerTypes = Array.isArray(raw['layer_types']) ? (raw['layer_types'] as string[]) : undefined;
  return {
    globalTheta: opt(raw, 'global_rope_theta', rp['full_attention']?.rope_theta ?? 160000),
    localTheta: opt(raw, 'local_rope_theta', rp['sliding_attention']?.rope_theta ?? 10000),
    localWindow: opt(raw, 'local_attention', 128),
    isGlobal: (i: number) => (layerTypes ? layerTypes[i] !== 'sliding_attention' : i % every === 0),
    normBias: raw['norm_bias'] === true,
    mlpBias: raw['mlp_bias'] === true,
    classifierBias: raw['classifier_bias'] === true,
    decoderBias: raw['decoder_bias'] !== false,
    classifierAct: String(raw['classifier_activation'] ?? 'gelu'),
    classifierDropout: opt(raw, 'classifier_dropout', 0),
    mlpDropout: opt(raw, 'mlp_dropout', 0),
  };
}

/** Additive bias [B, 1, T, T] hiding keys further than window/2 positions from the query. */
function slidingWindowBias(positions: Tensor, window: number): Tensor {
  const p = o.cast(positions, 'float32');
  const d = o.sub(o.unsqueeze(p, [-1]), o.unsqueeze(p, [-2])); // [B, T, T]
  const half = Math.floor(window / 2);
  const far = o.greater(o.mul(d, d), half * half);
  return o.unsqueeze(o.where(far, o.scalar(positions.graph, -1e9), o.scalar(positions.graph, 0)), [1]);
}

function predictionHead(b: Builder, x: Tensor): Tensor {
  const c = b.cfg, m = modernbertConfig(c.raw);
  return b.layerNorm(activation(b.linear(x, 'head.dense', c.hidden, c.hidden, m.classifierBias), m.classifierAct), 'head.norm', c.eps, { bias: m.normBias });
}

export const modernbert: ModelFamily = {
  name: 'modernbert',
  modelTypes: ['modernbert'],
  kind: 'encoder',
  config(raw, file) {
    const m = modernbertConfig(raw);
    if (m.localWindow <= 0) throw new ConfigError(`${file}: local_attention must be positive, got ${m.localWindow}`);
    return {
      ...commonFields(raw, file),
      intermediate: num(raw, file, 'intermediate_size'),
      maxPositions: opt(raw, 'max_position_embeddings', 8192),
      typeVocabSize: 0,
      eps: opt(raw, 'norm_eps', 1e-5),
      ropeTheta: m.globalTheta,
      tieEmbeddings: raw['tie_word_embeddings'] !== false,
      attentionBias: raw['attention_bias'] === true,
      act: String(raw['hidden_activation'] ?? 'gelu'),
      hiddenDropout: opt(raw, 'embedding_dropout', 0),
      attentionDropout: opt(raw, 'attention_dropout', 0),
      positionOffset: 0,
    };
  },
  prefix: () => 'model',
  bareModules: ['embeddings.', 'layers.', 'final_norm.'],
  forward(b: Builder, x: ForwardInputs) {
    const c = b.cfg, H = c.hidden, hd = c.headDim, m = modernbertConfig(c.raw);
    const norm = (t: Tensor, name: string) => b.layerNorm(t, name, c.eps, { bias: m.normBias });
    let h = b.dropout(norm(o.gather(b.p('model.embeddings.tok_embeddings.weight', [c.vocabSize, H]), x.ids), 'model.embeddings.norm'), c.hiddenDropout);
    const rope = { global: ropeTables(b.g, x.positions, hd, m.globalTheta), local: ropeTables(b.g, x.positions, hd, m.localTheta) };
    let localBias: Tensor | undefined;
    for (let i = 0; i < c.layers; i++) {
      const L = `model.layers.${i}`, global = m.isGlobal(i);
      const { cos, sin } = global ? rope.global : rope.local;
      const bias = global ? x.attnBias : (localBias ??= o.add(x.attnBias, slidingWindowBias(x.positions, m.localWindow)));
      const a = i === 0 ? h : norm(h, `${L}.attn_norm`);
      const [q, k, v] = o.split(b.linear(a, `${L}.attn.Wqkv`, H, 3 * H, c.attentionBias), -1, [H, H, H]).map((t) => splitHeads(t, c.heads, hd)) as [Tensor, Tensor, Tensor];
      const ctx = attend(b, applyRope(q, cos, sin, hd), applyRope(k, cos, sin, hd), v, bias);
      h = o.add(h, b.dropout(b.linear(ctx, `${L}.attn.Wo`, H, H, c.attentionBias), c.attentionDropout));
      const [input, gate] = o.split(b.linear(norm(h, `${L}.mlp_norm`), `${L}.mlp.Wi`, H, 2 * c.intermediate, m.mlpBias), -1, [c.intermediate, c.intermediate]) as [Tensor, Tensor];
      h = o.add(h, b.linear(b.dropout(o.mul(activation(input, c.act), gate), m.mlpDropout), `${L}.mlp.Wo`, c.intermediate, H, m.mlpBias));
    }
    return { hidden: norm(h, 'model.final_norm') };
  },
  lmHead(b, h) {
    const c = b.cfg, m = modernbertConfig(c.raw);
    const logits = o.matmul(predictionHead(b, h), o.transpose(b.p('model.embeddings.tok_embeddings.weight', [c.vocabSize, c.hidden]), [1, 0]));
    return m.decoderBias ? o.add(logits, b.p('decoder.bias', [c.vocabSize])) : logits;
  },
  classifierHead(b, h, numLabels, pooling, inputs) {
    const m = modernbertConfig(b.cfg.raw);
    return b.linear(b.dropout(predictionHead(b, pooled(h, pooling, inputs.mask)), m.classifierDropout), 'classifier', b.cfg.hidden, numLabels);
  },
  defaultPooling: (cfg) => (cfg.raw['classifier_pooling'] === 'mean' ? 'mean' : 'cls'),
  poolingConfig: (pooling) => ({ classifier_pooling: pooling }),
  isHeadParam: (n) => /^(head|decoder|classifier)\./.test(n),
  architectures: { classify: 'ModernBertForSequenceClassification', lm: 'ModernBertForMaskedLM' },
  lora: { targets: ['Wqkv'] },
};
