// `tuneshot export --format onnx` verified by its real consumer: @huggingface/transformers loads the
// exported folders from disk (remote models off) and runs them through its own pipelines.
//   classifier (the embedded encoder fine-tuned on the shipped spam data): pipeline('text-classification')
//     gives tuneshot's probabilities within 1e-4 (fp32), and labels agreeing on most texts with the int8 file;
//   encoder (the embedded encoder as is): pipeline('feature-extraction') gives tuneshot's last hidden states;
//   decoder (the embedded LM): pipeline('text-generation') greedily generates tuneshot's tokens, with and
//     without the KV cache it feeds back, and the model's logits match tuneshot's within 1e-3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { env, pipeline, AutoModelForCausalLM, AutoTokenizer } from '@huggingface/transformers';
import { exportModel } from '../../src/export/export.js';
import { loadExamples } from '../../src/data/dataset.js';
import { finetune } from '../../src/train/finetune.js';
import { loadClassifier } from '../../src/train/adapted.js';
import { TransformerModel, resolveModel, generate, fullLogits, encoderFeeds } from '../../src/models/index.js';

const root = mkdtempSync(path.join(tmpdir(), 'tuneshot-onnx-'));
before(() => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root;
  env.cacheDir = path.join(root, '.cache');
});
after(() => rmSync(root, { recursive: true, force: true }));

const texts = [
  'WIN a FREE cruise!!! Click here now to claim your prize, limited offer',
  'Hi Tom, are we still meeting for lunch on Thursday? I can bring the report.',
  'Cheap meds online, no prescription needed, order today',
  'short',
];

test('a fine-tuned classifier runs in transformers.js pipeline("text-classification") with tuneshot\'s probabilities', { timeout: 300_000 }, async () => {
  const train = loadExamples('datasets/spam/train.jsonl', { task: 'classify' }).examples.slice(0, 64);
  const src = path.join(root, 'spam-clf');
  await finetune({ model: 'tuneshot-base-encoder', train, method: 'head', epochs: 3, batchSize: 16, quiet: true, out: src, seed: 1 });
  const r = await exportModel({ model: src, format: 'onnx', out: path.join(root, 'spam-onnx') });
  assert.equal(r.kind, 'classifier');
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'tuneshot_export.json']) {
    assert.ok(existsSync(path.join(r.out, f)), `${f} written`);
  }
  assert.deepEqual(JSON.parse(readFileSync(path.join(r.out, 'config.json'), 'utf8')).architectures, ['BertForSequenceClassification']);

  const ours = await (await loadClassifier(src)).predict(texts.map((text) => ({ text })));
  const clf = await pipeline('text-classification', 'spam-onnx', { dtype: 'fp32' });
  const theirs = (await clf(texts, { top_k: null })) as Array<Array<{ label: string; score: number }>>;
  theirs.forEach((scores, i) => {
    assert.equal(scores.length, 2);
    for (const s of scores) assert.ok(Math.abs(s.score - ours[i]!.probs[s.label]!) < 1e-4, `text ${i} ${s.label}: transformers.js ${s.score} vs tuneshot ${ours[i]!.probs[s.label]}`);
  });
  await clf.dispose();

  const q8 = await pipeline('text-classification', 'spam-onnx', { dtype: 'q8' });
  const top = (await q8(texts)) as Array<{ label: string; score: number }>;
  const same = top.filter((t, i) => t.label === ours[i]!.label).length;
  const worst = Math.max(...top.map((t, i) => Math.abs(t.score - ours[i]!.probs[t.label]!)));
  assert.ok(same >= texts.length - 1 && worst < 0.05, `int8 file: ${same}/${texts.length} labels as f32, probabilities off by up to ${worst}`);
  await q8.dispose();
});

test('an encoder runs in transformers.js pipeline("feature-extraction") with tuneshot\'s hidden states', { timeout: 120_000 }, async () => {
  await exportModel({ model: 'tuneshot-base-encoder', format: 'onnx', quant: 'f32', out: path.join(root, 'encoder-onnx') });
  assert.ok(!existsSync(path.join(root, 'encoder-onnx', 'onnx', 'model_quantized.onnx')), 'quant f32 writes model.onnx only');
  const fe = await pipeline('feature-extraction', 'encoder-onnx', { dtype: 'fp32' });
  const out = await fe(texts[1]!);
  const model = await TransformerModel.load(resolveModel('tuneshot-base-encoder'));
  const enc = model.tokenizer!.encodeBatch([texts[1]!]);
  const { program } = model.program({ head: 'base' });
  const [h] = await program.run(encoderFeeds(model, enc), model.params);
  assert.deepEqual(out.dims, h!.dims);
  let worst = 0;
  (h!.data as Float32Array).forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (out.data as Float32Array)[i]!))));
  assert.ok(worst < 1e-3, `last_hidden_state differs by up to ${worst}`);
  await fe.dispose();
});

test('a decoder runs in transformers.js pipeline("text-generation") and generates tuneshot\'s tokens', { timeout: 180_000 }, async () => {
  await exportModel({ model: 'tuneshot-base-lm', format: 'onnx', out: path.join(root, 'lm-onnx') });
  const model = await TransformerModel.load(resolveModel('tuneshot-base-lm'));
  const prompt = 'The president said that the';
  const ours = await generate(model, prompt, { maxTokens: 16 });
  const gen = await pipeline('text-generation', 'lm-onnx', { dtype: 'fp32' });
  const [res] = (await gen(prompt, { max_new_tokens: 16, do_sample: false })) as Array<{ generated_text: string }>;
  assert.equal(res!.generated_text, prompt + ours.text, 'greedy generation through past_key_values / present outputs');
  await gen.dispose();

  // Logits of one forward pass (no cache), as transformers.js feeds the model.
  const tok = await AutoTokenizer.from_pretrained('lm-onnx');
  const lm = await AutoModelForCausalLM.from_pretrained('lm-onnx', { dtype: 'fp32' });
  const inputs = tok(prompt);
  const { logits } = await lm(inputs);
  const ids = Array.from(inputs.input_ids.data as BigInt64Array, Number);
  const ref = await fullLogits(model, ids);
  assert.deepEqual(logits.dims, [1, ids.length, model.config.vocabSize]);
  let worst = 0;
  ref.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (logits.data as Float32Array)[i]!))));
  assert.ok(worst < 1e-3, `logits differ by up to ${worst}`);
  await lm.dispose();

  // The int8 file generates too (greedy text may drift from f32 after a few tokens; the first ones agree).
  const q8 = await pipeline('text-generation', 'lm-onnx', { dtype: 'q8' });
  const [r8] = (await q8(prompt, { max_new_tokens: 4, do_sample: false })) as Array<{ generated_text: string }>;
  assert.ok(r8!.generated_text.startsWith(prompt) && r8!.generated_text.length > prompt.length);
  await q8.dispose();
});
