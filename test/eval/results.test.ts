import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBudgets, formatBudget, parseResults, summarize, type Cell } from '../../src/eval/results.js';
import { fixtureResults } from './fixture.js';

// TEST FIXTURE DATA: hand-made cells.
function cell(method: string, budget: number | 'all', seed: number, predictions: string[], accuracy: number, extra: Partial<Cell> = {}): Cell {
  return {
    method,
    budget,
    seed,
    metrics: { accuracy, macroF1: accuracy, perClassF1: {}, confusion: [] },
    predictions,
    train: { wallSeconds: 10 * seed, flops: 1e9 },
    inference: { p50Ms: 5, p95Ms: 9, tokensPerQuery: 20, flopsPerQuery: 1e6 },
    ...extra,
  };
}

test('summarize: pooled bootstrap with gold, agreement, means; failed cells skipped', () => {
  const gold = ['a', 'b', 'a', 'b'];
  const cells = [
    cell('ft:x', 4, 1, ['a', 'b', 'a', 'a'], 0.75),
    cell('ft:x', 4, 2, ['a', 'b', 'b', 'a'], 0.5),
    cell('ft:x', 4, 3, ['b', 'b', 'b', 'b'], 0.5, { error: 'out of memory' }),
    cell('icl:y', 0, 1, ['a', 'a', 'a', 'a'], 0.5),
  ];
  const rows = summarize(cells, { gold, samples: 300, seed: 1 });
  assert.equal(rows.length, 2);
  const ft = rows[0]!;
  assert.equal(ft.method, 'ft:x');
  assert.equal(ft.seeds, 2);
  assert.equal(ft.meanAccuracy, 0.625);
  assert.equal(ft.ci.basis, 'pooled-bootstrap');
  assert.ok(ft.ci.lower <= 0.625 && ft.ci.upper >= 0.625);
  assert.equal(ft.agreement, 0.75);
  assert.equal(ft.meanTrainSeconds, 15);
  assert.ok(Math.abs(ft.stdAccuracy - Math.sqrt(0.03125)) < 1e-12);
  assert.equal(rows[1]!.ci.basis, 'pooled-bootstrap');
  assert.equal(rows[1]!.agreement, 1);
});

test('summarize: without gold, a t-interval over seeds; one seed gives a point', () => {
  const cells = [cell('m', 16, 1, [], 0.8), cell('m', 16, 2, [], 0.84), cell('m', 16, 3, [], 0.82), cell('m', 'all', 1, [], 0.9)];
  const rows = summarize(cells);
  assert.deepEqual(rows.map((r) => r.budget), [16, 'all']);
  const r = rows[0]!;
  assert.equal(r.ci.basis, 'seeds');
  // mean 0.82, std 0.02, t(2)=4.303: half-width 4.303*0.02/sqrt(3)
  const half = (4.303 * 0.02) / Math.sqrt(3);
  assert.ok(Math.abs(r.ci.lower - (0.82 - half)) < 1e-9);
  assert.ok(Math.abs(r.ci.upper - (0.82 + half)) < 1e-9);
  assert.equal(rows[1]!.ci.basis, 'none');
  assert.equal(r.agreement, null, 'no predictions recorded');
  assert.equal(rows[1]!.ci.lower, 0.9);
});

test('parseResults round-trips a fixture and rejects bad input', () => {
  const r = fixtureResults({ testSize: 60, methods: [{ id: 'ft:full:m', kind: 'finetune', accuracy: { 4: 0.7 }, p50Ms: 5 }] });
  const back = parseResults(JSON.parse(JSON.stringify(r)));
  assert.deepEqual(back, r);
  assert.throws(() => parseResults({ ...r, version: 2 }), /invalid compare results:\n\s+version/);
  assert.throws(() => parseResults({ ...r, cells: [{ ...r.cells[0]!, method: 'nope' }] }), /unknown method nope/);
  assert.throws(() => parseResults({ ...r, budgets: [-1] }), /budgets/);
});

test('budgets order with all last', () => {
  assert.deepEqual(['all', 16, 0, 4].sort((a, b) => compareBudgets(a as never, b as never)), [0, 4, 16, 'all']);
  assert.equal(formatBudget(16), '16/class');
  assert.equal(formatBudget('all'), 'all data');
});
