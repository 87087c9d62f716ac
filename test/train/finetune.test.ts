// Fine-tuning the embedded encoder on the shipped spam dataset: learns well above chance, LoRA
// leaves the base weights bit-identical and saves a PEFT adapter, head-only matches a logistic
// regression on the same frozen features, a killed run resumes, and bad input fails clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { finetune } from '../../src/train/finetune.js';
import { loadClassifier } from '../../src/train/adapted.js';
import { loadExamples, sampleBudget } from '../../src/data/index.js';
import { TransformerModel, resolveModel } from '../../src/models/index.js';
import { encoderFeeds, forwardTexts } from '../../src/models/inference.js';

const ENCODER = process.env.TUNESHOT_TEST_ENCODER ?? 'tuneshot-base-encoder';
const all = loadExamples('datasets/spam/train.jsonl', { task: 'classify' }).examples;
const train = sampleBudget(all, 48, 0);
const testSet = loadExamples('datasets/spam/test.jsonl', { task: 'classify' }).examples.filter((_, i) => i % 3 === 0);
const tmp = () => mkdtempSync(path.join(tmpdir(), 'tuneshot-ft-'));
const accuracy = async (m: { predict: (x: { text: string }[]) => Promise<{ label: string }[]> }) =>
  (await m.predict(testSet.map((e) => ({ text: e.text })))).filter((p, i) => p.label === testSet[i]!.label).length / testSet.length;

test('full fine-tuning learns spam vs ham well above chance and reloads as a HF checkpoint', { timeout: 180_000 }, async () => {
  const out = path.join(tmp(), 'full');
  const r = await finetune({ model: ENCODER, train, method: 'full', epochs: 3, lr: 2e-4, quiet: true, out, seed: 1 });
  const acc = await accuracy(r.model);
  assert.ok(acc >= 0.8, `accuracy ${acc} on ${testSet.length} test emails`);
  const cfg = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(cfg.id2label, { 0: 'ham', 1: 'spam' });
  assert.ok(existsSync(path.join(out, 'tokenizer.json')));
  const back = await loadClassifier(out);
  const [a, b] = [await back.predict([{ text: testSet[0]!.text }]), await r.model.predict([{ text: testSet[0]!.text }])];
  assert.ok(Math.abs(a[0]!.probs['spam']! - b[0]!.probs['spam']!) < 1e-6);
});

test('LoRA trains adapters and head only: base weights stay bit-identical; PEFT adapter saved; merge gives the same predictions', { timeout: 180_000 }, async () => {
  const base = await TransformerModel.load(resolveModel(ENCODER));
  const before = new Map(base.params.names().map((n) => [n, Float32Array.from(base.params.get(n)!.data as Float32Array)]));
  const out = path.join(tmp(), 'lora');
  const r = await finetune({ model: base, train, method: 'lora', epochs: 2, quiet: true, out, seed: 2 });
  for (const [n, v] of before) assert.deepEqual(base.params.get(n)!.data, v, `caller's ${n} untouched`);
  const tuned = r.trained;
  for (const n of base.params.names()) assert.deepEqual(tuned.params.get(n)!.data, before.get(n), `base weight ${n} not trained`);
  const loraNames = tuned.params.names().filter((n) => n.includes('.lora_'));
  assert.equal(loraNames.length, base.config.layers * 2 * 2, 'A and B for query and value in every layer');
  assert.ok(loraNames.some((n) => n.endsWith('lora_B.weight') && (tuned.params.get(n)!.data as Float32Array).some((x) => x !== 0)), 'B moved from zero');
  const adapterCfg = JSON.parse(readFileSync(path.join(out, 'adapter', 'adapter_config.json'), 'utf8'));
  assert.equal(adapterCfg.peft_type, 'LORA');
  assert.deepEqual(adapterCfg.target_modules, ['query', 'value']);
  assert.ok(existsSync(path.join(out, 'adapter', 'adapter_model.safetensors')));
  // The saved (merged) checkpoint predicts what the unmerged base + adapter graph predicts.
  const merged = await loadClassifier(out);
  const texts = testSet.slice(0, 8).map((e) => e.text);
  const pm = await merged.predict(texts.map((text) => ({ text })));
  const unmerged = await forwardTexts(tuned, texts, { head: 'cls', numLabels: 2, pooling: 'cls', lora: r.lora, maxLength: 128 });
  pm.forEach((p, i) => {
    const [l0, l1] = unmerged[i]!;
    const spam = 1 / (1 + Math.exp(l0! - l1!));
    assert.ok(Math.abs(p.probs['spam']! - spam) < 1e-4, `merged vs adapter, text ${i}: ${p.probs['spam']} vs ${spam}`);
  });
});

test('LoRA scores dev with its adapters: the best dev accuracy is that of the returned model on dev', { timeout: 120_000 }, async () => {
  const dev = testSet.filter((_, i) => i % 2 === 0);
  const r = await finetune({ model: ENCODER, train: train.slice(0, 24), dev, method: 'lora', epochs: 4, batchSize: 8, lr: 5e-3, maxLength: 64, quiet: true, seed: 1 });
  const preds = await r.model.predict(dev.map((e) => ({ text: e.text })));
  assert.equal(r.bestDev, preds.filter((p, i) => p.label === dev[i]!.label).length / dev.length);
});

