// ModernBERT against an independent reference: a plain-loop forward pass written in this file from
// transformers' modeling_modernbert (embeddings LayerNorm without bias; per layer: attention norm
// (none in layer 0), fused Wqkv, rotate-half RoPE with the global or local theta, a sliding window
// of local_attention/2 on each side in local layers, GeGLU MLP; final norm; prediction head; tied
// decoder; cls/mean pooled classifier). llama.cpp has no ModernBERT, so no GGUF parity here.
// Tolerance: 1e-4 absolute on logits of magnitude ~1-10 (float32 graph vs float64 loops).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TransformerModel } from '../../src/models/index.js';
import { forwardTexts } from '../../src/models/inference.js';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { checkpointToGguf } from '../../src/formats/gguf.js';
import { readCheckpoint } from '../../src/formats/checkpoint.js';
import { finetune } from '../../src/train/finetune.js';
import { mulberry32 } from '../../src/engine/index.js';
import { writeBertTokenizer } from '../fixtures/tiny-tokenizers.js';

const tmp = () => mkdtemp(path.join(tmpdir(), 'tuneshot-modernbert-'));

function configFor(vocab: number, pooling: 'cls' | 'mean') {
  return {
    model_type: 'modernbert', architectures: ['ModernBertForMaskedLM'], vocab_size: vocab, hidden_size: 32, intermediate_size: 48,
    num_hidden_layers: 4, num_attention_heads: 4, max_position_embeddings: 64, norm_eps: 1e-5, norm_bias: false,
    global_rope_theta: 160000, local_rope_theta: 10000, local_attention: 4, global_attn_every_n_layers: 3,
    hidden_activation: 'gelu', classifier_activation: 'gelu', classifier_pooling: pooling, attention_bias: false, mlp_bias: false,
    classifier_bias: false, decoder_bias: true, pad_token_id: 0, cls_token_id: 2, sep_token_id: 3, tie_word_embeddings: true,
  };
}

/** A random ModernBERT with weights large enough that every part of the network changes the output. */
async function randomModernBert(dir: string, pooling: 'cls' | 'mean') {
  const vocab = await writeBertTokenizer(dir);
  const m = TransformerModel.fromConfig(configFor(vocab.size, pooling), { seed: 5, head: 'mlm', tokenizer: await Tokenizer.fromFolder(dir) });
  m.ensureParams({ head: 'cls', numLabels: 3 }, 6);
  const r = mulberry32(11);
  for (const name of m.params.names()) {
    const d = m.params.get(name)!.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = /norm/.test(name) ? 1 + (r() - 0.5) * 0.4 : d[i]! * 10 + (name.endsWith('bias') ? (r() - 0.5) * 0.2 : 0);
  }
  m.tokenizerDir = dir;
  return m;
}

// ---- the reference: transformers' ModernBERT, eager attention, as plain loops in float64 ----

type Mat = number[][];
const W = (m: TransformerModel, name: string) => { const t = m.params.get(name)!; return { data: t.data as Float32Array, shape: t.shape as number[] }; };
const linear = (x: Mat, w: { data: Float32Array; shape: number[] }, bias?: Float32Array): Mat =>
  x.map((row) => Array.from({ length: w.shape[0]! }, (_, o) => {
    let s = bias ? bias[o]! : 0;
    for (let i = 0; i < w.shape[1]!; i++) s += w.data[o * w.shape[1]! + i]! * row[i]!;
    return s;
  }));
const layerNorm = (x: Mat, w: Float32Array, eps: number): Mat => x.map((row) => {
  const mean = row.reduce((a, b) => a + b, 0) / row.length;
  const v = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
  return row.map((val, i) => ((val - mean) / Math.sqrt(v + eps)) * w[i]!);
});
const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
function erf(x: number): number {
  // Numerical Recipes' Chebyshev fit of erfc (relative error below 1.2e-7), fine at a 1e-4 tolerance.
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? y : -y;
}

