// The cases of `npm run bench:scale`: real model shapes (seeded random weights, nothing downloaded),
// batch sizes and the FLOP count used for MFU. Shared by the parent (bench/scale.ts), the tuneshot
// child (bench/lib/tuneshot-scale.ts) and, through JSON, the PyTorch peer (bench/lib/torch_scale.py).

export type ScaleCaseName = 'bert_base_classify' | 'qwen05b_lora' | 'qwen05b_full';

export interface ScaleShape {
  family: 'bert' | 'qwen2';
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  vocab: number;
  maxPositions: number;
}

export interface ScaleCase {
  name: ScaleCaseName;
  shape: ScaleShape;
  batch: number;
  seq: number;
  /** 'full': every parameter trains; 'lora': adapters only (rank r on `targets`), the body frozen. */
  method: 'full' | 'lora';
  loss: 'classify' | 'clm';
  lora?: { r: number; alpha: number; targets: string[] };
  /** Run the PyTorch peer too. */
  torch: boolean;
  /** Timed steps after one warm-up step (BENCH_STEPS overrides). */
  steps: number;
}

export const BERT_BASE: ScaleShape = { family: 'bert', layers: 12, hidden: 768, heads: 12, kvHeads: 12, ffn: 3072, vocab: 30522, maxPositions: 512 };
export const QWEN05B: ScaleShape = { family: 'qwen2', layers: 24, hidden: 896, heads: 14, kvHeads: 2, ffn: 4864, vocab: 151936, maxPositions: 32768 };
const QWEN_LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

export const SCALE_CASES: ScaleCase[] = [
  { name: 'bert_base_classify', shape: BERT_BASE, batch: 16, seq: 128, method: 'full', loss: 'classify', torch: true, steps: 3 },
  { name: 'qwen05b_lora', shape: QWEN05B, batch: 4, seq: 256, method: 'lora', loss: 'clm', lora: { r: 16, alpha: 32, targets: QWEN_LORA_TARGETS }, torch: true, steps: 2 },
  { name: 'qwen05b_full', shape: QWEN05B, batch: 2, seq: 256, method: 'full', loss: 'clm', torch: false, steps: 2 },
];

/** Weights of the body's linear layers (no embeddings, norms or biases), which carry the FLOPs. */
export function bodyMatmulParams(s: ScaleShape): number {
  const H = s.hidden, hd = H / s.heads, kv = s.kvHeads * hd;
  const attn = H * H /* q */ + 2 * H * kv /* k, v */ + H * H; /* o */
  const mlp = s.family === 'bert' ? 2 * H * s.ffn : 3 * H * s.ffn;
  return s.layers * (attn + mlp);
}

/**
 * Model FLOPs of one training step of a case (forward + backward, elementwise work not counted):
 *   full:  6 x body weights x tokens   (2 forward, 2 for input gradients, 2 for weight gradients)
 *   lora:  4 x body weights x tokens   (frozen weights: no weight gradients; the adapters are < 1%)
 *   + attention scores and context, 4 T^2 H a layer and sequence forward, x3 with backward
 *   + the tied vocabulary projection of a causal LM (4x, or 6x when it trains); BERT's pooler and
 *     2-class head are negligible.
 */
export function scaleStepFlops(c: ScaleCase): number {
  const s = c.shape, tokens = c.batch * c.seq;
  const per = c.method === 'full' ? 6 : 4;
  const attention = 12 * s.layers * c.batch * c.seq * c.seq * s.hidden;
  const vocab = c.loss === 'clm' ? per * tokens * s.hidden * s.vocab : 0;
  return per * bodyMatmulParams(s) * tokens + attention + vocab;
}
