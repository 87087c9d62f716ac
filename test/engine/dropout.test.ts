// Dropout's masks are a function of (seed, run): a session compiled to continue after n runs draws
// what the first session drew at run n, so a training run stopped and resumed in a new session
// (a new process) ends with the same losses and weights bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, Graph, ParamStore, Program, Trainer, host, mulberry32, normalArray, ops as o } from '../../src/engine/index.js';

const X = host.f32(Array.from({ length: 512 }, (_, i) => 1 + (i % 7)), [64, 8]);

function dropoutProgram(randomRuns?: number) {
  const g = new Graph();
  const x = g.input('x', 'float32', ['N', 8]);
  return new Program([o.dropout(o.dropout(x, 0.5, 7), 0.3, 8)], { fresh: true, randomRuns });
}

test('a program compiled with randomRuns n draws the masks of run n of a fresh one', async () => {
  const first = dropoutProgram();
  const masks: Float32Array[] = [];
  for (let i = 0; i < 5; i++) masks.push((await first.run({ x: X }))[0]!.data as Float32Array);
  assert.notDeepEqual(masks[0], masks[1], 'every run draws a new mask');
  assert.equal(first.runs, 5);
  const later = dropoutProgram(3);
  assert.deepEqual((await later.run({ x: X }))[0]!.data, masks[3]);
  assert.deepEqual((await later.run({ x: X }))[0]!.data, masks[4]);
  assert.equal(later.runs, 5);
  assert.throws(() => dropoutProgram(-1), /randomRuns must be a whole number >= 0, got -1/);
});

async function train(steps: number, from?: { step: number; runs: number; store: ParamStore; optimizer: AdamW }) {
  const g = new Graph();
  const x = g.input('x', 'float32', ['N', 8]);
  const y = g.input('y', 'int64', ['N']);
  const w1 = g.param('w1', [8, 16]), w2 = g.param('w2', [16, 2]);
  const h = o.dropout(o.tanh(o.matmul(x, w1)), 0.2, 3);
  const loss = o.crossEntropy(o.matmul(h, w2), y);
  const store = from?.store ?? new ParamStore();
  if (!from) for (const p of g.params) store.set(p.name, p.shape as number[], normalArray((p.shape as number[]).reduce((a, b) => a * b, 1), 0.3, mulberry32(p.name.length)));
  const optimizer = new AdamW({ weightDecay: 0 });
  if (from) optimizer.load(from.optimizer.state());
  const trainer = new Trainer(loss, g.params, store, {
    optimizer, schedule: { kind: 'linear', peakLr: 0.05, warmupSteps: 1, totalSteps: 8 }, ...(from ? { resumeAt: { step: from.step, runs: from.runs } } : {}),
  });
  const ys = host.i64(Array.from({ length: 64 }, (_, i) => i % 2), [64]);
  const losses: number[] = [];
  while (trainer.step < steps) losses.push((await trainer.trainStep([{ x: X, y: ys }])).loss);
  return { losses, store, optimizer, step: trainer.step, runs: trainer.runs };
}

test('a trainer resumed at (step, runs) continues the same losses and weights bit for bit', async () => {
  const straight = await train(8);
  const half = await train(3);
  assert.equal(half.runs, 3);
  const rest = await train(8, half);
  assert.deepEqual([...half.losses, ...rest.losses], straight.losses);
  for (const n of straight.store.names()) assert.deepEqual(rest.store.get(n)!.data, straight.store.get(n)!.data, n);
  // Without the runs the masks restart from the seed, and the curve departs from the uninterrupted one.
  const wrong = await train(8, { ...(await train(3)), runs: 0 });
  assert.notDeepEqual(wrong.losses, rest.losses);
});
