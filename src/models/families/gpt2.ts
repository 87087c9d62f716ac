// GPT-2 (transformers' modeling_gpt2): learned positions, pre-LayerNorm blocks, tanh GELU, the
// fused q/k/v projection "attn.c_attn" stored as Conv1D ([in, out]). Parameters "transformer.*",
// the LM head tied to "transformer.wte", classification "score" on the last token; LoRA on c_attn
// with PEFT's fan_in_fan_out. GGUF: llama.cpp's
// "gpt2" architecture (fused attn_qkv; Conv1D weights transposed to [out, in]).
import { ops as o, type Tensor } from '../../engine/index.js';
import { commonFields, num, opt } from '../config-fields.js';
import type { GgufContext, ModelFamily } from '../family.js';
import { activation, attend, causalLmLogits, lastTokenScore, splitHeads, withPast } from '../layers.js';

/** llama.cpp's gpt2 architecture; base checkpoints name the body without "transformer.". */
function gpt2ToGguf(c: GgufContext) {
  const arch = 'gpt2';
  const nLayer = c.num('n_layer');
  const hidden = c.num('n_embd');
  const pre = c.has('transformer.wte.weight') ? 'transformer.' : '';
  const embed = c.take(`${pre}wte.weight`)!;
  c.md.uint32(`${arch}.context_length`, c.num('n_positions', c.num('n_ctx', 1024)));
  c.md.uint32(`${arch}.embedding_length`, hidden);
  c.md.uint32(`${arch}.feed_forward_length`, c.num('n_inner', 4 * hidden));
  c.md.uint32(`${arch}.block_count`, nLayer);
  c.md.uint32(`${arch}.attention.head_count`, c.num('n_head'));
  c.md.float32(`${arch}.attention.layer_norm_epsilon`, c.num('layer_norm_epsilon', 1e-5));
  // [in, out] -> [out, in] (torch.nn.Linear's layout, which llama.cpp's matrices follow).
  const conv1d = (gguf: string, hf: string) => {
    const w = c.take(`${hf}.weight`)!;
    const [inn, outDim] = w.shape as [number, number];
    const t = new Float32Array(w.data.length);
    for (let i = 0; i < inn; i++) for (let o = 0; o < outDim; o++) t[o * inn + i] = w.data[i * outDim + o]!;
    c.put(`${gguf}.weight`, { shape: [outDim, inn], data: t });
    c.put(`${gguf}.bias`, c.take(`${hf}.bias`)!);
  };
  const norm = (gguf: string, hf: string) => {
    c.put(`${gguf}.weight`, c.take(`${hf}.weight`)!);
    c.put(`${gguf}.bias`, c.take(`${hf}.bias`)!);
  };
  c.put('token_embd.weight', embed); // also the output projection (tied): llama.cpp's gpt2 uses it when output.weight is absent
  c.put('position_embd.weight', c.take(`${pre}wpe.weight`)!);
  for (let i = 0; i < nLayer; i++) {
    const p = `${pre}h.${i}.`, g = `blk.${i}.`;
    norm(`${g}attn_norm`, `${p}ln_1`);
    conv1d(`${g}attn_qkv`, `${p}attn.c_attn`);
    conv1d(`${g}attn_output`, `${p}attn.c_proj`);
    norm(`${g}ffn_norm`, `${p}ln_2`);
    conv1d(`${g}ffn_up`, `${p}mlp.c_fc`);
    conv1d(`${g}ffn_down`, `${p}mlp.c_proj`);
  }
  norm('output_norm', `${pre}ln_f`);
  return { vocabSize: embed.shape[0]! };
}

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
  lora: { targets: ['c_attn'], fanInFanOut: true }, // Conv1D weights are [in, out]: PEFT's fan_in_fan_out
  gguf: { arch: 'gpt2', convert: gpt2ToGguf },
};
