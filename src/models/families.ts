// The three transformer families, each readable top to bottom, with parameters named exactly as
// Hugging Face transformers names them (so checkpoints move between tools unchanged).
import { Tensor, ops as o } from '../engine/index.js';
import { Builder, ForwardInputs, ForwardOutputs, activation, applyRope, attend, ropeTables, splitHeads, withPast } from './layers.js';

// ---- BERT family (BERT, RoBERTa, MiniLM-style configs): absolute positions, token types, post-LN, GELU ----

/** Prefix of the encoder's parameters: "bert", "roberta" (checkpoints without it are renamed on load). */
export function encoderPrefix(modelType: string): string {
  return modelType === 'roberta' ? 'roberta' : modelType === 'distilbert' ? 'distilbert' : 'bert';
}

export function bertForward(b: Builder, x: ForwardInputs): ForwardOutputs {
  const c = b.cfg, H = c.hidden, pre = encoderPrefix(c.modelType);
  if (c.modelType === 'distilbert') return distilbertForward(b, x);
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

function distilbertForward(b: Builder, x: ForwardInputs): ForwardOutputs {
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
}

/** Masked-LM logits [B, T, V]; the decoder is tied to the word embeddings. */
export function bertMlmHead(b: Builder, h: Tensor): Tensor {
  const c = b.cfg, H = c.hidden, pre = encoderPrefix(c.modelType);
  const emb = b.p(`${pre}.embeddings.word_embeddings.weight`, [c.vocabSize, H]);
  let t: Tensor;
  let biasName: string;
  if (c.modelType === 'roberta') {
    t = b.layerNorm(activation(b.linear(h, 'lm_head.dense', H, H), 'gelu'), 'lm_head.layer_norm');
    biasName = 'lm_head.bias';
  } else if (c.modelType === 'distilbert') {
    t = b.layerNorm(activation(b.linear(h, 'vocab_transform', H, H), c.act), 'vocab_layer_norm');
    biasName = 'vocab_projector.bias';
  } else {
    t = b.layerNorm(activation(b.linear(h, 'cls.predictions.transform.dense', H, H), c.act), 'cls.predictions.transform.LayerNorm');
    biasName = 'cls.predictions.bias';
  }
  return o.add(o.matmul(t, o.transpose(emb, [1, 0])), b.p(biasName, [c.vocabSize]));
}

/** Sequence-classification logits [B, C] from the first token, as each model type's HF head does it. */
export function bertClassifierHead(b: Builder, h: Tensor, numLabels: number, pooling: 'cls' | 'mean', mask?: Tensor): Tensor {
  const c = b.cfg, H = c.hidden, pre = encoderPrefix(c.modelType);
  const first = pooling === 'mean' && mask ? meanPool(h, mask) : o.gather(h, o.scalar(h.graph, 0, 'int64'), 1);
  if (c.modelType === 'roberta') {
    const t = o.tanh(b.linear(b.dropout(first, c.hiddenDropout), 'classifier.dense', H, H));
    return b.linear(b.dropout(t, c.hiddenDropout), 'classifier.out_proj', H, numLabels);
  }
  if (c.modelType === 'distilbert') {
    const t = o.relu(b.linear(first, 'pre_classifier', H, H));
    return b.linear(b.dropout(t, c.hiddenDropout), 'classifier', H, numLabels);
  }
  const pooled = o.tanh(b.linear(first, `${pre}.pooler.dense`, H, H));
  return b.linear(b.dropout(pooled, c.hiddenDropout), 'classifier', H, numLabels);
}

/** Mean of hidden states over real (mask = 1) tokens: h [B, T, H], mask [B, T] float. */
export function meanPool(h: Tensor, mask: Tensor): Tensor {
  const m = o.unsqueeze(mask, [-1]);
  return o.div(o.reduceSum(o.mul(h, m), [1]), o.max(o.reduceSum(m, [1]), 1e-9));
}

// ---- Llama family (Llama, Qwen2, SmolLM, TinyLlama): RMSNorm, RoPE, SwiGLU, grouped-query attention ----

export function llamaForward(b: Builder, x: ForwardInputs): ForwardOutputs {
  const c = b.cfg, H = c.hidden, hd = c.headDim;
  let h = o.gather(b.p('model.embed_tokens.weight', [c.vocabSize, H]), x.ids);
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
    h = o.add(h, b.linear(attend(b, q, k, v, x.attnBias), `${L}.self_attn.o_proj`, c.heads * hd, H, false));
    const m = b.rmsNorm(h, `${L}.post_attention_layernorm`);
    const gate = activation(b.linear(m, `${L}.mlp.gate_proj`, H, c.intermediate, false), c.act);
    h = o.add(h, b.linear(o.mul(gate, b.linear(m, `${L}.mlp.up_proj`, H, c.intermediate, false)), `${L}.mlp.down_proj`, c.intermediate, H, false));
  }
  return { hidden: b.rmsNorm(h, 'model.norm'), present };
}

// ---- GPT-2: learned positions, pre-LN, tanh GELU, fused c_attn stored as Conv1D ----

export function gpt2Forward(b: Builder, x: ForwardInputs): ForwardOutputs {
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
}

// ---- decoder heads (llama and gpt2) ----

export function decoderEmbeddingName(family: 'llama' | 'gpt2'): string {
  return family === 'llama' ? 'model.embed_tokens.weight' : 'transformer.wte.weight';
}

/** Causal-LM logits [B, T, V]: lm_head, or the tied input embeddings. */
export function causalLmHead(b: Builder, h: Tensor): Tensor {
  const c = b.cfg;
  const tied = c.family === 'gpt2' || c.tieEmbeddings;
  const w = tied ? b.p(decoderEmbeddingName(c.family as 'llama' | 'gpt2'), [c.vocabSize, c.hidden]) : b.p('lm_head.weight', [c.vocabSize, c.hidden]);
  return o.matmul(h, o.transpose(w, [1, 0]));
}

/** Sequence classification for decoders: `score` on the last real token (index given per row). */
export function decoderClassifierHead(b: Builder, h: Tensor, lastIndex: Tensor, numLabels: number): Tensor {
  // lastIndex [B] int64 -> gather hidden [B, T, H] at (row, lastIndex[row]) via a flattened view.
  const flat = o.reshape(h, [-1, b.cfg.hidden]);
  const picked = o.gather(flat, lastIndex); // lastIndex holds row * T + last
  return b.linear(picked, 'score', b.cfg.hidden, numLabels, false);
}
