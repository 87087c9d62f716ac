// GPT-2 deploys like the other families: a small GPT-2 built here (random weights scaled 5x so its
// next-token distributions are far from uniform, with the embedded LM's byte-level BPE tokenizer)
//   - exports to GGUF that llama.cpp runs with tuneshot's log-probabilities (F32 within 2e-3 nats as for
//     Llama, Q8_0 within 0.05);
//   - exports to ONNX that transformers.js runs as GPT2LMHeadModel, generating tuneshot's tokens;
//   - fine-tunes with LoRA on its Conv1D layers (c_attn by default): the merged model computes what
//     base + adapters compute, the PEFT adapter says fan_in_fan_out, and exporting the adapter folder
//     merges it into the same weights.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { TransformerModel, resolveModel, generate, fullLogits, scoreContinuations } from '../../src/models/index.js';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { exportModel } from '../../src/export/export.js';
import { loadExportSource } from '../../src/export/load.js';
import { loadLlamaCppModel } from '../../src/icl/backends/llamacpp.js';
import { finetune } from '../../src/train/finetune.js';
import { decoderFeeds } from '../../src/models/inference.js';

const root = mkdtempSync(path.join(tmpdir(), 'tuneshot-gpt2-'));
const gpt2Dir = path.join(root, 'tiny-gpt2');
const prompt = 'The people of the United States';
const continuations = [' have seen great progress', ' will', ' and the world'];

before(async () => {
  const lmDir = resolveModel('tuneshot-base-lm');
  const tokenizer = await Tokenizer.fromFolder(lmDir);
  const raw = {
    model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: 8192, n_embd: 64, n_layer: 2, n_head: 4, n_positions: 128, n_inner: 256,
    activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, bos_token_id: 0, eos_token_id: 0,
  };
  const m = TransformerModel.fromConfig(raw, { seed: 7, head: 'clm', tokenizer });
  for (const n of m.params.names()) {
    const v = m.params.get(n)!;
    if (v.shape.length === 2) m.params.set(n, v.shape, (v.data as Float32Array).map((x) => x * 5));
  }
  m.tokenizerDir = lmDir;
  await m.save(gpt2Dir);
  env.allowRemoteModels = false;
  env.localModelPath = root;
  env.cacheDir = path.join(root, '.cache');
});
after(() => rmSync(root, { recursive: true, force: true }));

test('GPT-2 exports to GGUF that llama.cpp runs with tuneshot\'s log-probabilities', { timeout: 300_000 }, async (t) => {
  const model = await TransformerModel.load(gpt2Dir);
  const ours = await scoreContinuations(model, prompt, continuations);
  const flat = ours.flat();
  assert.ok(Math.max(...flat) - Math.min(...flat) > 1, 'the test model is far from uniform (log-probabilities spread over more than a nat)');
  for (const [quant, tol] of [['f32', 2e-3], ['q8_0', 0.05]] as const) {
    const r = await exportModel({ model: gpt2Dir, format: 'gguf', quant, out: path.join(root, `gguf-${quant}`) });
    const lm = await loadLlamaCppModel({ modelPath: path.join(r.out, `model-${quant}.gguf`), contextLength: 128 });
    try {
      assert.deepEqual(await lm.tokenize(prompt), model.tokenizer!.encode(prompt, null, { addSpecialTokens: false }), 'same tokens');
      const theirs = await lm.scoreContinuations(prompt, continuations);
      let worst = 0;
      ours.forEach((lp, i) => lp.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - theirs[i]!.tokenLogprobs[j]!)))));
      assert.ok(worst < tol, `${quant}: tuneshot vs llama.cpp log-probabilities differ by up to ${worst}`);
      t.diagnostic(`${quant}: largest |log-probability difference| ${worst.toFixed(5)} nats`);
    } finally {
      await lm.dispose();
    }
  }
});

test('GPT-2 exports to ONNX that transformers.js runs as GPT2LMHeadModel', { timeout: 120_000 }, async () => {
  await exportModel({ model: gpt2Dir, format: 'onnx', quant: 'f32', out: path.join(root, 'gpt2-onnx') });
  assert.deepEqual(JSON.parse(readFileSync(path.join(root, 'gpt2-onnx', 'config.json'), 'utf8')).architectures, ['GPT2LMHeadModel']);
  const model = await TransformerModel.load(gpt2Dir);
  const ours = await generate(model, prompt, { maxTokens: 10 });
  const gen = await pipeline('text-generation', 'gpt2-onnx', { dtype: 'fp32' });
  const [res] = (await gen(prompt, { max_new_tokens: 10, do_sample: false })) as Array<{ generated_text: string }>;
  assert.equal(res!.generated_text, prompt + ours.text);
  await gen.dispose();
});

test('LoRA on GPT-2\'s Conv1D layers: trains, merges exactly, saves a fan_in_fan_out PEFT adapter that export merges alike', { timeout: 300_000 }, async () => {
  const pairs = Array.from({ length: 12 }, (_, i) => ({ text: '', prompt: `Item ${i}: the colour is`, completion: i % 2 ? ' red' : ' blue' }));
  const out = path.join(root, 'gpt2-lora');
  const r = await finetune({ model: gpt2Dir, train: pairs, task: 'generate', method: 'lora', epochs: 6, batchSize: 4, lr: 5e-3, quiet: true, out, seed: 3, dropout: false });
  assert.ok(r.lossCurve.at(-1)! < r.lossCurve[0]!, `loss ${r.lossCurve[0]} -> ${r.lossCurve.at(-1)}`);
  const lora = r.trained.params.names().filter((n) => n.includes('.lora_'));
  assert.deepEqual(lora.sort(), ['transformer.h.0.attn.c_attn.lora_A.weight', 'transformer.h.0.attn.c_attn.lora_B.weight', 'transformer.h.1.attn.c_attn.lora_A.weight', 'transformer.h.1.attn.c_attn.lora_B.weight']);
  const cfg = JSON.parse(readFileSync(path.join(out, 'adapter', 'adapter_config.json'), 'utf8'));
  assert.equal(cfg.fan_in_fan_out, true);
  assert.deepEqual(cfg.target_modules, ['c_attn']);

  // Base + adapters (the training graph's forward) vs the merged weights saved in the folder.
  const ids = r.trained.tokenizer!.encode('Item 3: the colour is red', null, { addSpecialTokens: true });
  const { program } = r.trained.program({ head: 'clm', lora: r.lora });
  const [unmerged] = await program.run(decoderFeeds({ inputIds: [ids], attentionMask: [ids.map(() => 1)] }), r.trained.params);
  const merged = await fullLogits(await TransformerModel.load(out), ids);
  const viaExport = await fullLogits((await loadExportSource(path.join(out, 'adapter'))).model, ids);
  let worstMerged = 0, worstExport = 0;
  (unmerged!.data as Float32Array).forEach((v, i) => {
    worstMerged = Math.max(worstMerged, Math.abs(v - merged[i]!));
    worstExport = Math.max(worstExport, Math.abs(merged[i]! - viaExport[i]!));
  });
  assert.ok(worstMerged < 1e-3, `merged vs base + adapters: logits differ by up to ${worstMerged}`);
  assert.ok(worstExport < 1e-4, `adapter merged at export vs merged folder: up to ${worstExport}`);
  // And the adapters did something: the merged model is not the base.
  const base = await fullLogits(await TransformerModel.load(gpt2Dir), ids);
  assert.ok(base.some((v, i) => Math.abs(v - merged[i]!) > 1e-3));
});
