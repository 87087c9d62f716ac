// compare's distilled arm: the fixture LM (a competent teacher on the toy sentiment task) labels an
// unlabelled pool at each budget, the embedded encoder learns from its labels; the arm lands in
// results.json with its labelling cost once and its per-query cost, and in the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compare } from '../../src/compare/index.js';
import { CompareResultsSchema } from '../../src/eval/results.js';
import { teacherLM, toyTask } from '../fixtures/toy-sentiment-task.js';

test('compare --distill: the distilled arm is in results.json, the tables, the charts and the advice', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-compare-distill-'));
  const task = toyTask(96, 7);
  const out = path.join(dir, 'run');
  const r = await compare({
    train: task.demos, test: task.test.slice(0, 30), ft: ['tuneshot-base-encoder'], methods: ['head'], budgets: [2], seeds: 1, k: 4, calibrate: true,
    distill: task.pool, distillSize: 40, distillTeacher: teacherLM(), epochs: { head: 20 }, lr: 0.01,
    latencySample: 2, out, registry: false, quiet: true, prices: { icl: 0.002, ft: 0.0001 },
  });
  const json = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
  CompareResultsSchema.parse(json);
  const arm = r.results.arms.find((a) => a.kind === 'distilled');
  assert.ok(arm, JSON.stringify(r.results.arms.map((a) => a.id)));
  assert.equal(arm.id, 'distill:head:tuneshot-base-encoder');
  const cells = r.results.cells.filter((c) => c.arm === arm.id);
  assert.equal(cells.length, 1);
  const c = cells[0]!;
  assert.equal(c.error, undefined, c.error);
  assert.equal(c.predictions.length, 30);
  // The teacher is competent, so its labels teach the student the task.
  assert.ok(c.metrics.accuracy >= 0.7, `distilled accuracy ${c.metrics.accuracy}`);
  // Labelling cost once (teacher tokens × 0.002 $/1k tokens), the student's tokens per query × 0.0001 $/1k.
  assert.ok(c.oneOffCostUsd! > 0, `one-off ${c.oneOffCostUsd}`);
  assert.ok(Math.abs(c.costPer1kQueriesUsd! - 0.0001 * c.inference.tokensPerQuery) < 1e-12);
  assert.ok(c.train.wallSeconds > 0 && c.train.flops > 0);
  const html = readFileSync(r.paths.html, 'utf8');
  assert.match(html, /distilled tuneshot-base-encoder/);
  assert.match(html, /distillation/);
  assert.match(readFileSync(path.join(out, 'summary.md'), 'utf8'), /distilled tuneshot-base-encoder/);
});
