import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseResults, readResults } from '../../src/eval/read.js';
import { compareBudgets, formatBudget, RESULTS_VERSION, type Cell } from '../../src/eval/results.js';
import { summarize, withSummary } from '../../src/eval/summary.js';
import { chooseMetric, parseMetric } from '../../src/eval/metric.js';
import { fixtureResults } from '../fixtures/compare-results.js';

// TEST FIXTURE DATA: hand-made cells.
function cell(arm: string, budget: number | 'all', seed: number, predictions: string[], accuracy: number, extra: Partial<Cell> = {}): Cell {
  return {
    arm,
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
  const rows = summarize(cells, { gold, labels: ['a', 'b'], samples: 300, seed: 1 });
  assert.equal(rows.length, 2);
  const ft = rows[0]!;
  assert.equal(ft.arm, 'ft:x');
  assert.equal(ft.metric, 'accuracy');
  assert.equal(ft.seeds, 2);
  assert.equal(ft.mean, 0.625);
  assert.equal(ft.meanAccuracy, 0.625);
  assert.equal(ft.ci.basis, 'pooled-bootstrap');
  assert.ok(ft.ci.lower <= 0.625 && ft.ci.upper >= 0.625);
  assert.equal(ft.agreement, 0.75);
  assert.equal(ft.meanTrainSeconds, 15);
  assert.ok(Math.abs(ft.std - Math.sqrt(0.03125)) < 1e-12);
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

test('the primary metric: accuracy on balanced labels, macro-F1 above 60%, or the one asked for', () => {
  const balanced = chooseMetric(['a', 'b', 'a', 'b', 'a'], ['a', 'b']);
  assert.equal(balanced.name, 'accuracy');
  assert.match(balanced.reason, /^the default on these labels: they are roughly balanced \(the most frequent, "a", holds 60%/);
  const skewed = chooseMetric(['a', 'a', 'a', 'a', 'b', 'a', 'a'], ['a', 'b']);
  assert.equal(skewed.name, 'macro-f1');
  assert.match(skewed.reason, /"a", holds 86% of the test set/);
  assert.equal(chooseMetric(['a', 'b'], ['a', 'b'], 'f1:b').name, 'f1:b');
  assert.throws(() => parseMetric('f1:c', ['a', 'b']), /--metric f1:<label> names a label of the task \(a, b\), got "c"/);
  assert.throws(() => parseMetric('precision'), /--metric must be accuracy, macro-f1 or f1:<label>, got "precision"/);
  // Intervals of macro-F1 and of one label's F1 are bootstrapped too, and contain the mean.
  const r = fixtureResults({ labels: ['no', 'yes'], labelShares: [0.85, 0.15], testSize: 200, budgets: [4], methods: [{ id: 'ft:full:m', kind: 'finetune', accuracy: { 4: 0.8 }, p50Ms: 5 }] });
  assert.equal(r.metric.name, 'macro-f1');
  const row = r.summary[0]!;
  assert.equal(row.metric, 'macro-f1');
  assert.ok(Math.abs(row.mean - row.meanMacroF1) < 1e-12);
  assert.ok(row.ci.basis === 'pooled-bootstrap' && row.ci.lower < row.mean && row.mean < row.ci.upper);
  const perLabel = withSummary({ ...r, metric: { name: 'f1:yes', reason: 'asked' } }, { samples: 300 });
  const c = perLabel.cells.map((x) => x.metrics.perClassF1.yes!);
  assert.ok(Math.abs(perLabel.summary[0]!.mean - c.reduce((a, b) => a + b, 0) / c.length) < 1e-12);
});

test('parseResults round-trips a fixture and rejects bad input', () => {
  const r = fixtureResults({ testSize: 60, methods: [{ id: 'ft:full:m', kind: 'finetune', accuracy: { 4: 0.7 }, p50Ms: 5 }] });
  assert.equal(r.version, RESULTS_VERSION);
  const back = parseResults(JSON.parse(JSON.stringify(r)));
  assert.deepEqual(back, r);
  assert.throws(() => parseResults({ ...r, version: RESULTS_VERSION + 1 }), /invalid compare results:\n\s+version: this tuneshot reads versions 1 to 3, got 4/);
  assert.throws(() => parseResults({ ...r, cells: [{ ...r.cells[0]!, arm: 'nope' }] }), /unknown arm nope/);
  assert.throws(() => parseResults({ ...r, budgets: [-1] }), /budgets/);
  assert.throws(() => parseResults({ ...r, metric: { name: 'precision', reason: '' } }), /metric\.name/);
});

test('results written before version 2 still open: methods become arms, the summary is recomputed', () => {
  const file = new URL('./data/results-v1.json', import.meta.url).pathname;
  const v1 = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(v1.version, 1);
  const r = readResults(file);
  assert.equal(r.version, RESULTS_VERSION);
  assert.deepEqual(r.arms.map((a) => a.id), v1.methods.map((m: { id: string }) => m.id));
  assert.equal(r.cells.length, v1.cells.length);
  r.cells.forEach((c, i) => {
    assert.equal(c.arm, v1.cells[i].method);
    assert.deepEqual(c.predictions, v1.cells[i].predictions);
  });
  // The balanced spam fixture is ranked by accuracy, as version 1 was: the same means as it recorded.
  assert.equal(r.metric.name, 'accuracy');
  for (const old of v1.summary as Array<{ method: string; budget: number; meanAccuracy: number; meanMacroF1: number }>) {
    const row = r.summary.find((s) => s.arm === old.method && s.budget === old.budget)!;
    assert.ok(row, `${old.method} at ${old.budget}`);
    assert.equal(row.mean, old.meanAccuracy);
    assert.equal(row.meanMacroF1, old.meanMacroF1);
  }
  assert.throws(() => parseResults({ ...v1, methods: [] }), /version 1\): cell names unknown method/);
  assert.throws(() => readResults(file + '.missing'), /results-v1\.json\.missing: cannot read: ENOENT/);
});

test('budgets order with all last', () => {
  assert.deepEqual(['all', 16, 0, 4].sort((a, b) => compareBudgets(a as never, b as never)), [0, 4, 16, 'all']);
  assert.equal(formatBudget(16), '16/class');
  assert.equal(formatBudget('all'), 'all data');
});
