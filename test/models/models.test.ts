// Model families in Hugging Face format: load(save(m)) is bit-exact, bad folders fail clearly,
// padding and the KV cache do not change results, and llama.cpp computes the same numbers from
// tuneshot's GGUF export.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TransformerModel, NAMED_SIZES, bertConfig, llamaConfig } from '../../src/models/index.js';
import { embedTexts, forwardTexts, fullLogits, nextTokenLogits, promptTokens, scoreContinuations } from '../../src/models/inference.js';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { readCheckpoint } from '../../src/formats/checkpoint.js';
import { checkpointToGguf } from '../../src/formats/gguf.js';
import { writeBertTokenizer, writeBpeTokenizer } from '../fixtures/tiny-tokenizers.js';

const tmp = () => mkdtemp(path.join(tmpdir(), 'tuneshot-models-'));

/** A random model with weights scaled up so its outputs are far from uniform (a meaningful comparison). */
async function randomModel(kind: 'bert' | 'llama' | 'gpt2', dir: string, head: 'mlm' | 'clm') {
  const vocab = kind === 'bert' ? await writeBertTokenizer(dir) : await writeBpeTokenizer(dir);
  const raw = kind === 'bert' ? bertConfig({ vocab: vocab.size, hidden: 32, layers: 2, heads: 4, ffn: 64, maxPositions: 64 })
    : kind === 'llama' ? llamaConfig({ vocab: vocab.size, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48, maxPositions: 64 })
    : { ...NAMED_SIZES['gpt2-mini']!(vocab.size), n_embd: 32, n_layer: 2, n_head: 4, n_inner: 64, n_positions: 64 };
  if (kind === 'llama') raw['tie_word_embeddings'] = false;
  const m = TransformerModel.fromConfig(raw, { seed: 3, head, tokenizer: await Tokenizer.fromFolder(dir) });
  for (const name of m.params.names()) {
    if (/norm|ln_|LayerNorm/i.test(name)) continue;
    const d = m.params.get(name)!.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i]! *= 12;
  }
  m.tokenizerDir = dir;
  return { m, vocab };
}

for (const kind of ['bert', 'llama', 'gpt2'] as const) {
  test(`${kind}: load(save(m)) is bit-exact and names parameters as transformers does`, async () => {
    const dir = await tmp();
    const { m } = await randomModel(kind, path.join(dir, 'tok'), kind === 'bert' ? 'mlm' : 'clm');
    await m.save(path.join(dir, 'out'));
    const back = await TransformerModel.load(path.join(dir, 'out'));
    assert.deepEqual(back.params.names().sort(), m.params.names().sort());
    for (const n of m.params.names()) assert.deepEqual(back.params.get(n)!.data, m.params.get(n)!.data, n);
    const names = m.params.names();
    const expected = { bert: 'bert.encoder.layer.1.attention.self.query.weight', llama: 'model.layers.1.self_attn.k_proj.weight', gpt2: 'transformer.h.1.attn.c_attn.weight' }[kind];
    assert.ok(names.includes(expected), expected);
    assert.ok(back.tokenizer, 'tokenizer files were copied');
  });
}

test('bad model folders: unsupported model_type, missing tensor, wrong shape', async () => {
  const dir = await tmp();
  const { m } = await randomModel('bert', path.join(dir, 'tok'), 'mlm');
  const out = path.join(dir, 'out');
  await m.save(out);
  const cfgPath = path.join(out, 'config.json');
  const cfg = JSON.parse(await readFile(cfgPath, 'utf8'));
  await writeFile(cfgPath, JSON.stringify({ ...cfg, model_type: 't5' }));
  await assert.rejects(TransformerModel.load(out), /unsupported model_type "t5"; supported: bert, roberta, distilbert, modernbert, llama, mistral, qwen2, qwen3, gpt2/);
  await writeFile(cfgPath, JSON.stringify({ ...cfg, num_hidden_layers: 3 }));
  await assert.rejects(TransformerModel.load(out), /missing tensor bert\.encoder\.layer\.2\./);
  await writeFile(cfgPath, JSON.stringify({ ...cfg, intermediate_size: 80 }));
  await assert.rejects(TransformerModel.load(out), /tensor bert\.encoder\.layer\.0\.intermediate\.dense\.weight has shape \[64,32\] but config\.json implies \[80,32\]/);
});

test('encoder: a padded batch gives the same outputs as each text alone', async () => {
  const dir = await tmp();
  const { m } = await randomModel('bert', dir, 'mlm');
  m.ensureParams({ head: 'cls', numLabels: 3 }, 1);
  const texts = ['the cat sat', 'hello world the cat sat on the mat', 'world'];
  const batched = await forwardTexts(m, texts, { head: 'cls', numLabels: 3 });
  for (let i = 0; i < texts.length; i++) {
    const [alone] = await forwardTexts(m, [texts[i]!], { head: 'cls', numLabels: 3 });
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(alone![j]! - batched[i]![j]!) < 1e-4, `text ${i} class ${j}`);
  }
});

