// DistilBERT (transformers' modeling_distilbert): BERT-like post-LN layers without token types or
// biases renamed ("distilbert.transformer.layer.N.attention.q_lin", "ffn.lin1"...); masked-LM head
// "vocab_transform" / "vocab_layer_norm" / "vocab_projector" (tied); classification
// "pre_classifier" -> ReLU -> "classifier" on the first token.
import { ops as o } from '../../engine/index.js';
import type { ModelFamily } from '../family.js';
import { activation, attend, splitHeads } from '../layers.js';
import { encoderConfig, pooled } from './bert.js';

export const distilbert: ModelFamily = {
  name: 'distilbert',
  modelTypes: ['distilbert'],
  kind: 'encoder',
  config: (raw, file) => encoderConfig(raw, file, { typeVocabSize: 0, positionOffset: 0 }),
  prefix: () => 'distilbert',
  bareModules: ['embeddings.', 'transformer.'],
  forward(b, x) {
    const c = b.cfg, H = c.hidden;
    let h = o.add(o.gather(b.p('distilbert.embeddings.word_embeddings.weight', [c.vocabSize, H]), x.ids),
      o.gather(b.p('distilbert.embeddings.position_embeddings.weight', [c.maxPositions, H]), x.positions));
    h = b.dropout(b.layerNorm(h, 'distilbert.embeddings.LayerNorm'), c.hiddenDropout);
    for (let i = 0; i < c.layers; i++) {
      const L = `distilbert.transformer.layer.${i}`;
      const heads = (n: string) => splitHeads(b.linear(h, `${L}.attention.${n}`, H, H), c.heads, c.headDim);
      const attn = b.dropout(b.linear(attend(b, heads('q_lin'), heads('k_lin'), heads('v_lin'), x.attnBias), `${L}.attention.out_lin`, H, H), c.hiddenDropout);
      h = b.layerNorm(o.add(h, attn), `${L}.sa_layer_norm`);
      const ff = b.linear(activation(b.linear(h, `${L}.ffn.lin1`, H, c.intermediate), c.act), `${L}.ffn.lin2`, c.intermediate, H);
      h = b.layerNorm(o.add(h, b.dropout(ff, c.hiddenDropout)), `${L}.output_layer_norm`);
    }
    return { hidden: h };
  },
  lmHead(b, h) {
    const c = b.cfg, H = c.hidden;
    const t = b.layerNorm(activation(b.linear(h, 'vocab_transform', H, H), c.act), 'vocab_layer_norm');
    return o.add(o.matmul(t, o.transpose(b.p('distilbert.embeddings.word_embeddings.weight', [c.vocabSize, H]), [1, 0])), b.p('vocab_projector.bias', [c.vocabSize]));
  },
  classifierHead(b, h, numLabels, pooling, inputs) {
    const c = b.cfg, H = c.hidden;
    const t = o.relu(b.linear(pooled(h, pooling, inputs.mask), 'pre_classifier', H, H));
    return b.linear(b.dropout(t, c.hiddenDropout), 'classifier', H, numLabels);
  },
  defaultPooling: () => 'cls',
  isHeadParam: (n) => /^(classifier|pre_classifier|vocab_(transform|layer_norm|projector))\./.test(n),
  architectures: { classify: 'DistilBertForSequenceClassification', lm: 'DistilBertForMaskedLM' },
  lora: { targets: ['q_lin', 'v_lin'] },
};
