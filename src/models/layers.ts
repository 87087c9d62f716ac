// Building blocks shared by the model families: parameters by Hugging Face name, linear layers in
// both storage layouts, activations, norms, multi-head / grouped-query attention and RoPE.
import { Graph, Tensor, ops as o } from '../engine/index.js';
import type { ModelConfig } from './config.js';

/** Inputs every family's forward graph reads. */
export interface ForwardInputs {
  ids: Tensor; // [B, T] int64
  positions: Tensor; // [B, T] int64
  /** Additive attention bias [B, 1, T, S]: 0 where attending is allowed, -1e9 elsewhere (padding, future). */
  attnBias: Tensor;
  tokenTypes?: Tensor; // [B, T] int64 (bert)
  /** Per layer past keys/values [B, kvHeads, P, headDim] for incremental decoding. */
  past?: Array<{ k: Tensor; v: Tensor }>;
}

export interface ForwardOutputs {
  hidden: Tensor; // [B, T, H]
  present?: Array<{ k: Tensor; v: Tensor }>;
}

/** LoRA adapters (Hu et al. 2021) as PEFT configures them: rank, scaling alpha/r, dropout, target module names. */
export interface LoraSpec {
  r: number;
  alpha: number;
  dropout: number;
  /** Module name suffixes, as PEFT's target_modules (e.g. "query", "value", "q_proj"). */
  targetModules: string[];
  /** PEFT's fan_in_fan_out: the adapted weights are stored [in, out] (GPT-2's Conv1D), not [out, in]. */
  fanInFanOut?: boolean;
}

export function isLoraTarget(module: string, spec: LoraSpec): boolean {
  return spec.targetModules.some((t) => module === t || module.endsWith(`.${t}`));
}

/** Graph-building context: the graph, the config, and parameters created once per HF name. */
export class Builder {
  private made = new Map<string, Tensor>();
  private dropouts = 0;
  constructor(readonly g: Graph, readonly cfg: ModelConfig, readonly training: boolean, readonly seed = 0, readonly lora?: LoraSpec) {}

  p(name: string, shape: number[]): Tensor {
    let t = this.made.get(name);
    if (!t) this.made.set(name, (t = this.g.param(name, shape)));
    return t;
  }

  dropout(x: Tensor, ratio: number): Tensor {
    return this.training && ratio > 0 ? o.dropout(x, ratio, this.seed * 1000 + this.dropouts++) : x;
  }

  /** torch.nn.Linear: weight stored [out, in]. */
  linear(x: Tensor, name: string, inDim: number, outDim: number, bias = true): Tensor {
    let y = o.matmul(x, o.transpose(this.p(`${name}.weight`, [outDim, inDim]), [1, 0]));
    if (this.lora && isLoraTarget(name, this.lora)) y = o.add(y, this.loraDelta(x, name, inDim, outDim)); // W x + (alpha / r) B A dropout(x)
    return bias ? o.add(y, this.p(`${name}.bias`, [outDim])) : y;
  }

  /** GPT-2's Conv1D: weight stored [in, out]. LoRA as PEFT applies it with fan_in_fan_out: A [r, in], B [out, r], as for linear. */
  conv1d(x: Tensor, name: string, inDim: number, outDim: number): Tensor {
    let y = o.matmul(x, this.p(`${name}.weight`, [inDim, outDim]));
    if (this.lora && isLoraTarget(name, this.lora)) y = o.add(y, this.loraDelta(x, name, inDim, outDim));
    return o.add(y, this.p(`${name}.bias`, [outDim]));
  }

  /** (alpha / r) B A dropout(x), with A [r, in] and B [out, r] named as PEFT names them. */
  private loraDelta(x: Tensor, name: string, inDim: number, outDim: number): Tensor {
    const spec = this.lora!;
    const a = this.p(`${name}.lora_A.weight`, [spec.r, inDim]), b = this.p(`${name}.lora_B.weight`, [outDim, spec.r]);
    const low = o.matmul(o.matmul(this.dropout(x, spec.dropout), o.transpose(a, [1, 0])), o.transpose(b, [1, 0]));
    return o.mul(low, spec.alpha / spec.r);
  }

  /** torch.nn.LayerNorm over the hidden size; `bias: false` for LayerNorm(..., bias=False) (a zero constant). */
  layerNorm(x: Tensor, name: string, eps = this.cfg.eps, opts: { bias?: boolean } = {}): Tensor {
    const h = this.cfg.hidden;
    const bias = opts.bias === false ? this.zeros(h) : this.p(`${name}.bias`, [h]);
    return o.layerNorm(x, this.p(`${name}.weight`, [h]), bias, eps);
  }

  /** RMSNorm (Llama): x / sqrt(mean(x^2) + eps) * weight, over the last axis of size `dim`. */
  rmsNorm(x: Tensor, name: string, dim = this.cfg.hidden): Tensor {
    const ms = o.reduceMean(o.mul(x, x), [-1], true);
    return o.mul(o.div(x, o.sqrt(o.add(ms, this.cfg.eps))), this.p(`${name}.weight`, [dim]));
  }

  private zeroConsts = new Map<number, Tensor>();
  private zeros(n: number): Tensor {
    let t = this.zeroConsts.get(n);
    if (!t) this.zeroConsts.set(n, (t = this.g.constant('float32', [n], new Float32Array(n), `zeros_${n}`)));
    return t;
  }
}