for (const kind of ['llama', 'gpt2'] as const) {
  test(`${kind}: KV-cached continuation scores equal a single full forward`, async () => {
    const dir = await tmp();
    const { m } = await randomModel(kind, dir, 'clm');
    const tok = m.tokenizer!;
    const prompt = 'hello world the';
    const [scores] = await scoreContinuations(m, prompt, [' cat sat']);
    const pIds = promptTokens(m, prompt), cIds = tok.encode(' cat sat', null, { addSpecialTokens: false });
    const all = [...pIds, ...cIds];
    const logits = await fullLogits(m, all);
    const V = m.config.vocabSize;
    cIds.forEach((id, k) => {
      const row = logits.subarray((pIds.length - 1 + k) * V, (pIds.length + k) * V);
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
      assert.ok(Math.abs(row[id]! - lse - scores![k]!) < 1e-4, `token ${k}: ${row[id]! - lse} vs ${scores![k]}`);
    });
  });
}

let llamaPromise: Promise<import('node-llama-cpp').Llama> | undefined;
const getLlama = () => (llamaPromise ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) => getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false, skipDownload: true })));
after(async () => { if (llamaPromise) await (await llamaPromise).dispose(); });

// Tolerance: max absolute difference of next-token probabilities below 1e-3 (float32 on both sides).
test('llama: next-token probabilities match llama.cpp on the exported GGUF', { timeout: 60_000 }, async () => {
  const dir = await tmp();
  const { m } = await randomModel('llama', path.join(dir, 'tok'), 'clm');
  await m.save(path.join(dir, 'hf'));
  const ck = await readCheckpoint(path.join(dir, 'hf'));
  const gguf = path.join(dir, 'model.gguf');
  await checkpointToGguf(ck.config, ck.tensors, path.join(dir, 'hf'), gguf);
  const llama = await getLlama();
  const model = await llama.loadModel({ modelPath: gguf });
  const ctx = await model.createContext({ contextSize: 64, batchSize: 16 });
  try {
    const tokens = model.tokenize('hello world the cat') as number[];
    const it = ctx.getSequence().evaluateWithMetadata(tokens, { probabilities: true }, { temperature: 1, topK: m.config.vocabSize, topP: 1, minP: 0 });
    const first = await it.next();
    await it.return();
    const theirs = first.value!.probabilities as Map<number, number>;
    const logits = await nextTokenLogits(m, tokens);
    const mx = Math.max(...logits);
    const z = logits.reduce((a, v) => a + Math.exp(v - mx), 0);
    let maxDiff = 0, maxProb = 0;
    for (let i = 0; i < m.config.vocabSize; i++) {
      const ours = Math.exp(logits[i]! - mx) / z;
      maxProb = Math.max(maxProb, ours);
      maxDiff = Math.max(maxDiff, Math.abs(ours - (theirs.get(i) ?? 0)));
    }
    assert.ok(maxProb > 3 / m.config.vocabSize, `distribution is not trivially uniform (max p ${maxProb})`);
    assert.ok(maxDiff < 1e-3, `tuneshot vs llama.cpp next-token probabilities differ by ${maxDiff}`);
  } finally {
    await ctx.dispose();
    await model.dispose();
  }
});

// Tolerance: cosine similarity of mean-pooled, L2-normalized embeddings above 0.999.
test('bert: mean-pooled embeddings match llama.cpp on the exported GGUF', { timeout: 60_000 }, async () => {
  const dir = await tmp();
  const { m } = await randomModel('bert', path.join(dir, 'tok'), 'mlm');
  await m.save(path.join(dir, 'hf'));
  const ck = await readCheckpoint(path.join(dir, 'hf'));
  const gguf = path.join(dir, 'model.gguf');
  await checkpointToGguf(ck.config, ck.tensors, path.join(dir, 'hf'), gguf, { pooling: 'mean' });
  const llama = await getLlama();
  const model = await llama.loadModel({ modelPath: gguf });
  const ctx = await model.createEmbeddingContext({ contextSize: 64 });
  try {
    const text = 'hello world the cat sat on the mat';
    const theirs = (await ctx.getEmbeddingFor(text)).vector as readonly number[];
    const [ours] = await embedTexts(m, [text]);
    const n = Math.hypot(...theirs);
    const cos = ours!.reduce((a, v, i) => a + v * theirs[i]! / n, 0);
    assert.ok(cos > 0.999, `cosine ${cos}`);
  } finally {
    await ctx.dispose();
    await model.dispose();
  }
});
