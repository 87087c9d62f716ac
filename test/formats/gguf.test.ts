import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  writeGguf, readGgufHeader, readGgufTensor, checkpointToGguf, permuteRope, GgufMetadataBuilder,
} from '../../src/formats/gguf.js';
import type { TensorInput } from '../../src/formats/safetensors.js';
import { writeBertTokenizer, writeBpeTokenizer, BPE_EOS } from '../fixtures/tiny-tokenizers.js';

async function tmp(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'tuneshot-gguf-'));
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randn(shape: number[], r: () => number, scale = 0.05): TensorInput {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (r() * 2 - 1) * scale * Math.sqrt(3);
  return { shape, data };
}
function fill(shape: number[], v: number): TensorInput {
  return { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v) };
}

/** A random-weight HF llama checkpoint (standard transformers names). */
function randomLlama(vocab: number, tied = false) {
  const r = rng(7);
  const hidden = 64, nLayer = 2, nHead = 4, nKv = 2, ffn = 128, headDim = hidden / nHead;
  const config: Record<string, unknown> = {
    model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: vocab, hidden_size: hidden,
    intermediate_size: ffn, num_hidden_layers: nLayer, num_attention_heads: nHead, num_key_value_heads: nKv,
    max_position_embeddings: 128, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: tied,
  };
  const t = new Map<string, TensorInput>();
  t.set('model.embed_tokens.weight', randn([vocab, hidden], r, 0.5));
  for (let i = 0; i < nLayer; i++) {
    const p = `model.layers.${i}.`;
    t.set(`${p}self_attn.q_proj.weight`, randn([nHead * headDim, hidden], r));
    t.set(`${p}self_attn.k_proj.weight`, randn([nKv * headDim, hidden], r));
    t.set(`${p}self_attn.v_proj.weight`, randn([nKv * headDim, hidden], r));
    t.set(`${p}self_attn.o_proj.weight`, randn([hidden, nHead * headDim], r));
    t.set(`${p}mlp.gate_proj.weight`, randn([ffn, hidden], r));
    t.set(`${p}mlp.up_proj.weight`, randn([ffn, hidden], r));
    t.set(`${p}mlp.down_proj.weight`, randn([hidden, ffn], r));
    t.set(`${p}input_layernorm.weight`, fill([hidden], 1));
    t.set(`${p}post_attention_layernorm.weight`, fill([hidden], 1));
  }
  t.set('model.norm.weight', fill([hidden], 1));
  if (!tied) t.set('lm_head.weight', randn([vocab, hidden], r, 0.5));
  return { config, tensors: t };
}

/** A random-weight HF BERT checkpoint; `prefix` is 'bert.' (task model) or '' (base model). */
function randomBert(vocab: number, prefix: string) {
  const r = rng(11);
  const hidden = 64, nLayer = 2, ffn = 128;
  const config: Record<string, unknown> = {
    model_type: 'bert', vocab_size: vocab, hidden_size: hidden, num_hidden_layers: nLayer, num_attention_heads: 4,
    intermediate_size: ffn, max_position_embeddings: 64, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_act: 'gelu',
  };
  const t = new Map<string, TensorInput>();
  const e = `${prefix}embeddings.`;
  t.set(`${e}word_embeddings.weight`, randn([vocab, hidden], r, 0.5));
  t.set(`${e}position_embeddings.weight`, randn([64, hidden], r, 0.1));
  t.set(`${e}token_type_embeddings.weight`, randn([2, hidden], r, 0.1));
  t.set(`${e}LayerNorm.weight`, fill([hidden], 1));
  t.set(`${e}LayerNorm.bias`, fill([hidden], 0));
  for (let i = 0; i < nLayer; i++) {
    const p = `${prefix}encoder.layer.${i}.`;
    for (const n of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      t.set(`${p}${n}.weight`, randn([hidden, hidden], r));
      t.set(`${p}${n}.bias`, randn([hidden], r, 0.01));
    }
    t.set(`${p}attention.output.LayerNorm.weight`, fill([hidden], 1));
    t.set(`${p}attention.output.LayerNorm.bias`, fill([hidden], 0));
    t.set(`${p}intermediate.dense.weight`, randn([ffn, hidden], r));
    t.set(`${p}intermediate.dense.bias`, randn([ffn], r, 0.01));
    t.set(`${p}output.dense.weight`, randn([hidden, ffn], r));
    t.set(`${p}output.dense.bias`, randn([hidden], r, 0.01));
    t.set(`${p}output.LayerNorm.weight`, fill([hidden], 1));
    t.set(`${p}output.LayerNorm.bias`, fill([hidden], 0));
  }
  if (prefix) {
    t.set('bert.pooler.dense.weight', randn([hidden, hidden], r));
    t.set('classifier.weight', randn([2, hidden], r));
  }
  return { config, tensors: t };
}


