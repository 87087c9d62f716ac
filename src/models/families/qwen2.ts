// Qwen2 / Qwen2.5 (transformers' modeling_qwen2): the Llama body with biases on the q, k and v
// projections (not on o_proj), rope_theta 1e6 in released configs. GGUF: llama.cpp's "qwen2"
// architecture, NeoX-style RoPE (HF layout, no permutation), biases required.
import type { ModelFamily } from '../family.js';
import { decoderConfig, decoderHeads, decoderToGguf, llamaBody } from './llama.js';

export const qwen2: ModelFamily = {
  name: 'qwen2',
  modelTypes: ['qwen2'],
  kind: 'decoder',
  config: (raw, file) => decoderConfig(raw, file, { qkvBias: true }),
  prefix: () => 'model',
  bareModules: ['embed_tokens.', 'layers.', 'norm.'],
  forward: (b, x) => llamaBody(b, x, { oBias: false }),
  ...decoderHeads,
  architectures: { classify: 'Qwen2ForSequenceClassification', lm: 'Qwen2ForCausalLM' },
  lora: { targets: ['q_proj', 'v_proj'] },
  gguf: { arch: 'qwen2', convert: (c) => decoderToGguf(c, 'qwen2', { permute: false }) },
};