function referenceHidden(m: TransformerModel, ids: number[], mask: number[]): Mat {
  const c = m.config, H = c.hidden, nh = c.heads, hd = H / nh, T = ids.length, eps = 1e-5;
  const emb = W(m, 'model.embeddings.tok_embeddings.weight').data;
  let h: Mat = layerNorm(ids.map((id) => Array.from(emb.subarray(id * H, (id + 1) * H))), W(m, 'model.embeddings.norm.weight').data, eps);
  for (let l = 0; l < c.layers; l++) {
    const P = `model.layers.${l}.`, global = l % 3 === 0, theta = global ? 160000 : 10000;
    const a = l === 0 ? h : layerNorm(h, W(m, `${P}attn_norm.weight`).data, eps);
    const qkv = linear(a, W(m, `${P}attn.Wqkv.weight`));
    const rope = (vec: number[], pos: number) => {
      const out = [...vec];
      for (let i = 0; i < hd / 2; i++) {
        const f = pos / theta ** ((2 * i) / hd), cos = Math.cos(f), sin = Math.sin(f);
        out[i] = vec[i]! * cos - vec[i + hd / 2]! * sin;
        out[i + hd / 2] = vec[i + hd / 2]! * cos + vec[i]! * sin;
      }
      return out;
    };
    const ctx: Mat = Array.from({ length: T }, () => new Array(H).fill(0));
    for (let head = 0; head < nh; head++) {
      const q = qkv.map((r, t) => rope(r.slice(head * hd, (head + 1) * hd), t));
      const k = qkv.map((r, t) => rope(r.slice(H + head * hd, H + (head + 1) * hd), t));
      const v = qkv.map((r) => r.slice(2 * H + head * hd, 2 * H + (head + 1) * hd));
      for (let i = 0; i < T; i++) {
        const scores = k.map((kj, j) => {
          const allowed = mask[j] === 1 && (global || Math.abs(i - j) <= 2); // local_attention 4 -> window 2 each side
          return allowed ? q[i]!.reduce((s, qv, d) => s + qv * kj[d]!, 0) / Math.sqrt(hd) : -1e30; // torch.finfo.min, as transformers masks
        });
        const mx = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - mx));
        const z = e.reduce((x, y) => x + y, 0);
        for (let j = 0; j < T; j++) for (let d = 0; d < hd; d++) ctx[i]![head * hd + d]! += (e[j]! / z) * v[j]![d]!;
      }
    }
    const attnOut = linear(ctx, W(m, `${P}attn.Wo.weight`));
    h = h.map((r, t) => r.map((x, i) => x + attnOut[t]![i]!));
    const wi = linear(layerNorm(h, W(m, `${P}mlp_norm.weight`).data, eps), W(m, `${P}mlp.Wi.weight`));
    const I = c.intermediate;
    const mlp = linear(wi.map((r) => Array.from({ length: I }, (_, i) => gelu(r[i]!) * r[I + i]!)), W(m, `${P}mlp.Wo.weight`));
    h = h.map((r, t) => r.map((x, i) => x + mlp[t]![i]!));
  }
  return layerNorm(h, W(m, 'model.final_norm.weight').data, eps);
}

const predictionHead = (m: TransformerModel, x: Mat) => layerNorm(linear(x, W(m, 'head.dense.weight')).map((r) => r.map(gelu)), W(m, 'head.norm.weight').data, 1e-5);

function referenceMlm(m: TransformerModel, ids: number[], mask: number[]): Mat {
  const t = predictionHead(m, referenceHidden(m, ids, mask));
  return linear(t, W(m, 'model.embeddings.tok_embeddings.weight'), W(m, 'decoder.bias').data);
}

function referenceClassifier(m: TransformerModel, ids: number[], mask: number[], pooling: 'cls' | 'mean'): number[] {
  const h = referenceHidden(m, ids, mask);
  const n = mask.reduce((a, b) => a + b, 0);
  const p = pooling === 'cls' ? h[0]! : h[0]!.map((_, i) => h.reduce((s, r, t) => s + r[i]! * mask[t]!, 0) / n);
  return linear(predictionHead(m, [p]), W(m, 'classifier.weight'), W(m, 'classifier.bias').data)[0]!;
}

const texts = ['the cat sat on the mat and the dog sat', 'hello world'];