/** Plain-JS reference forward pass of a HF llama (rotate-half RoPE), returning last-position logits. */
function llamaReferenceLogits(config: Record<string, unknown>, t: Map<string, TensorInput>, ids: number[]): Float32Array {
  const H = config.hidden_size as number, nH = config.num_attention_heads as number, nKv = config.num_key_value_heads as number;
  const L = config.num_hidden_layers as number, eps = config.rms_norm_eps as number, theta = config.rope_theta as number;
  const d = H / nH, T = ids.length;
  const W = (n: string) => t.get(n)!;
  const matvec = (w: TensorInput, x: Float32Array): Float32Array => {
    const [rows, cols] = w.shape as [number, number];
    const y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) { let s = 0; for (let c = 0; c < cols; c++) s += w.data[r * cols + c]! * x[c]!; y[r] = s; }
    return y;
  };
  const rms = (x: Float32Array, g: TensorInput): Float32Array => {
    let ss = 0; for (const v of x) ss += v * v;
    const k = 1 / Math.sqrt(ss / x.length + eps);
    return x.map((v, i) => v * k * g.data[i]!);
  };
  const rope = (x: Float32Array, heads: number, pos: number): void => {
    for (let h = 0; h < heads; h++) for (let i = 0; i < d / 2; i++) {
      const f = pos * theta ** (-(2 * i) / d), c = Math.cos(f), s = Math.sin(f);
      const a = x[h * d + i]!, b = x[h * d + i + d / 2]!;
      x[h * d + i] = a * c - b * s; x[h * d + i + d / 2] = b * c + a * s;
    }
  };
  const emb = W('model.embed_tokens.weight');
  let xs = ids.map((id) => emb.data.slice(id * H, (id + 1) * H));
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    const hs = xs.map((x) => rms(x, W(`${p}input_layernorm.weight`)));
    const qs = hs.map((h, pos) => { const q = matvec(W(`${p}self_attn.q_proj.weight`), h); rope(q, nH, pos); return q; });
    const ks = hs.map((h, pos) => { const k = matvec(W(`${p}self_attn.k_proj.weight`), h); rope(k, nKv, pos); return k; });
    const vs = hs.map((h) => matvec(W(`${p}self_attn.v_proj.weight`), h));
    xs = xs.map((x, i) => {
      const att = new Float32Array(H);
      for (let h = 0; h < nH; h++) {
        const kh = Math.floor(h / (nH / nKv));
        const sc: number[] = [];
        for (let j = 0; j <= i; j++) { let s = 0; for (let e = 0; e < d; e++) s += qs[i]![h * d + e]! * ks[j]![kh * d + e]!; sc.push(s / Math.sqrt(d)); }
        const mx = Math.max(...sc); const ex = sc.map((v) => Math.exp(v - mx)); const z = ex.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) for (let e = 0; e < d; e++) att[h * d + e] += (ex[j]! / z) * vs[j]![kh * d + e]!;
      }
      const o = matvec(W(`${p}self_attn.o_proj.weight`), att);
      const x1 = x.map((v, k) => v + o[k]!);
      const h2 = rms(x1, W(`${p}post_attention_layernorm.weight`));
      const g = matvec(W(`${p}mlp.gate_proj.weight`), h2), u = matvec(W(`${p}mlp.up_proj.weight`), h2);
      const a = g.map((v, k) => (v / (1 + Math.exp(-v))) * u[k]!);
      const dn = matvec(W(`${p}mlp.down_proj.weight`), a);
      return x1.map((v, k) => v + dn[k]!);
    });
  }
  const last = rms(xs[T - 1]!, W('model.norm.weight'));
  return matvec(W('lm_head.weight'), last);
}

