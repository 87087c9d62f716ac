// `pretrain --objective icl-episodes --init <model>`: continues a causal LM (its weights and
// tokenizer) on in-context episodes mixed with corpus text, and a stopped run resumes bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pretrain, type PretrainOptions } from '../../src/train/pretrain.js';
import { TransformerModel } from '../../src/models/index.js';
import type { LabelledTask } from '../../src/data/episodes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-episodes-'));
const corpus = ['datasets/spam/train.jsonl'];
const common = { corpus, vocabSize: 512, seqLen: 64, batchSize: 4, checkpointEvery: 100, quiet: true } as const;
// Two tiny causal LMs to continue from (different seeds: different weights, same tokenizer).
const initA = path.join(dir, 'init-a'), initB = path.join(dir, 'init-b');
await pretrain({ ...common, objective: 'clm', size: 'llama-nano', steps: 2, seed: 1, out: initA });
await pretrain({ ...common, objective: 'clm', tokenizer: initA, size: 'llama-nano', steps: 2, seed: 2, out: initB });

const words = (w: string[], tail: string) => w.flatMap((x) => [`a ${x} ${tail}`, `my ${x} and a ${x} ${tail}`]);
const tasks: LabelledTask[] = [
  { name: 'toy-a', classes: ['x', 'y'], names: ['good', 'bad'], byClass: [words(['sun', 'joy', 'gift'], 'is good'), words(['rain', 'mud', 'pain'], 'is bad')] },
  { name: 'toy-b', classes: ['p', 'q', 'r'], names: ['red', 'blue', 'green'], byClass: [words(['rose', 'fire'], 'red'), words(['sky', 'sea'], 'blue'), words(['leaf', 'moss'], 'green')] },
];
const run = (out: string, o: Partial<PretrainOptions> = {}): PretrainOptions => ({
  ...common, objective: 'icl-episodes', init: initA, episodeTasks: tasks, steps: 3, seed: 4, lr: 1e-3, out: path.join(dir, out), onWarning: () => undefined, ...o,
});
const weights = (out: string) => readFileSync(path.join(dir, out, 'model.safetensors'));

test('a 3-step icl-episodes run continues from its init model and a stopped run resumes bit for bit', { timeout: 120_000 }, async () => {
  const straight = await pretrain(run('straight'));
  assert.equal(straight.steps, 3);
  assert.equal(straight.losses.length, 3);
  assert.ok(straight.losses.every(Number.isFinite));
  assert.ok(Number.isFinite(straight.heldOut.perplexity));
  // It started from the init model: the same tokenizer, the same architecture, weights moved from there.
  assert.deepEqual(readFileSync(path.join(dir, 'straight', 'tokenizer.json')), readFileSync(path.join(initA, 'tokenizer.json')));
  const [init, done] = await Promise.all([TransformerModel.load(initA), TransformerModel.load(path.join(dir, 'straight'))]);
  assert.deepEqual(done.params.names().sort(), init.params.names().sort());
  assert.equal(JSON.parse(readFileSync(path.join(dir, 'straight', 'config.json'), 'utf8')).tuneshot.init, initA);
  const w = 'model.layers.0.mlp.up_proj.weight';
  const moved = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + Math.abs(x - b[i]!), 0) / a.length;
  const fresh = await pretrain({ ...common, objective: 'icl-episodes', tokenizer: initA, size: 'llama-nano', episodeTasks: tasks, steps: 3, seed: 4, lr: 1e-3, out: path.join(dir, 'fresh') });
  const scratch = await TransformerModel.load(path.join(dir, 'fresh'));
  const name = done.params.names().find((n) => n.endsWith(w))!;
  assert.ok(moved(done.params.get(name)!.data as Float32Array, init.params.get(name)!.data as Float32Array) < moved(scratch.params.get(name)!.data as Float32Array, init.params.get(name)!.data as Float32Array));
  assert.notDeepEqual(fresh.losses, straight.losses);

  // Stop after step 1 (a checkpoint every step), resume: the same losses and weights as the straight run.
  const part = await pretrain(run('resumed', { stopAfter: 1, checkpointEvery: 1 }));
  assert.equal(part.steps, 1);
  const resumed = await pretrain(run('resumed', { resume: true, checkpointEvery: 1 }));
  assert.deepEqual(resumed.losses, straight.losses);
  assert.deepEqual(weights('resumed'), weights('straight'));
});

test('the run identity holds the init model: resuming on another init, or other episode options, is refused', { timeout: 120_000 }, async () => {
  await pretrain(run('identity', { stopAfter: 1, checkpointEvery: 1 }));
  await assert.rejects(pretrain(run('identity', { init: initB, resume: true, checkpointEvery: 1 })), /initWeights|init/);
  await assert.rejects(pretrain(run('identity', { clmMix: 0.5, resume: true, checkpointEvery: 1 })), /clmMix/);
});

test('icl-episodes options are checked against one table: clmMix in [0, 1], episodeLoss all|query, init without tokenizer/size', async () => {
  await assert.rejects(pretrain(run('bad1', { clmMix: 1.5 })), /clmMix/);
  await assert.rejects(pretrain(run('bad2', { episodeLoss: 'labels' as never })), /episodeLoss/);
  await assert.rejects(pretrain(run('bad3', { size: 'llama-mini' })), /size cannot be combined with init/);
  await assert.rejects(pretrain(run('bad4', { objective: 'electra' as never })), /objective/);
  // An init of the other kind is refused in one line naming --init, before any data is prepared.
  await assert.rejects(pretrain(run('bad5', { init: 'tuneshot-base-encoder' })), /^Error: pretrain: --init tuneshot-base-encoder is a bert encoder; --objective icl-episodes continues a decoder$/);
  await assert.rejects(pretrain(run('bad6', { objective: 'mlm', init: initA })), /--init .*init-a is a llama decoder; --objective mlm continues an encoder$/);
});