export function activation(x: Tensor, act: string): Tensor {
  switch (act) {
    case 'gelu':
      return o.mul(o.mul(x, 0.5), o.add(o.erf(o.mul(x, Math.SQRT1_2)), 1));
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast': {
      const inner = o.mul(o.add(x, o.mul(o.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
      return o.mul(o.mul(x, 0.5), o.add(o.tanh(inner), 1));
    }
    case 'silu':
    case 'swish':
      return o.mul(x, o.sigmoid(x));
    case 'relu':
      return o.relu(x);
    default:
      throw new Error(`unsupported activation "${act}" (supported: gelu, gelu_new, gelu_pytorch_tanh, silu, relu)`);
  }
}

/** [B, T, n*hd] -> [B, n, T, hd] */
export function splitHeads(x: Tensor, n: number, hd: number): Tensor {
  return o.transpose(o.reshape(x, [0, 0, n, hd]), [0, 2, 1, 3]);
}

/**
 * Scaled dot-product attention, grouped-query aware: q [B, h, T, hd], k/v [B, kvh, S, hd],
 * bias [B, 1, T, S]. Query heads that share a key/value head are grouped on an extra axis so
 * MatMul broadcasting does the sharing (no copies of k and v). Returns [B, T, h*hd].
 */
export function attend(b: Builder, q: Tensor, k: Tensor, v: Tensor, bias: Tensor): Tensor {
  const { heads: h, kvHeads: kvh, headDim: hd } = b.cfg;
  const scale = 1 / Math.sqrt(hd);
  let ctx: Tensor;
  if (kvh === h) {
    const probs = b.dropout(o.softmax(o.add(o.mul(o.matmul(q, o.transposeLast(k)), scale), bias)), b.cfg.attentionDropout);
    ctx = o.matmul(probs, v);
  } else {
    const rep = h / kvh;
    const q5 = o.reshape(q, [0, kvh, rep, -1, hd]);
    const k5 = o.unsqueeze(k, [2]), v5 = o.unsqueeze(v, [2]);
    const scores = o.add(o.mul(o.matmul(q5, o.transposeLast(k5)), scale), o.unsqueeze(bias, [2]));
    const probs = b.dropout(o.softmax(scores), b.cfg.attentionDropout);
    ctx = o.reshape(o.matmul(probs, v5), [0, h, -1, hd]);
  }
  return o.reshape(o.transpose(ctx, [0, 2, 1, 3]), [0, 0, h * hd]);
}

/** Rotary position embedding (HF "rotate half" layout): cos/sin tables [B, 1, T, hd] from positions. */
export function ropeTables(g: Graph, positions: Tensor, hd: number, theta: number): { cos: Tensor; sin: Tensor } {
  const half = hd / 2;
  const invFreq = g.constant('float32', [half], Array.from({ length: half }, (_, i) => 1 / theta ** ((2 * i) / hd)), 'rope_inv_freq');
  const freqs = o.mul(o.unsqueeze(o.cast(positions, 'float32'), [-1]), invFreq); // [B, T, half]
  const emb = o.unsqueeze(o.concat([freqs, freqs], -1), [1]); // [B, 1, T, hd]
  return { cos: o.cos(emb), sin: o.sin(emb) };
}

export function applyRope(x: Tensor, cos: Tensor, sin: Tensor, hd: number): Tensor {
  const half = hd / 2;
  const rotated = o.concat([o.neg(o.slice(x, -1, half, hd)), o.slice(x, -1, 0, half)], -1);
  return o.add(o.mul(x, cos), o.mul(rotated, sin));
}

/** Append this step's keys/values to the cache (incremental decoding). */
export function withPast(k: Tensor, v: Tensor, past: { k: Tensor; v: Tensor } | undefined): { k: Tensor; v: Tensor } {
  return past ? { k: o.concat([past.k, k], 2), v: o.concat([past.v, v], 2) } : { k, v };
}

/** Mean of hidden states over real (mask = 1) tokens: h [B, T, H], mask [B, T] float. */
export function meanPool(h: Tensor, mask: Tensor): Tensor {
  const m = o.unsqueeze(mask, [-1]);
  return o.div(o.reduceSum(o.mul(h, m), [1]), o.max(o.reduceSum(m, [1]), 1e-9));
}

/** The first token's hidden state [B, H] (BERT's [CLS]). */
export const firstToken = (h: Tensor) => o.gather(h, o.scalar(h.graph, 0, 'int64'), 1);

/** Causal-LM logits [B, T, V]: `lm_head`, or the input embeddings when tied. */
export function causalLmLogits(b: Builder, h: Tensor, embeddingName: string, tied: boolean): Tensor {
  const w = b.p(tied ? embeddingName : 'lm_head.weight', [b.cfg.vocabSize, b.cfg.hidden]);
  return o.matmul(h, o.transpose(w, [1, 0]));
}

/** Decoder sequence classification (*ForSequenceClassification): `score` on each row's last real token. */
export function lastTokenScore(b: Builder, h: Tensor, lastIndex: Tensor, numLabels: number): Tensor {
  const picked = o.gather(o.reshape(h, [-1, b.cfg.hidden]), lastIndex); // lastIndex holds row * T + last
  return b.linear(picked, 'score', b.cfg.hidden, numLabels, false);
}