/** Plain-JS reference BERT encoder (token type 0), mean-pooled over the sequence. */
function bertReferenceMeanPool(config: Record<string, unknown>, t: Map<string, TensorInput>, prefix: string, ids: number[]): Float32Array {
  const H = config.hidden_size as number, nH = config.num_attention_heads as number, L = config.num_hidden_layers as number;
  const eps = config.layer_norm_eps as number, d = H / nH, T = ids.length;
  const W = (n: string) => t.get(prefix + n)!;
  const lin = (name: string, x: Float32Array): Float32Array => {
    const w = W(`${name}.weight`), b = W(`${name}.bias`);
    const [rows, cols] = w.shape as [number, number];
    const y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) { let s = b.data[r]!; for (let c = 0; c < cols; c++) s += w.data[r * cols + c]! * x[c]!; y[r] = s; }
    return y;
  };
  const ln = (x: Float32Array, name: string): Float32Array => {
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
    const g = W(`${name}.weight`), b = W(`${name}.bias`);
    return x.map((u, i) => ((u - m) / Math.sqrt(v + eps)) * g.data[i]! + b.data[i]!);
  };
  const erf = (x: number): number => { // Abramowitz-Stegun 7.1.26
    const s = Math.sign(x); x = Math.abs(x);
    const k = 1 / (1 + 0.3275911 * x);
    return s * (1 - ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k * Math.exp(-x * x));
  };
  const we = W('embeddings.word_embeddings.weight'), pe = W('embeddings.position_embeddings.weight'), te = W('embeddings.token_type_embeddings.weight');
  let xs = ids.map((id, pos) => ln(new Float32Array(H).map((_, k) => we.data[id * H + k]! + pe.data[pos * H + k]! + te.data[k]!), 'embeddings.LayerNorm'));
  for (let l = 0; l < L; l++) {
    const p = `encoder.layer.${l}.`;
    const qs = xs.map((x) => lin(`${p}attention.self.query`, x));
    const ks = xs.map((x) => lin(`${p}attention.self.key`, x));
    const vs = xs.map((x) => lin(`${p}attention.self.value`, x));
    xs = xs.map((x, i) => {
      const att = new Float32Array(H);
      for (let h = 0; h < nH; h++) {
        const sc: number[] = [];
        for (let j = 0; j < T; j++) { let s = 0; for (let e = 0; e < d; e++) s += qs[i]![h * d + e]! * ks[j]![h * d + e]!; sc.push(s / Math.sqrt(d)); }
        const mx = Math.max(...sc); const ex = sc.map((v) => Math.exp(v - mx)); const z = ex.reduce((a, b) => a + b, 0);
        for (let j = 0; j < T; j++) for (let e = 0; e < d; e++) att[h * d + e] += (ex[j]! / z) * vs[j]![h * d + e]!;
      }
      const o = lin(`${p}attention.output.dense`, att);
      const x1 = ln(x.map((v, k) => v + o[k]!), `${p}attention.output.LayerNorm`);
      const u = lin(`${p}intermediate.dense`, x1).map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
      const dn = lin(`${p}output.dense`, u);
      return ln(x1.map((v, k) => v + dn[k]!), `${p}output.LayerNorm`);
    });
  }
  return new Float32Array(H).map((_, k) => xs.reduce((a, x) => a + x[k]!, 0) / T);
}

