// Qwen3 (transformers' modeling_qwen3; Qwen/Qwen3-0.6B ... ): the Llama decoder with an RMSNorm on
// each head's queries and keys ("self_attn.q_norm", "self_attn.k_norm", over head_dim) before
// RoPE, no q/k/v biases by default, and a head_dim of its own (128 unless config.json says
// otherwise, not hidden/heads). GGUF: llama.cpp's "qwen3" architecture, NeoX-style RoPE (HF's
// layout, no permutation), attn_q_norm / attn_k_norm tensors.
import { ops as o, type Tensor } from '../../engine/index.js';
import type { ModelFamily } from '../family.js';
import { Builder, ForwardInputs, ForwardOutputs, activation, applyRope, attend, ropeTables, splitHeads, withPast } from '../layers.js';
import { decoderConfig, decoderHeads, decoderToGguf } from './llama.js';

function qwen3Body(b: Builder, x: ForwardInputs): ForwardOutputs {
  const c = b.cfg, H = c.hidden, hd = c.headDim;
  let h: Tensor = o.gather(b.p('model.embed_tokens.weight', [c.vocabSize, H]), x.ids);
  const { cos, sin } = ropeTables(b.g, x.positions, hd, c.ropeTheta);
  const present: Array<{ k: Tensor; v: Tensor }> = [];
  for (let i = 0; i < c.layers; i++) {
    const L = `model.layers.${i}`;
    const n = b.rmsNorm(h, `${L}.input_layernorm`);
    // [B, T, heads*hd] -> per-head RMSNorm over hd -> [B, heads, T, hd] -> RoPE.
    const q = applyRope(splitHeads(b.rmsNorm(o.reshape(b.linear(n, `${L}.self_attn.q_proj`, H, c.heads * hd, c.attentionBias), [0, 0, c.heads, hd]), `${L}.self_attn.q_norm`, hd), c.heads, hd), cos, sin, hd);
    const k0 = applyRope(splitHeads(b.rmsNorm(o.reshape(b.linear(n, `${L}.self_attn.k_proj`, H, c.kvHeads * hd, c.attentionBias), [0, 0, c.kvHeads, hd]), `${L}.self_attn.k_norm`, hd), c.kvHeads, hd), cos, sin, hd);
    const v0 = splitHeads(b.linear(n, `${L}.self_attn.v_proj`, H, c.kvHeads * hd, c.attentionBias), c.kvHeads, hd);
    const { k, v } = withPast(k0, v0, x.past?.[i]);
    present.push({ k, v });
    h = o.add(h, b.linear(attend(b, q, k, v, x.attnBias), `${L}.self_attn.o_proj`, c.heads * hd, H, c.attentionBias));
    const m = b.rmsNorm(h, `${L}.post_attention_layernorm`);
    const gate = activation(b.linear(m, `${L}.mlp.gate_proj`, H, c.intermediate, false), c.act);
    h = o.add(h, b.linear(o.mul(gate, b.linear(m, `${L}.mlp.up_proj`, H, c.intermediate, false)), `${L}.mlp.down_proj`, c.intermediate, H, false));
  }
  return { hidden: b.rmsNorm(h, 'model.norm'), present };
}

export const qwen3: ModelFamily = {
  name: 'qwen3',
  modelTypes: ['qwen3'],
  kind: 'decoder',
  config: (raw, file) => decoderConfig(raw, file, { qkvBias: raw['attention_bias'] === true, headDim: 128 }),
  prefix: () => 'model',
  bareModules: ['embed_tokens.', 'layers.', 'norm.'],
  forward: qwen3Body,
  ...decoderHeads,
  architectures: { classify: 'Qwen3ForSequenceClassification', lm: 'Qwen3ForCausalLM' },
  lora: { targets: ['q_proj', 'v_proj'] },
  gguf: { arch: 'qwen3', convert: (c) => decoderToGguf(c, 'qwen3', { permute: false, qkNorm: true, headDim: 128 }) },
};