test('head-only trains in seconds and matches a logistic regression on the same frozen features', { timeout: 120_000 }, async () => {
  const r = await finetune({ model: ENCODER, train, method: 'head', epochs: 30, batchSize: 32, quiet: true, seed: 3 });
  assert.ok(r.trainSeconds < 20, `head-only took ${r.trainSeconds}s`);
  const headAcc = await accuracy(r.model);
  // Logistic regression (full-batch gradient descent) on the [CLS] features of the frozen body.
  const m = await TransformerModel.load(resolveModel(ENCODER));
  const feats = async (texts: string[]) => {
    const enc = m.tokenizer!.encodeBatch(texts, { maxLength: 128 });
    const [h] = await m.program({ head: 'base' }).program.run(encoderFeeds(m, enc), m.params);
    const H = m.config.hidden, T = enc.inputIds[0]!.length, d = h!.data as Float32Array;
    return texts.map((_, b) => d.slice(b * T * H, b * T * H + H));
  };
  const X = await feats(train.map((e) => e.text)), y = train.map((e) => Number(e.label === 'spam'));
  const H = X[0]!.length;
  const mean = new Float32Array(H), sd = new Float32Array(H);
  X.forEach((x) => x.forEach((v, j) => (mean[j]! += v / X.length)));
  X.forEach((x) => x.forEach((v, j) => (sd[j]! += (v - mean[j]!) ** 2 / X.length)));
  const z = (x: Float32Array) => Array.from(x, (v, j) => (v - mean[j]!) / Math.sqrt(sd[j]! + 1e-6));
  const Z = X.map(z);
  const w = new Float64Array(H);
  let b0 = 0;
  for (let it = 0; it < 500; it++) {
    const gw = new Float64Array(H);
    let gb = 0;
    Z.forEach((x, i) => {
      const p = 1 / (1 + Math.exp(-(x.reduce((a, v, j) => a + v * w[j]!, b0))));
      const e = p - y[i]!;
      x.forEach((v, j) => (gw[j]! += e * v / Z.length));
      gb += e / Z.length;
    });
    w.forEach((_, j) => (w[j]! -= 0.5 * (gw[j]! + 1e-3 * w[j]!)));
    b0 -= 0.5 * gb;
  }
  const T = (await feats(testSet.map((e) => e.text))).map(z);
  const lrAcc = T.filter((x, i) => (x.reduce((a, v, j) => a + v * w[j]!, b0) > 0 ? 'spam' : 'ham') === testSet[i]!.label).length / T.length;
  assert.ok(Math.abs(headAcc - lrAcc) <= 0.06, `head-only ${headAcc} vs logistic regression ${lrAcc}`);
});

test('a fine-tuning run stopped mid-way resumes from its checkpoint to the same result', { timeout: 180_000 }, async () => {
  const dir = tmp();
  const opts = { model: ENCODER, train: train.slice(0, 32), method: 'full' as const, epochs: 2, batchSize: 8, quiet: true, seed: 4, dropout: false, checkpointEvery: 2 };
  const straight = await finetune({ ...opts, out: path.join(dir, 'a') });
  await assert.rejects(finetune({ ...opts, out: path.join(dir, 'b'), stopAfter: 5 }), /stopped after 5 steps/);
  assert.ok(!existsSync(path.join(dir, 'b', 'config.json')), 'no output folder from the stopped run');
  const resumed = await finetune({ ...opts, out: path.join(dir, 'b'), resume: true });
  assert.deepEqual(resumed.lossCurve, straight.lossCurve);
  for (const n of straight.model.model.params.names()) assert.deepEqual(resumed.model.model.params.get(n)!.data, straight.model.model.params.get(n)!.data, n);
});

test('bad training data: the error names file, line and field, and nothing is written', async () => {
  const dir = tmp();
  const cases: Array<[string, RegExp]> = [
    ['{"text":"hi","label":"ham"}\n{"text":"yo"}\n', /bad\.jsonl:2.*label/],
    ['{"text":"hi","label":"ham"}\n{"text":"","label":"spam"}\n', /bad\.jsonl:2.*text/],
    ['{"text":"hi","label":"ham"}\n{"text":"x","label":"maybe"}\n', /bad\.jsonl:2.*label.*maybe/],
    ['{"text":"hi","label":"ham"}\n{"text": "x", label\n', /bad\.jsonl:2/],
  ];
  for (const [content, re] of cases) {
    const file = path.join(dir, 'bad.jsonl');
    writeFileSync(file, content);
    const out = path.join(dir, 'out');
    await assert.rejects(finetune({ model: ENCODER, train: file, labels: ['ham', 'spam'], method: 'head', quiet: true, out }), re);
    assert.ok(!existsSync(out), 'no output written');
  }
});

test('generate: fine-tuning the embedded LM on prompt -> completion lowers the completion loss and generates', { timeout: 180_000 }, async () => {
  const pairs = ['red', 'blue', 'green', 'black', 'white', 'brown', 'pink', 'gray'].map((c) => ({ text: `Colour: ${c}\nRepeat:`, prompt: `Colour: ${c}\nRepeat:`, completion: ` ${c} ${c}` }));
  const r = await finetune({ model: 'tuneshot-base-lm', train: pairs, dev: pairs, task: 'generate', method: 'full', epochs: 12, batchSize: 4, lr: 1e-3, quiet: true, seed: 5 });
  assert.ok(r.lossCurve.at(-1)! < r.lossCurve[0]! / 2, `completion loss ${r.lossCurve[0]} -> ${r.lossCurve.at(-1)}`);
  const gen = r.model as import('../../src/train/adapted.js').FineTunedGenerator;
  const [out] = await gen.generate(['Colour: green\nRepeat:'], 6);
  // A 5M-parameter LM learns the completion's format (a colour word, twice) from 8 examples.
  assert.match(out!, /^\s*(red|blue|green|black|white|brown|pink|gray) \1/, `generated "${out}"`);
});
