// Llama (transformers' modeling_llama; also Mistral, SmolLM, TinyLlama): RMSNorm, rotary positions
// (rotate-half), SwiGLU MLP, grouped-query attention. Parameters "model.*", "lm_head.weight"
// (or tied to the embeddings), classification "score". GGUF: llama.cpp's "llama" architecture,
// whose RoPE pairs adjacent dimensions, so q/k rows are permuted on export. Qwen2 reuses the body.
import { ops as o } from '../../engine/index.js';
import { ConfigError, commonFields, num, opt, type RawConfig } from '../config-fields.js';
import type { FamilyConfig, GgufContext, ModelFamily } from '../family.js';
import { Builder, ForwardInputs, ForwardOutputs, activation, applyRope, attend, causalLmLogits, lastTokenScore, ropeTables, splitHeads, withPast } from '../layers.js';
import type { Tensor } from '../../engine/index.js';

export function decoderConfig(raw: RawConfig, file: string, o: { qkvBias: boolean; headDim?: number; tie?: boolean }): FamilyConfig {
  // Scaled RoPE (llama3, yarn, dynamic...) changes every position's rotation: refuse rather than run it as plain RoPE.
  const rs = raw['rope_scaling'] as { rope_type?: string; type?: string } | null | undefined;
  const scaling = rs ? rs.rope_type ?? rs.type : undefined;
  if (scaling && scaling !== 'default') throw new ConfigError(`${file}: rope_scaling type "${scaling}" is not supported yet (tuneshot implements plain RoPE)`);
  return {
    ...commonFields(raw, file, o.headDim !== undefined ? { headDim: o.headDim } : {}),
    intermediate: num(raw, file, 'intermediate_size'),
    maxPositions: opt(raw, 'max_position_embeddings', 2048),
    typeVocabSize: 0,
    eps: opt(raw, 'rms_norm_eps', 1e-6),
    ropeTheta: ropeTheta(raw),
    tieEmbeddings: typeof raw['tie_word_embeddings'] === 'boolean' ? raw['tie_word_embeddings'] : !!o.tie,
    attentionBias: o.qkvBias,
    act: String(raw['hidden_act'] ?? 'silu'),
    hiddenDropout: 0,
    attentionDropout: opt(raw, 'attention_dropout', 0),
    positionOffset: 0,
  };
}

/** rope_theta, or its newer home rope_parameters.rope_theta. */
export function ropeTheta(raw: RawConfig, fallback = 10000): number {
  const p = raw['rope_parameters'] as { rope_theta?: unknown } | undefined;
  return typeof raw['rope_theta'] === 'number' ? raw['rope_theta'] : typeof p?.rope_theta === 'number' ? p.rope_theta : fallback;
}

/** The decoder body: `qkvBias` on q/k/v (Qwen2, attention_bias), `oBias` on o_proj (attention_bias). */
export function llamaBody(b: Builder, x: ForwardInputs, o_: { oBias: boolean } = { oBias: false }): ForwardOutputs {
  const c = b.cfg, H = c.hidden, hd = c.headDim;
  let h: Tensor = o.gather(b.p('model.embed_tokens.weight', [c.vocabSize, H]), x.ids);
  const { cos, sin } = ropeTables(b.g, x.positions, hd, c.ropeTheta);
  const present: Array<{ k: Tensor; v: Tensor }> = [];
  for (let i = 0; i < c.layers; i++) {
    const L = `model.layers.${i}`;
    const n = b.rmsNorm(h, `${L}.input_layernorm`);
    const q = applyRope(splitHeads(b.linear(n, `${L}.self_attn.q_proj`, H, c.heads * hd, c.attentionBias), c.heads, hd), cos, sin, hd);
    const k0 = applyRope(splitHeads(b.linear(n, `${L}.self_attn.k_proj`, H, c.kvHeads * hd, c.attentionBias), c.kvHeads, hd), cos, sin, hd);
    const v0 = splitHeads(b.linear(n, `${L}.self_attn.v_proj`, H, c.kvHeads * hd, c.attentionBias), c.kvHeads, hd);
    const { k, v } = withPast(k0, v0, x.past?.[i]);
    present.push({ k, v });
    h = o.add(h, b.linear(attend(b, q, k, v, x.attnBias), `${L}.self_attn.o_proj`, c.heads * hd, H, o_.oBias));
    const m = b.rmsNorm(h, `${L}.post_attention_layernorm`);
    const gate = activation(b.linear(m, `${L}.mlp.gate_proj`, H, c.intermediate, false), c.act);
    h = o.add(h, b.linear(o.mul(gate, b.linear(m, `${L}.mlp.up_proj`, H, c.intermediate, false)), `${L}.mlp.down_proj`, c.intermediate, H, false));
  }
  return { hidden: b.rmsNorm(h, 'model.norm'), present };
}

/**
 * Reorder the rows of a q/k projection from the "rotate half" RoPE layout to the interleaved-pairs
 * layout llama.cpp's llama architecture expects. Within each head of `headDim` rows, new row
 * 2*i + j takes old row j*headDim/2 + i (i < headDim/2, j in {0,1}). Works for weights
 * ([rows, cols]) and biases (cols = 1).
 */
