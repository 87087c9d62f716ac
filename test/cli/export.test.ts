// `tuneshot export`, `predict --quantize int8` and `serve --quantize int8` as users run them (real
// child processes), on the embedded encoder LoRA-fine-tuned on the shipped spam data:
//   - exporting the PEFT adapter folder merges it into its base: same logits as the merged folder;
//   - --out: a previous export is replaced, any other non-empty folder is refused and left as it was;
//   - bad options fail with one line naming the option, before any work;
//   - int8: the quantized graph keeps the f32 classifier's labels on (nearly) every test text, and
//     the server answers /v1/classify with it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadExamples } from '../../src/data/dataset.js';
import { finetune } from '../../src/train/finetune.js';
import { loadClassifier } from '../../src/train/adapted.js';
import { quantizeClassifier } from '../../src/export/int8-classifier.js';
import { exportModel } from '../../src/export/export.js';
import { quantizeColumns, quantizeDynamicInt8 } from '../../src/export/quantize-int8.js';
import { buildExportGraph } from '../../src/export/onnx-graph.js';
import { encodeModel, toModelProto } from '../../src/export/onnx-model.js';
import { CLI, runCli, type Ran } from '../fixtures/run-cli.js';

const TEST_ENV = { ...process.env, TUNESHOT_HOME: mkdtempSync(path.join(tmpdir(), 'tuneshot-home-')) };
const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-export-cli-'));
const model = path.join(dir, 'spam-lora');
const test_ = loadExamples('datasets/spam/test.jsonl', { task: 'classify' }).examples.filter((_, i) => i % 5 === 0);

const run = (args: string[], timeoutMs = 120_000): Promise<Ran> => runCli(args, { env: TEST_ENV, timeoutMs });

before(async () => {
  const train = loadExamples('datasets/spam/train.jsonl', { task: 'classify' }).examples.slice(0, 96);
  await finetune({ model: 'tuneshot-base-encoder', train, method: 'lora', epochs: 2, batchSize: 16, maxLength: 64, quiet: true, out: model, seed: 4 });
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(TEST_ENV.TUNESHOT_HOME, { recursive: true, force: true });
});

async function onnxLogits(file: string, texts: string[]): Promise<Float32Array> {
  const clf = await loadClassifier(model);
  const enc = clf.model.tokenizer!.encodeBatch(texts, { maxLength: 64 });
  const t = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]!.length]);
  const s = await ort.InferenceSession.create(file);
  return (await s.run({ input_ids: t(enc.inputIds), attention_mask: t(enc.attentionMask), token_type_ids: t(enc.tokenTypeIds) }))['logits']!.data as Float32Array;
}

test('export merges a PEFT LoRA adapter folder into its base, and replaces only previous exports', { timeout: 300_000 }, async () => {
  const merged = path.join(dir, 'merged-onnx'), fromAdapter = path.join(dir, 'adapter-onnx');
  let r = await run(['export', '--model', model, '--format', 'onnx', '--quant', 'f32', '--out', merged, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /onnx f32 export of a classifier/);
  r = await run(['export', '--model', path.join(model, 'adapter'), '--format', 'onnx', '--quant', 'f32', '--out', fromAdapter]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /merged the LoRA adapter/);
  const marker = JSON.parse(readFileSync(path.join(fromAdapter, 'tuneshot_export.json'), 'utf8'));
  assert.equal(marker.kind, 'classifier');
  assert.deepEqual(JSON.parse(readFileSync(path.join(fromAdapter, 'config.json'), 'utf8')).id2label, { 0: 'ham', 1: 'spam' });
  const texts = test_.slice(0, 6).map((e) => e.text);
  const [a, b] = [await onnxLogits(path.join(merged, 'onnx/model.onnx'), texts), await onnxLogits(path.join(fromAdapter, 'onnx/model.onnx'), texts)];
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-4, `logit ${i}: merged folder ${v}, adapter merged at export ${b[i]}`));

  // A previous export is replaced (atomically: no temp folders left behind) ...
  r = await run(['export', '--model', model, '--format', 'gguf', '--quant', 'q8_0', '--out', merged, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: GGUF holds the model body/);
  assert.deepEqual(readdirSync(merged).sort(), ['model-q8_0.gguf', 'tuneshot_export.json']);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.')), []);
  // ... anything else is refused and left alone.
  const mine = path.join(dir, 'my-notes');
  mkdirSync(mine);
  writeFileSync(path.join(mine, 'todo.txt'), 'keep me');
  r = await run(['export', '--model', model, '--format', 'onnx', '--out', mine]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `tuneshot: --out ${mine}: folder exists and is not empty (and not a previous tuneshot export); choose a new folder`);
  assert.deepEqual(readdirSync(mine), ['todo.txt']);
});

