// A resumed run is the run it resumes: fine-tuning stopped mid-way with dropout on (the default)
// and resumed ends with the same loss curve, dev score and weights bit for bit, for every method. A
// checkpoint of another run (model, method, labels, data, an option) is refused in one line naming
// the field and both values; --resume without a checkpoint says it starts fresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { finetune, type FinetuneOptions } from '../../src/train/finetune.js';
import { checkpointDir } from '../../src/train/checkpoint.js';
import { loadExamples, sampleBudget } from '../../src/data/index.js';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { NAMED_SIZES, TransformerModel, resolveModel } from '../../src/models/index.js';
import { ALL_METHODS } from '../../src/train/methods/index.js';

const spam = loadExamples('datasets/spam/train.jsonl', { task: 'classify' }).examples;
const train = sampleBudget(spam, 12, 0);
const dev = sampleBudget(spam.filter((e) => !train.includes(e)), 4, 1);
const tmp = () => mkdtempSync(path.join(tmpdir(), 'tuneshot-resume-'));
const tokenizerDir = resolveModel('tuneshot-base-encoder');
const tokenizer = await Tokenizer.fromFolder(tokenizerDir);

/** A tiny encoder (3 layers, hidden 48; dropout 0.1 as configured) with the embedded encoder's tokenizer. */
function tinyEncoder(seed = 1): TransformerModel {
  const m = TransformerModel.fromConfig(NAMED_SIZES['bert-nano']!(tokenizer.vocabSize), { seed, head: 'base', tokenizer });
  m.tokenizerDir = tokenizerDir;
  return m;
}

const base = (out: string): FinetuneOptions => ({
  model: tinyEncoder(), train, dev, labels: ['ham', 'spam'], epochs: 2, batchSize: 4, maxLength: 32, quiet: true, seed: 3, out, onWarning: () => undefined,
});

for (const method of ALL_METHODS) {
  test(`${method}: a run stopped mid-way and resumed ends with the uninterrupted run's losses, dev score and weights, bit for bit (dropout on)`, { timeout: 120_000 }, async () => {
    const dir = tmp();
    const opts = { ...base(path.join(dir, 'x')), method };
    const straight = await finetune({ ...opts, out: path.join(dir, 'a') });
    // 12 steps, dev evaluated after steps 6 and 12: the stop at step 7 checkpoints best weights and dev score too.
    await assert.rejects(finetune({ ...opts, out: path.join(dir, 'b'), stopAfter: 7 }), /stopped after 7 steps/);
    assert.ok(existsSync(path.join(checkpointDir(path.join(dir, 'b')), 'trainer_state.json')));
    const resumed = await finetune({ ...opts, out: path.join(dir, 'b'), resume: true });
    assert.equal(straight.lossCurve.length, 12);
    assert.deepEqual(resumed.lossCurve, straight.lossCurve);
    assert.equal(resumed.bestDev, straight.bestDev);
    const names = straight.trained.params.names();
    assert.deepEqual(resumed.trained.params.names().sort(), [...names].sort());
    for (const n of names) assert.deepEqual(resumed.trained.params.get(n)!.data, straight.trained.params.get(n)!.data, n);
    // The same run without dropout draws other losses: dropout was really on.
    const still = await finetune({ ...opts, out: path.join(dir, 'c'), dropout: false });
    assert.notDeepEqual(still.lossCurve, straight.lossCurve);
  });
}

test('--resume refuses a checkpoint of another run in one line naming the field and both values', { timeout: 120_000 }, async () => {
  const dir = tmp();
  const opts = { ...base(path.join(dir, 'run')), method: 'full' as const };
  await assert.rejects(finetune({ ...opts, stopAfter: 2 }), /stopped after 2 steps/);
  const renamed = train.map((e) => ({ ...e, label: e.label === 'ham' ? 'ok' : e.label }));
  const edited = train.map((e, i) => (i === 5 ? { ...e, text: `${e.text} (edited)` } : e));
  const cases: Array<[string, Partial<FinetuneOptions>, RegExp]> = [
    ['another model', { model: tinyEncoder(2) }, /model is \(in memory\) \("[0-9a-f]{16}"\) there, \(in memory\) \("[0-9a-f]{16}"\) now/],
    ['another method', { method: 'lora' }, /method is "full" there, "lora" now/],
    ['renamed labels', { train: renamed, dev: dev.map((e) => ({ ...e, label: e.label === 'ham' ? 'ok' : e.label })), labels: ['ok', 'spam'] }, /labels is \["ham","spam"\] there, \["ok","spam"\] now/],
    ['three labels', { labels: ['ham', 'maybe', 'spam'] }, /labels is \["ham","spam"\] there, \["ham","maybe","spam"\] now/],
    ['other data', { train: edited }, /trainData is "[0-9a-f]{16}" there, "[0-9a-f]{16}" now/],
    ['another option', { lr: 1e-3 }, /lr is 0\.0001 there, 0\.001 now/],
  ];
  for (const [what, change, re] of cases) {
    const err = await finetune({ ...opts, ...change, resume: true }).then(() => undefined, (e: Error) => e);
    assert.ok(err, `${what}: refused`);
    assert.match(err.message, re, what);
    assert.match(err.message, /the checkpoint is of another run/, what);
    assert.ok(!err.message.includes('\n'), `${what}: one line`);
  }
  // The refused checkpoint is left as it was, and resuming with the run's own settings still works.
  const r = await finetune({ ...opts, resume: true });
  assert.equal(r.steps, 12);
  // A finished output is not replaced without --overwrite.
  await assert.rejects(finetune({ ...opts, stopAfter: 2 }), /holds an earlier tuneshot finetune output; pass --overwrite to replace it/);
  // Not resuming over an existing checkpoint is refused too, even with --overwrite: it is the user's progress.
  const other = { ...opts, out: path.join(dir, 'other') };
  await assert.rejects(finetune({ ...other, stopAfter: 2 }), /stopped after 2 steps/);
  await assert.rejects(finetune(other), /holds a checkpoint from an earlier run; pass --resume to continue it/);
  await assert.rejects(finetune({ ...other, overwrite: true }), /holds a checkpoint from an earlier run; pass --resume to continue it/);
});

test('--resume without a checkpoint says it starts fresh, and does', { timeout: 60_000 }, async () => {
  const dir = tmp();
  const said: string[] = [];
  const r = await finetune({ ...base(path.join(dir, 'run')), method: 'head', resume: true, onWarning: (m) => said.push(m) });
  assert.equal(r.steps, 12);
  assert.ok(said.some((m) => /resume: no checkpoint in .*run\.work.checkpoint; starting fresh/.test(m)), said.join(' | '));
});