export function permuteRope(data: Float32Array, rows: number, nHead: number): Float32Array {
  if (rows % nHead !== 0) throw new Error(`cannot permute ${rows} rows into ${nHead} heads`);
  const headDim = rows / nHead;
  if (headDim % 2 !== 0) throw new Error(`RoPE head dim ${headDim} is odd`);
  const cols = data.length / rows;
  const half = headDim / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < nHead; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * headDim + j * half + i) * cols;
        const dst = (h * headDim + 2 * i + j) * cols;
        out.set(data.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

/**
 * Metadata and tensors of a llama-style decoder in llama.cpp names. `permute`: the llama
 * architecture (interleaved RoPE); Qwen2/Qwen3 use NeoX-style RoPE, HF's own layout.
 */
export function decoderToGguf(c: GgufContext, arch: string, o_: { permute: boolean; qkNorm?: boolean; headDim?: number }) {
  const hidden = c.num('hidden_size');
  const nLayer = c.num('num_hidden_layers');
  const nHead = c.num('num_attention_heads');
  const nKv = c.num('num_key_value_heads', nHead);
  const headDim = c.num('head_dim', o_.headDim ?? hidden / nHead);
  const embed = c.take('model.embed_tokens.weight')!;
  c.md.uint32(`${arch}.vocab_size`, embed.shape[0]!);
  c.md.uint32(`${arch}.context_length`, c.num('max_position_embeddings', 2048));
  c.md.uint32(`${arch}.embedding_length`, hidden);
  c.md.uint32(`${arch}.block_count`, nLayer);
  c.md.uint32(`${arch}.feed_forward_length`, c.num('intermediate_size'));
  c.md.uint32(`${arch}.attention.head_count`, nHead);
  c.md.uint32(`${arch}.attention.head_count_kv`, nKv);
  c.md.float32(`${arch}.rope.freq_base`, ropeTheta(c.config));
  c.md.float32(`${arch}.attention.layer_norm_rms_epsilon`, c.num('rms_norm_eps', 1e-6));
  c.md.uint32(`${arch}.rope.dimension_count`, headDim);
  if (headDim !== hidden / nHead) {
    c.md.uint32(`${arch}.attention.key_length`, headDim);
    c.md.uint32(`${arch}.attention.value_length`, headDim);
  }
  const rope = (t: { shape: readonly number[]; data: Float32Array }, heads: number) => (o_.permute ? permuteRope(t.data, t.shape[0]!, heads) : t.data);
  c.put('token_embd.weight', embed);
  for (let i = 0; i < nLayer; i++) {
    const p = `model.layers.${i}.`, g = `blk.${i}.`;
    c.put(`${g}attn_norm.weight`, c.take(`${p}input_layernorm.weight`)!);
    const q = c.take(`${p}self_attn.q_proj.weight`)!;
    c.put(`${g}attn_q.weight`, q, rope(q, nHead));
    const k = c.take(`${p}self_attn.k_proj.weight`)!;
    c.put(`${g}attn_k.weight`, k, rope(k, nKv));
    c.put(`${g}attn_v.weight`, c.take(`${p}self_attn.v_proj.weight`)!);
    const qb = c.take(`${p}self_attn.q_proj.bias`, true);
    if (qb) c.put(`${g}attn_q.bias`, qb, rope(qb, nHead));
    const kb = c.take(`${p}self_attn.k_proj.bias`, true);
    if (kb) c.put(`${g}attn_k.bias`, kb, rope(kb, nKv));
    const vb = c.take(`${p}self_attn.v_proj.bias`, true);
    if (vb) c.put(`${g}attn_v.bias`, vb);
    if (o_.qkNorm) {
      c.put(`${g}attn_q_norm.weight`, c.take(`${p}self_attn.q_norm.weight`)!);
      c.put(`${g}attn_k_norm.weight`, c.take(`${p}self_attn.k_norm.weight`)!);
    }
    c.put(`${g}attn_output.weight`, c.take(`${p}self_attn.o_proj.weight`)!);
    const ob = c.take(`${p}self_attn.o_proj.bias`, true);
    if (ob) c.put(`${g}attn_output.bias`, ob);
    c.put(`${g}ffn_norm.weight`, c.take(`${p}post_attention_layernorm.weight`)!);
    c.put(`${g}ffn_gate.weight`, c.take(`${p}mlp.gate_proj.weight`)!);
    c.put(`${g}ffn_up.weight`, c.take(`${p}mlp.up_proj.weight`)!);
    c.put(`${g}ffn_down.weight`, c.take(`${p}mlp.down_proj.weight`)!);
  }
  c.put('output_norm.weight', c.take('model.norm.weight')!);
  const tied = c.config['tie_word_embeddings'] === true;
  const head = c.take('lm_head.weight', tied);
  if (head && !tied) c.put('output.weight', head);
  return { vocabSize: embed.shape[0]! };
}

/** Decoder heads every llama-style family shares: lm_head (or tied embeddings) and `score`. */
export const decoderHeads = {
  lmHead: (b: Builder, h: Tensor) => causalLmLogits(b, h, 'model.embed_tokens.weight', b.cfg.tieEmbeddings),
  classifierHead: (b: Builder, h: Tensor, numLabels: number, _pooling: 'cls' | 'mean', inputs: { lastIndex(): Tensor }) => lastTokenScore(b, h, inputs.lastIndex(), numLabels),
  isHeadParam: (n: string) => /^(score|lm_head)\./.test(n),
};

export const llama: ModelFamily = {
  name: 'llama',
  modelTypes: ['llama', 'mistral'],
  kind: 'decoder',
  config: (raw, file) => decoderConfig(raw, file, { qkvBias: raw['attention_bias'] === true }),
  prefix: () => 'model',
  bareModules: ['embed_tokens.', 'layers.', 'norm.'],
  forward: (b, x) => llamaBody(b, x, { oBias: b.cfg.attentionBias }),
  ...decoderHeads,
  architectures: { classify: 'LlamaForSequenceClassification', lm: 'LlamaForCausalLM' },
  lora: { targets: ['q_proj', 'v_proj'] },
  gguf: { arch: 'llama', convert: (c) => decoderToGguf(c, 'llama', { permute: true }) },
};
