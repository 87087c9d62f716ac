// Qwen2 and Qwen3 against llama.cpp (node-llama-cpp) on tuneshot's GGUF export: llama.cpp's own
// "qwen2" and "qwen3" architectures (NeoX RoPE, no q/k permutation; Qwen3's per-head q/k RMSNorm
// and a head_dim of its own). Also: KV-cached scores equal a full forward pass.
// Tolerance: next-token probabilities within 1e-3 absolute (float32 on both sides).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TransformerModel, parseConfig } from '../../src/models/index.js';
import { fullLogits, nextTokenLogits, promptTokens, scoreContinuations } from '../../src/models/inference.js';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { readCheckpoint } from '../../src/formats/checkpoint.js';
import { checkpointToGguf, knownPreTokenizer, readGgufHeader, readGgufTensor } from '../../src/formats/gguf.js';
import { mulberry32 } from '../../src/engine/index.js';
import { writeBpeTokenizer } from '../fixtures/tiny-tokenizers.js';

const tmp = () => mkdtemp(path.join(tmpdir(), 'tuneshot-qwen-'));

async function randomQwen(modelType: 'qwen2' | 'qwen3', dir: string) {
  const vocab = await writeBpeTokenizer(dir);
  const raw: Record<string, unknown> = {
    model_type: modelType, architectures: [modelType === 'qwen2' ? 'Qwen2ForCausalLM' : 'Qwen3ForCausalLM'], vocab_size: vocab.size,
    hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 48, hidden_act: 'silu',
    max_position_embeddings: 64, rms_norm_eps: 1e-6, rope_theta: 1000000, tie_word_embeddings: false,
    ...(modelType === 'qwen3' ? { head_dim: 16, attention_bias: false } : {}),
  };
  const m = TransformerModel.fromConfig(raw, { seed: 4, head: 'clm', tokenizer: await Tokenizer.fromFolder(dir) });
  const r = mulberry32(9);
  for (const name of m.params.names()) {
    const d = m.params.get(name)!.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = /norm/.test(name) ? 1 + (r() - 0.5) * 0.6 : name.endsWith('bias') ? (r() - 0.5) * 0.5 : d[i]! * 12;
  }
  m.tokenizerDir = dir;
  return m;
}

let llamaPromise: Promise<import('node-llama-cpp').Llama> | undefined;
const getLlama = () => (llamaPromise ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) => getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false, skipDownload: true })));
after(async () => { if (llamaPromise) await (await llamaPromise).dispose(); });

for (const modelType of ['qwen2', 'qwen3'] as const) {
  test(`${modelType}: next-token probabilities match llama.cpp on the exported GGUF`, { timeout: 90_000 }, async () => {
    const dir = await tmp();
    const m = await randomQwen(modelType, path.join(dir, 'tok'));
    await m.save(path.join(dir, 'hf'));
    const ck = await readCheckpoint(path.join(dir, 'hf'));
    const gguf = path.join(dir, 'model.gguf');
    await checkpointToGguf(ck.config, ck.tensors, path.join(dir, 'hf'), gguf);
    const h = await readGgufHeader(gguf);
    assert.equal(h.metadata.get('general.architecture')?.value, modelType);
    assert.equal(h.metadata.get('tokenizer.ggml.pre')?.value, 'gpt-2', 'the fixture tokenizer splits like GPT-2');
    // NeoX RoPE: q is written as Hugging Face stores it.
    assert.deepEqual(await readGgufTensor(gguf, 'blk.0.attn_q.weight'), ck.tensors.get('model.layers.0.self_attn.q_proj.weight')!.data);
    if (modelType === 'qwen3') {
      assert.equal(h.metadata.get('qwen3.attention.key_length')?.value, 16);
      assert.ok(h.tensors.some((t) => t.name === 'blk.1.attn_k_norm.weight'));
    } else assert.ok(h.tensors.some((t) => t.name === 'blk.1.attn_v.bias'));

    const llama = await getLlama();
    const model = await llama.loadModel({ modelPath: gguf });
    const ctx = await model.createContext({ contextSize: 64, batchSize: 16 });
    try {
      const tokens = model.tokenize('hello world the cat sat on the mat') as number[];
      assert.deepEqual(tokens, promptTokens(m, 'hello world the cat sat on the mat'), 'same tokens');
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
}

test('qwen3: KV-cached continuation scores equal a single full forward', async () => {
  const m = await randomQwen('qwen3', await tmp());
  const prompt = 'hello world the';
  const [scores] = await scoreContinuations(m, prompt, [' cat sat on']);
  const pIds = promptTokens(m, prompt), cIds = m.tokenizer!.encode(' cat sat on', null, { addSpecialTokens: false });
  const logits = await fullLogits(m, [...pIds, ...cIds]);
  const V = m.config.vocabSize;
  cIds.forEach((id, k) => {
    const row = logits.subarray((pIds.length - 1 + k) * V, (pIds.length + k) * V);
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
    assert.ok(Math.abs(row[id]! - lse - scores![k]!) < 1e-4, `token ${k}`);
  });
});

test('GGUF tokenizer.ggml.pre is recognized from tokenizer.json: Qwen2 and Llama 3 split regexes, else gpt-2', () => {
  // As the two tokenizer.json files on the Hub spell them (JSON text, parsed).
  const qwen = JSON.parse(String.raw`{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}]}`);
  const llama3 = JSON.parse(String.raw`{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]}`);
  assert.equal(knownPreTokenizer(qwen), 'qwen2');
  assert.equal(knownPreTokenizer(llama3), 'llama-bpe');
  assert.equal(knownPreTokenizer({ type: 'ByteLevel', add_prefix_space: false, use_regex: true }), undefined);
});

test('scaled RoPE (llama3, yarn) is refused with the file and the type, not run as plain RoPE', () => {
  const raw = { model_type: 'llama', vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16 };
  assert.throws(() => parseConfig({ ...raw, rope_scaling: { rope_type: 'llama3', factor: 32 } }, 'm/config.json'), /^ConfigError: m\/config\.json: rope_scaling type "llama3" is not supported yet/);
  assert.throws(() => parseConfig({ ...raw, model_type: 'qwen3', rope_scaling: { type: 'yarn', factor: 4 } }), /rope_scaling type "yarn"/);
  assert.equal(parseConfig({ ...raw, model_type: 'qwen2', rope_scaling: null }).family.name, 'qwen2');
});