test('export rejects bad options in one line before loading anything', { timeout: 120_000 }, async () => {
  const out = path.join(dir, 'never');
  // Through the CLI: one line, no stack trace, nothing written.
  const cases: Array<[string[], RegExp]> = [
    [['--format', 'onnx', '--quant', 'q4_0'], /^tuneshot: --quant for onnx must be one of f32, int8, got "q4_0"\n$/],
    [['--format', 'tflite'], /argument 'tflite' is invalid. Allowed choices are gguf, onnx/],
    [['--format', 'gguf', '--ollama'], /^tuneshot: --ollama: .* is a classifier; Ollama runs language models \(decoders\)\n$/],
  ];
  for (const [args, re] of cases) {
    const r = await run(['export', '--model', model, '--out', out, ...args]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, re);
    assert.ok(!existsSync(out), 'nothing written');
  }
  // The library checks the same at its boundary.
  const lib: Array<[Parameters<typeof exportModel>[0], RegExp]> = [
    [{ model, format: 'gguf', quant: 'int8', out }, /--quant for gguf must be one of f32, f16, q8_0, q4_0, got "int8"/],
    [{ model, format: 'onnx', ollama: true, out }, /--ollama needs --format gguf/],
    [{ model, format: 'onnx', out: ' ' }, /--out: give the folder to write/],
    [{ model: path.join(dir, 'nope'), format: 'onnx', out }, /model ".*nope" not found/],
    [{ model: path.join(model, 'model.safetensors'), format: 'onnx', out }, /model\.safetensors: not a model folder/],
  ];
  for (const [o, re] of lib) await assert.rejects(exportModel(o), re);
  assert.ok(!existsSync(out), 'nothing written');
});

test('int8 rewrite: per-column int8 weights, DynamicQuantizeLinear + MatMulInteger, close to float32', async () => {
  const w = Float32Array.from({ length: 12 }, (_, i) => (i - 5) / 7); // K=3, N=4, stored [K, N]
  const { q, scale } = quantizeColumns(w, 3, 4, false);
  for (let k = 0; k < 3; k++) for (let n = 0; n < 4; n++) assert.ok(Math.abs(q[k * 4 + n]! * scale[n]! - w[k * 4 + n]!) <= scale[n]! / 2 + 1e-7);
  assert.equal(Math.max(...Array.from(q, Math.abs)), 127);
  const clf = await loadClassifier(model);
  const proto = toModelProto(buildExportGraph(clf.model, { task: 'classifier', numLabels: 2 }), clf.model.params);
  const report = quantizeDynamicInt8(proto);
  assert.equal(report.matmuls, 4 * 6 + 2, 'q, k, v, output, intermediate, output per layer, pooler, classifier');
  const ops = new Set(proto.graph!.node!.map((n) => n.opType));
  assert.ok(ops.has('DynamicQuantizeLinear') && ops.has('MatMulInteger'));
  assert.ok(!proto.graph!.initializer!.some((t) => t.name === 'bert.encoder.layer.0.attention.self.query.weight'), 'float weights dropped');
  assert.ok(report.int8Bytes < report.floatBytes / 3.5);
  const file = path.join(dir, 'q.onnx');
  writeFileSync(file, encodeModel(proto));
  const texts = test_.slice(0, 8).map((e) => e.text);
  const f32 = await clf.predict(texts.map((text) => ({ text })));
  const logits = await onnxLogits(file, texts);
  f32.forEach((p, i) => {
    const spam = 1 / (1 + Math.exp(logits[2 * i]! - logits[2 * i + 1]!));
    assert.ok(Math.abs(spam - p.probs['spam']!) < 0.05, `text ${i}: int8 P(spam) ${spam}, f32 ${p.probs['spam']}`);
  });
});

test('predict --quantize int8 keeps the f32 labels; serve --quantize int8 answers /v1/classify', { timeout: 300_000 }, async () => {
  const data = path.join(dir, 'test.jsonl');
  writeFileSync(data, test_.map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n') + '\n');
  const [p32, p8] = [path.join(dir, 'p32.jsonl'), path.join(dir, 'p8.jsonl')];
  let r = await run(['predict', '--model', model, '--data', data, '--out', p32, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  r = await run(['predict', '--model', model, '--data', data, '--out', p8, '--quantize', 'int8', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const read = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { label: string; probs: Record<string, number> });
  const [a, b] = [read(p32), read(p8)];
  assert.equal(b.length, test_.length);
  const same = a.filter((x, i) => x.label === b[i]!.label).length;
  assert.ok(same >= a.length - 2, `int8 agrees with f32 on ${same}/${a.length}`);
  assert.ok(b.some((x, i) => x.probs['spam'] !== a[i]!.probs['spam']), 'the int8 run really took another path');
  r = await run(['predict', '--model', model, '--data', data, '--out', p8, '--quantize', 'int4']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /argument 'int4' is invalid. Allowed choices are int8/);
  r = await run(['predict', '--model', 'tuneshot-base-lm', '--data', data, '--out', p8, '--quantize', 'int8']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--quantize int8 is for classifiers; tuneshot-base-lm is a language model/);

  const child: ChildProcess = spawn(process.execPath, [...CLI, 'serve', '--model', `spam=${model}`, '--port', '0', '--quantize', 'int8'], { stdio: ['ignore', 'pipe', 'pipe'], env: TEST_ENV });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)[^]*\nbatching: /.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]!); }
      });
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}:\n${out}`)); });
    });
    assert.match(out, /spam {2}classifier \(int8\) {2}\(ft:lora:spam-lora:int8\)/);
    const texts = test_.slice(0, 5).map((e) => e.text);
    const res = await fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'spam', input: texts }) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { data: Array<{ label: string; probs: Record<string, number> }> };
    const local = await (await quantizeClassifier(await loadClassifier(model), 'int8')).predict(texts.map((text) => ({ text })));
    body.data.forEach((d, i) => {
      assert.equal(d.label, local[i]!.label);
      assert.ok(Math.abs(d.probs['spam']! - local[i]!.probs['spam']!) < 1e-5);
    });
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});
