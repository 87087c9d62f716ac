// The llama.cpp backend on a tiny random-weight llama written by tuneshot's own GGUF writer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpointToGguf } from '../../src/formats/gguf.js';
import type { TensorInput } from '../../src/formats/safetensors.js';
import { writeBpeTokenizer } from '../fixtures/tiny-tokenizers.js';
import { loadLlamaCppModel, type LlamaCppLanguageModel } from '../../src/icl/backends/llamacpp.js';
import { serve, type RunningServer } from '../../src/serve/server.js';
import { OpenAILanguageModel } from '../../src/icl/backends/openai.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomLlama(vocab: number) {
  const r = rng(3);
  const randn = (shape: number[], scale = 0.05): TensorInput => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (r() * 2 - 1) * scale * Math.sqrt(3);
    return { shape, data };
  };
  const ones = (n: number): TensorInput => ({ shape: [n], data: new Float32Array(n).fill(1) });
  const hidden = 64, nLayer = 2, nHead = 4, nKv = 2, ffn = 128, headDim = hidden / nHead;
  const config: Record<string, unknown> = {
    model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: vocab, hidden_size: hidden,
    intermediate_size: ffn, num_hidden_layers: nLayer, num_attention_heads: nHead, num_key_value_heads: nKv,
    max_position_embeddings: 256, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false,
  };
  const t = new Map<string, TensorInput>();
  t.set('model.embed_tokens.weight', randn([vocab, hidden], 0.5));
  for (let i = 0; i < nLayer; i++) {
    const p = `model.layers.${i}.`;
    t.set(`${p}self_attn.q_proj.weight`, randn([nHead * headDim, hidden]));
    t.set(`${p}self_attn.k_proj.weight`, randn([nKv * headDim, hidden]));
    t.set(`${p}self_attn.v_proj.weight`, randn([nKv * headDim, hidden]));
    t.set(`${p}self_attn.o_proj.weight`, randn([hidden, nHead * headDim]));
    t.set(`${p}mlp.gate_proj.weight`, randn([ffn, hidden]));
    t.set(`${p}mlp.up_proj.weight`, randn([ffn, hidden]));
    t.set(`${p}mlp.down_proj.weight`, randn([hidden, ffn]));
    t.set(`${p}input_layernorm.weight`, ones(hidden));
    t.set(`${p}post_attention_layernorm.weight`, ones(hidden));
  }
  t.set('model.norm.weight', ones(hidden));
  t.set('lm_head.weight', randn([vocab, hidden], 0.5));
  return { config, tensors: t };
}

let dir: string;
let lm: LlamaCppLanguageModel;
before(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tuneshot-llamacpp-'));
  const tokDir = path.join(dir, 'tok');
  const vocab = await writeBpeTokenizer(tokDir);
  const { config, tensors } = randomLlama(vocab.size + 1);
  const gguf = path.join(dir, 'model.gguf');
  await checkpointToGguf(config, tensors, tokDir, gguf);
  lm = await loadLlamaCppModel({ modelPath: gguf, contextLength: 256, embeddings: false });
});
after(async () => {
  await lm?.dispose();
  await fsp.rm(dir, { recursive: true, force: true });
});

test('llamacpp: continuation log-probabilities are normalized and obey the chain rule', { timeout: 60_000 }, async () => {
  const prompt = 'the cat sat on';
  const [a, b, ab] = await lm.scoreContinuations(prompt, [' the', ' mat', ' the mat']);
  for (const s of [a!, b!, ab!]) {
    assert.ok(s.tokenLogprobs.length > 0);
    assert.ok(s.tokenLogprobs.every((v) => Number.isFinite(v) && v <= 0));
  }
  const [b2] = await lm.scoreContinuations(prompt + ' the', [' mat']);
  const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  assert.ok(Math.abs(sum(ab!.tokenLogprobs) - (sum(a!.tokenLogprobs) + sum(b2!.tokenLogprobs))) < 1e-3);
  // Same result when scored again (state reuse does not leak between calls).
  const [again] = await lm.scoreContinuations(prompt, [' the mat']);
  again!.tokenLogprobs.forEach((v, i) => assert.ok(Math.abs(v - ab!.tokenLogprobs[i]!) < 1e-4));
  // Greedy generation picks the most probable next token.
  const g = await lm.generate(prompt, { maxTokens: 1, temperature: 0 });
  assert.equal(g.tokens, 1);
  const [greedy, other] = await lm.scoreContinuations(prompt, [g.text, g.text === ' the' ? ' mat' : ' the']);
  if ((await lm.tokenize(prompt + g.text)).length === (await lm.tokenize(prompt)).length + 1) {
    assert.ok(greedy!.tokenLogprobs[0]! >= other!.tokenLogprobs[0]! - 1e-6);
  }
  const detok = await lm.detokenize(await lm.tokenize(prompt));
  assert.equal(detok, prompt);
});

test('llamacpp model served over HTTP scores the same through the openai backend', { timeout: 60_000 }, async () => {
  let srv: RunningServer | undefined;
  try {
    srv = await serve({ port: 0, languageModels: { tiny: lm } });
    const remote = new OpenAILanguageModel({ baseURL: `${srv.url}/v1`, model: 'tiny', apiKey: 'none', scoring: 'echo' });
    const prompt = 'the cat sat on';
    const direct = await lm.scoreContinuations(prompt, [' the mat', ' a hat']);
    const viaHttp = await remote.scoreContinuations(prompt, [' the mat', ' a hat']);
    for (let i = 0; i < 2; i++) {
      assert.equal(viaHttp[i]!.tokenLogprobs.length, direct[i]!.tokenLogprobs.length);
      viaHttp[i]!.tokenLogprobs.forEach((v, j) => assert.ok(Math.abs(v - direct[i]!.tokenLogprobs[j]!) < 1e-3));
    }
  } finally {
    await srv?.close();
  }
});