function l2normalize(v: ArrayLike<number>): number[] {
  const n = Math.sqrt(Array.from(v).reduce((a, b) => a + b * b, 0));
  return Array.from(v, (x) => x / n);
}

test('GGUF writer: header, KV types, arrays, alignment, tensor offsets', async () => {
  const dir = await tmp();
  const file = path.join(dir, 'x.gguf');
  const md = new GgufMetadataBuilder()
    .string('general.architecture', 'test')
    .uint32('general.alignment', 64)
    .float32('f', 1.5)
    .bool('b', true)
    .uint64('u64', 2n ** 40n)
    .array('arr.s', 'string', ['a', 'ü', ''])
    .array('arr.i', 'int32', [1, -2, 3]);
  const a = new Float32Array([1, 2, 3, 4, 5, 6]);
  const b = new Float32Array([0.5, -0.25, 3]);
  await writeGguf(file, { metadata: md, tensors: [{ name: 'a', shape: [3, 2], type: 'F32', data: a }, { name: 'b', shape: [3], type: 'F16', data: b }] });
  const h = await readGgufHeader(file);
  assert.equal(h.version, 3);
  assert.equal(h.alignment, 64);
  assert.equal(h.dataOffset % 64, 0);
  assert.equal(h.metadata.get('general.architecture')!.value, 'test');
  assert.equal(h.metadata.get('f')!.value, 1.5);
  assert.equal(h.metadata.get('b')!.value, true);
  assert.equal(h.metadata.get('u64')!.value, 2n ** 40n);
  assert.deepEqual(h.metadata.get('arr.s'), { type: 'array', itemType: 'string', value: ['a', 'ü', ''] });
  assert.deepEqual(h.metadata.get('arr.i')!.value, [1, -2, 3]);
  assert.deepEqual(h.tensors.map((t) => [t.name, t.shape, t.type, t.offset]), [['a', [3, 2], 0, 0], ['b', [3], 1, 64]]);
  assert.deepEqual(await readGgufTensor(file, 'a'), a);
  assert.deepEqual(await readGgufTensor(file, 'b'), b);
  const size = (await fsp.stat(file)).size;
  assert.equal(size, h.dataOffset + 64 + 64);
  assert.deepEqual(await fsp.readdir(dir), ['x.gguf']);
  await assert.rejects(writeGguf(file, { metadata: [], tensors: [{ name: 'a', shape: [4], type: 'F32', data: a }] }), /tensor "a".*4 elements/);
  await assert.rejects(writeGguf(file, { metadata: [{ key: 'k', type: 'uint32', value: 'x' }], tensors: [] }), /"k": expected a number/);
});

test('permuteRope matches the rotate-half -> interleaved reordering', () => {
  // 2 heads of dim 4, 1 column: rows [h0: 0 1 2 3, h1: 4 5 6 7] -> [0 2 1 3, 4 6 5 7]
  const out = permuteRope(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]), 8, 2);
  assert.deepEqual([...out], [0, 2, 1, 3, 4, 6, 5, 7]);
  // With 2 columns the rows move as a whole.
  const w = permuteRope(new Float32Array([0, 0, 1, 1, 2, 2, 3, 3]), 4, 1);
  assert.deepEqual([...w], [0, 0, 2, 2, 1, 1, 3, 3]);
});

let llamaPromise: Promise<import('node-llama-cpp').Llama> | undefined;
async function getLlamaOnce() {
  if (!llamaPromise) {
    llamaPromise = import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
      getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false, skipDownload: true }));
  }
  return llamaPromise;
}
after(async () => {
  if (llamaPromise) await (await llamaPromise).dispose();
});