test('modernbert: masked-LM logits of a padded batch match the reference (global and sliding-window layers)', async () => {
  const m = await randomModernBert(await tmp(), 'mean');
  const enc = m.tokenizer!.encodeBatch(texts, { maxLength: 64 });
  assert.ok(enc.inputIds[0]!.length > 6, 'long enough for the sliding window (2 each side) to hide tokens');
  const rows = await forwardTexts(m, texts, { head: 'mlm' });
  const V = m.config.vocabSize;
  let worst = 0, scale = 0;
  rows.forEach((row, b) => {
    const mask = enc.attentionMask[b]!;
    const ref = referenceMlm(m, enc.inputIds[b]!, mask);
    mask.forEach((real, t) => {
      if (!real) return;
      for (let v = 0; v < V; v++) {
        worst = Math.max(worst, Math.abs(row[t * V + v]! - ref[t]![v]!));
        scale = Math.max(scale, Math.abs(ref[t]![v]!));
      }
    });
  });
  assert.ok(scale > 1, `logits are not trivially small (max ${scale})`);
  assert.ok(worst < 1e-4 * Math.max(1, scale / 10), `ModernBERT MLM logits differ from the reference by ${worst} (scale ${scale})`);
});

for (const pooling of ['cls', 'mean'] as const) {
  test(`modernbert: ${pooling}-pooled classifier logits match the reference; config.json classifier_pooling picks the default`, async () => {
    const m = await randomModernBert(await tmp(), pooling);
    const enc = m.tokenizer!.encodeBatch(texts, { maxLength: 64 });
    const got = await forwardTexts(m, texts, { head: 'cls', numLabels: 3 }); // pooling from config.json
    got.forEach((row, b) => {
      const ref = referenceClassifier(m, enc.inputIds[b]!, enc.attentionMask[b]!, pooling);
      ref.forEach((r, j) => assert.ok(Math.abs(row[j]! - r) < 1e-4 * Math.max(1, Math.abs(r)), `text ${b} class ${j}: ${row[j]} vs ${r}`));
    });
  });
}

test('modernbert: Hugging Face parameter names, save/load round trip, LoRA fine-tuning runs, GGUF refused clearly', async () => {
  const dir = await tmp();
  const m = await randomModernBert(path.join(dir, 'tok'), 'mean');
  const names = m.params.names();
  for (const n of ['model.embeddings.tok_embeddings.weight', 'model.layers.1.attn_norm.weight', 'model.layers.3.attn.Wqkv.weight', 'model.layers.0.mlp.Wi.weight', 'model.final_norm.weight', 'head.dense.weight', 'head.norm.weight', 'decoder.bias']) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(!names.includes('model.layers.0.attn_norm.weight') && !names.some((n) => n.endsWith('norm.bias')), 'no layer-0 attention norm, no norm biases');
  await m.save(path.join(dir, 'hf'), { only: (n) => !n.startsWith('classifier.') }); // a masked-LM checkpoint
  const back = await TransformerModel.load(path.join(dir, 'hf'));
  assert.equal(back.family.name, 'modernbert');
  assert.deepEqual(await forwardTexts(back, texts, { head: 'mlm' }), await forwardTexts(m, texts, { head: 'mlm' }));
  const r = await finetune({
    model: back, train: [{ text: 'good film', label: 'pos' }, { text: 'bad movie', label: 'neg' }, { text: 'i love it', label: 'pos' }, { text: 'i hate it', label: 'neg' }],
    method: 'lora', maxSteps: 3, batchSize: 4, quiet: true, out: path.join(dir, 'ft'),
  });
  assert.equal(r.lossCurve.length, 3);
  assert.ok(r.lossCurve.every(Number.isFinite));
  assert.deepEqual(r.lora?.targetModules, ['Wqkv']);
  const saved = await TransformerModel.load(path.join(dir, 'ft'));
  assert.equal(saved.config.raw['classifier_pooling'], 'mean');
  assert.deepEqual(saved.config.raw['architectures'], ['ModernBertForSequenceClassification']);
  const ck = await readCheckpoint(path.join(dir, 'hf'));
  await assert.rejects(checkpointToGguf(ck.config, ck.tensors, path.join(dir, 'hf'), path.join(dir, 'x.gguf')), /GGUF export: unsupported model_type "modernbert" \(supported: bert, llama, mistral, qwen2, qwen3, gpt2\)/);
});
