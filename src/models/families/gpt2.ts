// GPT-2 (transformers' modeling_gpt2): learned positions, pre-LayerNorm blocks, tanh GELU, the
// fused q/k/v projection "attn.c_attn" stored as Conv1D ([in, out]). Parameters "transformer.*",
// the LM head tied to "transformer.wte", classification "score" on the last token.
import { ops as o, type Tensor } from '../../engine/index.js';
import { commonFields, num, opt } from '../config-fields.js';
import type { ModelFamily } from '../family.js';
import { activation, attend, causalLmLogits, lastTokenScore, splitHeads, withPast } from '../layers.js';

export const gpt2: ModelFamily = {
  name: 'gpt2',
  modelTypes: ['gpt2'],
  kind: 'decoder',
  config: (raw, file) => {
    const base = commonFields(raw, file);
    return {
      ...base,
      intermediate: opt(raw, 'n_inner', 4 * base.hidden),
      maxPositions: num(raw, file, 'n_positions', 'max_position_embeddings'),
      typeVocabSize: 0,
      eps: opt(raw, 'layer_norm_epsilon', 1e-5),
      ropeTheta: 0,
      tieEmbeddings: true,
      attentionBias: true,
      act: String(raw['activation_function'] ?? 'gelu_new'),
      hiddenDropout: opt(raw, 'resid_pdrop', 0.1),
      attentionDropout: opt(raw, 'attn_pdrop', 0.1),
      positionOffset: 0,
    };
  },
  prefix: () => 'transformer',
  bareModules: ['wte.', 'wpe.', 'h.', 'ln_f.'],
  forward(b, x) {
    const c = b.cfg, H = c.hidden, hd = c.headDim;
    let h = o.add(o.gather(b.p('transformer.wte.weight', [c.vocabSize, H]), x.ids), o.gather(b.p('transformer.wpe.weight', [c.maxPositions, H]), x.positions));
    h = b.dropout(h, c.hiddenDropout);
    const present: Array<{ k: Tensor; v: Tensor }> = [];
    for (let i = 0; i < c.layers; i++) {
      const L = `transformer.h.${i}`;
      const qkv = b.conv1d(b.layerNorm(h, `${L}.ln_1`), `${L}.attn.c_attn`, H, 3 * H);
      const [q, k0, v0] = o.split(qkv, -1, [H, H, H]).map((t) => splitHeads(t, c.heads, hd)) as [Tensor, Tensor, Tensor];
      const { k, v } = withPast(k0, v0, x.past?.[i]);
      present.push({ k, v });
      h = o.add(h, b.dropout(b.conv1d(attend(b, q, k, v, x.attnBias), `${L}.attn.c_proj`, H, H), c.hiddenDropout));
      const ff = b.conv1d(activation(b.conv1d(b.layerNorm(h, `${L}.ln_2`), `${L}.mlp.c_fc`, H, c.intermediate), c.act), `${L}.mlp.c_proj`, c.intermediate, H);
      h = o.add(h, b.dropout(ff, c.hiddenDropout));
    }
    return { hidden: b.layerNorm(h, 'transformer.ln_f'), present };
  },
  lmHead: (b, h) => causalLmLogits(b, h, 'transformer.wte.weight', true),
  classifierHead: (b, h, numLabels, _pooling, inputs) => lastTokenScore(b, h, inputs.lastIndex(), numLabels),
  isHeadParam: (n) => /^(score|lm_head)\./.test(n),
  architectures: { classify: 'GPT2ForSequenceClassification', lm: 'GPT2LMHeadModel' },
  lora: { unsupported: 'LoRA on GPT-2 (Conv1D layers) is not supported yet; use a Llama/Qwen-family decoder or method full/head' },
};