test('llama checkpoint -> GGUF loads in llama.cpp and produces finite next-token probabilities', { timeout: 60_000 }, async () => {
  const dir = await tmp();
  const tokDir = path.join(dir, 'tok');
  const vocab = await writeBpeTokenizer(tokDir);
  const { config, tensors } = randomLlama(vocab.size);
  const out = path.join(dir, 'llama.gguf');
  await checkpointToGguf(config, tensors, tokDir, out);

  const h = await readGgufHeader(out);
  const m = (k: string) => h.metadata.get(k)?.value;
  assert.equal(m('general.architecture'), 'llama');
  assert.equal(m('llama.block_count'), 2);
  assert.equal(m('llama.attention.head_count_kv'), 2);
  assert.equal(m('llama.rope.dimension_count'), 16);
  assert.equal(m('tokenizer.ggml.model'), 'gpt2');
  assert.equal((m('tokenizer.ggml.tokens') as string[]).length, vocab.size);
  assert.equal(m('tokenizer.ggml.eos_token_id'), vocab.get(BPE_EOS));
  assert.equal((m('tokenizer.ggml.token_type') as number[])[vocab.get(BPE_EOS)!], 3);
  assert.ok((m('tokenizer.ggml.merges') as string[]).includes('Ġt he'));
  const names = h.tensors.map((t) => t.name);
  assert.ok(names.includes('output.weight') && names.includes('blk.1.ffn_gate.weight') && names.includes('output_norm.weight'));
  assert.deepEqual(h.tensors.find((t) => t.name === 'blk.0.attn_k.weight')!.shape, [64, 32]);
  // q/k are permuted, v is not.
  const q = await readGgufTensor(out, 'blk.0.attn_q.weight');
  assert.deepEqual(q, permuteRope(tensors.get('model.layers.0.self_attn.q_proj.weight')!.data, 64, 4));
  assert.deepEqual(await readGgufTensor(out, 'blk.0.attn_v.weight'), tensors.get('model.layers.0.self_attn.v_proj.weight')!.data);

  const llama = await getLlamaOnce();
  const model = await llama.loadModel({ modelPath: out });
  try {
    assert.equal(model.fileInsights.tensorInfo?.length ?? names.length, names.length);
    const tokens = model.tokenize('hello world the cat');
    assert.deepEqual(tokens, [vocab.get('hello'), vocab.get('Ġworld'), vocab.get('Ġthe'), vocab.get('Ġcat')]);
    const ctx = await model.createContext({ contextSize: 64, batchSize: 16 });
    try {
      const seq = ctx.getSequence();
      const it = seq.evaluateWithMetadata(tokens, { probabilities: true }, { temperature: 1, topK: vocab.size, topP: 1, minP: 0 });
      const first = await it.next();
      await it.return();
      assert.ok(!first.done);
      const probs = first.value.probabilities;
      assert.ok(probs.size > 0 && probs.size <= vocab.size);
      let sum = 0;
      for (const [tok, p] of probs) {
        assert.ok(Number.isFinite(p) && p >= 0, `p(${tok}) = ${p}`);
        assert.ok(tok >= 0 && tok < vocab.size);
        sum += p;
      }
      assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to ${sum}`);
      // Same numbers as a plain-JS forward pass of the HF checkpoint: proves the q/k permutation.
      const logits = llamaReferenceLogits(config, tensors, tokens as number[]);
      const mx = Math.max(...logits);
      const ex = [...logits].map((v) => Math.exp(v - mx));
      const z = ex.reduce((x, y) => x + y, 0);
      let maxDiff = 0;
      for (let i = 0; i < vocab.size; i++) maxDiff = Math.max(maxDiff, Math.abs((probs.get(i as never) ?? 0) - ex[i]! / z));
      assert.ok(maxDiff < 2e-3, `llama.cpp vs reference probabilities differ by ${maxDiff}`);
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }

  // Tied embeddings: no output.weight, still loads.
  const tied = randomLlama(vocab.size, true);
  const outTied = path.join(dir, 'llama-tied.gguf');
  await checkpointToGguf(tied.config, tied.tensors, tokDir, outTied, { dtype: 'F16' });
  const ht = await readGgufHeader(outTied);
  assert.ok(!ht.tensors.some((t) => t.name === 'output.weight'));
  assert.equal(ht.tensors.find((t) => t.name === 'token_embd.weight')!.type, 1);
  assert.equal(ht.tensors.find((t) => t.name === 'output_norm.weight')!.type, 0);
  const model2 = await llama.loadModel({ modelPath: outTied });
  await model2.dispose();
});

test('bert checkpoint (with and without "bert." prefix) -> GGUF loads in llama.cpp and embeds', { timeout: 60_000 }, async () => {
  const dir = await tmp();
  const tokDir = path.join(dir, 'tok');
  const vocab = await writeBertTokenizer(tokDir);
  for (const prefix of ['bert.', '']) {
    const { config, tensors } = randomBert(vocab.size, prefix);
    const out = path.join(dir, `bert${prefix ? '-task' : '-base'}.gguf`);
    await checkpointToGguf(config, tensors, tokDir, out, { pooling: 'mean' });
    const h = await readGgufHeader(out);
    const m = (k: string) => h.metadata.get(k)?.value;
    assert.equal(m('general.architecture'), 'bert');
    assert.equal(m('bert.attention.causal'), false);
    assert.equal(m('bert.pooling_type'), 1);
    assert.equal(m('tokenizer.ggml.model'), 'bert');
    assert.equal(m('tokenizer.ggml.cls_token_id'), vocab.get('[CLS]'));
    assert.equal(m('tokenizer.ggml.seperator_token_id'), vocab.get('[SEP]'));
    const toks = m('tokenizer.ggml.tokens') as string[];
    assert.equal(toks[vocab.get('cat')!], '\u2581cat');
    assert.equal(toks[vocab.get('##ing')!], 'ing');
    assert.equal(toks[vocab.get('[CLS]')!], '[CLS]');
    const names = h.tensors.map((t) => t.name);
    assert.equal(names.length, 5 + 2 * 16);
    assert.ok(names.includes('blk.1.layer_output_norm.bias') && names.includes('token_types.weight'));

    const llama = await getLlamaOnce();
    const model = await llama.loadModel({ modelPath: out });
    try {
      const ctx = await model.createEmbeddingContext({ contextSize: 64 });
      try {
        const emb = await ctx.getEmbeddingFor('the cat sat on the mat');
        assert.equal(emb.vector.length, 64);
        assert.ok(emb.vector.every((v) => Number.isFinite(v)));
        assert.ok(emb.vector.some((v) => v !== 0));
        // Same direction as a plain-JS BERT forward pass over the same tokens (validates the tensor mapping).
        const ids = ['[CLS]', 'the', 'cat', 'sat', 'on', 'the', 'mat', '[SEP]'].map((w) => vocab.get(w)!);
        const fromIds = await ctx.getEmbeddingFor(ids as never);
        const ref = l2normalize(bertReferenceMeanPool(config, tensors, prefix, ids));
        const got = l2normalize(fromIds.vector);
        const maxDiff = Math.max(...ref.map((r, i) => Math.abs(r - got[i]!)));
        assert.ok(maxDiff < 5e-3, `llama.cpp vs reference BERT embedding differ by ${maxDiff}`);
        assert.ok(l2normalize(emb.vector).every((v, i) => Math.abs(v - got[i]!) < 1e-4), 'text and explicit-token embeddings agree');
      } finally {
        await ctx.dispose();
      }
    } finally {
      await model.dispose();
    }
  }
});

test('checkpointToGguf names missing tensors and unsupported models', async () => {
  const dir = await tmp();
  const tokDir = path.join(dir, 'tok');
  const vocab = await writeBpeTokenizer(tokDir);
  const { config, tensors } = randomLlama(vocab.size);
  tensors.delete('model.layers.1.mlp.up_proj.weight');
  await assert.rejects(checkpointToGguf(config, tensors, tokDir, path.join(dir, 'x.gguf')), /"model\.layers\.1\.mlp\.up_proj\.weight" is missing/);
  await assert.rejects(checkpointToGguf({ model_type: 'gpt_neox' }, tensors, tokDir, path.join(dir, 'x.gguf')), /unsupported model_type "gpt_neox"/);
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['tok']);
});
