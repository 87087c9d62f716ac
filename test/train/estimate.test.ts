// The fine-tuning memory and time estimate (src/train/estimate.ts): its parts add up, it grows with
// the batch, LoRA needs less than full, and a run over the limit is refused in one line naming the
// largest batch size or the method that fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { NAMED_SIZES, TransformerModel, bertConfig } from '../../src/models/index.js';
import { MemoryLimitError, checkMemory, estimateTraining, largestFittingBatch, runShape, type TrainingShape } from '../../src/train/estimate.js';
import { finetune } from '../../src/train/finetune.js';
import { writeBertTokenizer } from '../fixtures/tiny-tokenizers.js';

const bertBase: TrainingShape = {
  method: 'full', params: 109_483_778, trainable: 109_483_778, layers: 12, hidden: 768, ffn: 3072, heads: 12, kvHeads: 12, vocab: 30522,
  batch: 16, seq: 128, lmLoss: false, gatedMlp: false,
};

test('estimate: weights, gradients and AdamW state are 4 + 4 + 8 bytes a trainable parameter; the parts sum to the peak', () => {
  const e = estimateTraining(bertBase);
  assert.equal(e.parts.weights, 4 * bertBase.params);
  assert.equal(e.parts.gradients, 4 * bertBase.trainable);
  assert.equal(e.parts.optimizer, 8 * bertBase.trainable);
  assert.equal(e.parts.transients, 0, "no largest tensor given");
  assert.ok(Math.abs(Object.values(e.parts).reduce((a, b) => a + b, 0) - e.peakBytes) < 1);
  // bert-base full fine-tuning at 16 x 128: a few GB, not tens.
  assert.ok(e.peakBytes > 2e9 && e.peakBytes < 12e9, `${e.peakBytes}`);
  // 6 x 85M body weights x 2048 tokens, about 1 TFLOP a step.
  assert.ok(e.flopsPerStep > 1e12 && e.flopsPerStep < 1.2e12, `${e.flopsPerStep}`);
});

test('estimate: activations grow with the batch; LoRA and head-only need less than full', () => {
  const a = estimateTraining({ ...bertBase, batch: 8 }), b = estimateTraining(bertBase);
  assert.ok(b.parts.activations > 1.9 * a.parts.activations);
  const lora = estimateTraining({ ...bertBase, method: 'lora', trainable: 300_000 });
  const head = estimateTraining({ ...bertBase, method: 'head', trainable: 600_000 });
  assert.ok(lora.peakBytes < b.peakBytes && head.peakBytes < lora.peakBytes);
});

test('estimate: the largest fitting batch fits and one more does not', () => {
  const limit = estimateTraining({ ...bertBase, batch: 5 }).peakBytes + 1;
  assert.equal(largestFittingBatch(bertBase, limit), 5);
  assert.equal(largestFittingBatch(bertBase, 1e6), 0);
});

test('estimate: over the limit, the refusal names the largest batch size, else the method that fits, else that nothing does', () => {
  const at = (b: number) => estimateTraining({ ...bertBase, batch: b }).peakBytes;
  assert.throws(() => checkMemory(bertBase, at(4) + 1, { limitSource: '--max-memory' }), (e: Error) => e instanceof MemoryLimitError && /largest batch size that fits is 4 \(--batch-size 4\)/.test(e.message) && !e.message.includes('\n'));
  const lora: TrainingShape = { ...bertBase, method: 'lora', trainable: 300_000 };
  assert.throws(() => checkMemory(bertBase, estimateTraining(lora).peakBytes + 1, { limitSource: '--max-memory', alternatives: [lora] }), /largest batch size that fits is/);
  const limit = estimateTraining({ ...lora, batch: 2 }).peakBytes + 1;
  assert.ok(limit < at(1), 'the test needs a limit below full at batch 1');
  assert.throws(() => checkMemory(bertBase, limit, { limitSource: '--max-memory', alternatives: [lora] }), /no batch size fits with full; --method lora --batch-size 2 would \(estimated [\d.]+ GB\)/);
  assert.throws(() => checkMemory(bertBase, 1e8, { limitSource: '--max-memory', alternatives: [lora] }), /no batch size or method fits/);
  assert.equal(checkMemory(bertBase, at(16) + 1, { limitSource: 'x' }).peakBytes, at(16));
});

test('estimate: a run shape counts the training graph\'s parameters from the model\'s spec', () => {
  const raw = bertConfig({ vocab: 1000, hidden: 64, layers: 2, heads: 4, ffn: 128 });
  const model = TransformerModel.fromConfig(raw, { seed: 0, head: 'mlm' });
  const o = { task: 'classify' as const, labels: ['a', 'b'], batch: 4, seq: 16 };
  const full = runShape(model, 'full', o);
  const lora = runShape(model, 'lora', { ...o, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['query', 'value'] } });
  const head = runShape(model, 'head', o);
  assert.equal(full.trainable, full.params);
  // LoRA r=4 on query and value of 2 layers: 2 x 2 x (4 x 64 + 64 x 4) adapter weights, plus the pooler and classifier.
  const headParams = 64 * 64 + 64 + 64 * 2 + 2;
  assert.equal(lora.trainable, 2 * 2 * (4 * 64 + 64 * 4) + headParams);
  assert.equal(head.trainable, headParams);
  assert.equal(lora.params, full.params + 2 * 2 * (4 * 64 + 64 * 4));
});

test('finetune: maxMemory below the estimate is refused before training, naming what fits', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-estimate-'));
  const vocab = await writeBertTokenizer(dir);
  const model = TransformerModel.fromConfig(NAMED_SIZES['bert-nano']!(vocab.size), { seed: 0, head: 'mlm', tokenizer: await Tokenizer.fromFolder(dir) });
  const train = Array.from({ length: 8 }, (_, i) => ({ text: i % 2 ? 'the film was good' : 'the movie was bad', label: i % 2 ? 'good' : 'bad' }));
  await assert.rejects(finetune({ model, train, method: 'full', maxMemory: 0.01, quiet: true }), (e: Error) => e instanceof MemoryLimitError && /exceeds --max-memory 0\.01/.test(e.message));
  await assert.rejects(finetune({ model, train, method: 'full', maxMemory: -1, quiet: true }), /maxMemory must be a number > 0/);
});
