// RoBERTa (transformers' modeling_roberta): BERT's body under "roberta.*", positions offset by
// padding_idx + 1, no useful token types; heads "lm_head.*" (dense, GELU, LayerNorm, tied decoder)
// and "classifier.dense" -> tanh -> "classifier.out_proj" on the first token.
import { ops as o } from '../../engine/index.js';
import { opt } from '../config-fields.js';
import type { ModelFamily } from '../family.js';
import { activation } from '../layers.js';
import { bertBody, encoderConfig, pooled } from './bert.js';

export const roberta: ModelFamily = {
  name: 'roberta',
  modelTypes: ['roberta'],
  kind: 'encoder',
  config: (raw, file) => encoderConfig(raw, file, { typeVocabSize: 2, positionOffset: opt(raw, 'pad_token_id', 1) + 1 }),
  prefix: () => 'roberta',
  bareModules: ['embeddings.', 'encoder.', 'pooler.'],
  forward: (b, x) => bertBody(b, x, 'roberta'),
  lmHead(b, h) {
    const c = b.cfg, H = c.hidden;
    const t = b.layerNorm(activation(b.linear(h, 'lm_head.dense', H, H), 'gelu'), 'lm_head.layer_norm');
    return o.add(o.matmul(t, o.transpose(b.p('roberta.embeddings.word_embeddings.weight', [c.vocabSize, H]), [1, 0])), b.p('lm_head.bias', [c.vocabSize]));
  },
  classifierHead(b, h, numLabels, pooling, inputs) {
    const c = b.cfg, H = c.hidden;
    const t = o.tanh(b.linear(b.dropout(pooled(h, pooling, inputs.mask), c.hiddenDropout), 'classifier.dense', H, H));
    return b.linear(b.dropout(t, c.hiddenDropout), 'classifier.out_proj', H, numLabels);
  },
  defaultPooling: () => 'cls',
  isHeadParam: (n) => /^(classifier|lm_head)\.|^roberta\.pooler\./.test(n),
  architectures: { classify: 'RobertaForSequenceClassification', lm: 'RobertaForMaskedLM' },
  lora: { targets: ['query', 'value'] },
};
