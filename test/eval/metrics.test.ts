import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agreement,
  bootstrapInterval,
  bootstrapMeanInterval,
  classificationMetrics,
  exactMatch,
  macroF1,
  normalizeAnswer,
  percentile,
  seededRandom,
  spread,
  tokenF1,
  accuracy,
} from '../../src/eval/metrics.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test('classificationMetrics: hand-computed 3-class case', () => {
  // gold: a a a b b c ; pred: a a b b c c
  const gold = ['a', 'a', 'a', 'b', 'b', 'c'];
  const pred = ['a', 'a', 'b', 'b', 'c', 'c'];
  const m = classificationMetrics(gold, pred, ['a', 'b', 'c']);
  close(m.accuracy, 4 / 6);
  assert.deepEqual(m.confusion, [
    [2, 1, 0],
    [0, 1, 1],
    [0, 0, 1],
  ]);
  // a: P=2/2 R=2/3 F1=0.8 ; b: P=1/2 R=1/2 F1=0.5 ; c: P=1/2 R=1 F1=2/3
  close(m.perClass.a!.precision, 1);
  close(m.perClass.a!.recall, 2 / 3);
  close(m.perClass.a!.f1, 0.8);
  close(m.perClass.b!.f1, 0.5);
  close(m.perClass.c!.precision, 0.5);
  close(m.perClass.c!.recall, 1);
  close(m.perClass.c!.f1, 2 / 3);
  close(m.macroF1, (0.8 + 0.5 + 2 / 3) / 3);
  assert.equal(m.perClass.a!.support, 3);
  assert.equal(m.n, 6);
});

test('macro-F1 differs from accuracy on an imbalanced set', () => {
  // Always predicting the majority class: accuracy 0.9, macro-F1 = (F1_maj + 0)/2.
  const gold = [...Array(9).fill('pos'), 'neg'];
  const pred = Array(10).fill('pos');
  const m = classificationMetrics(gold, pred, ['pos', 'neg']);
  close(m.accuracy, 0.9);
  const f1pos = (2 * 0.9 * 1) / 1.9;
  close(m.macroF1, f1pos / 2);
  close(macroF1(gold, pred, ['pos', 'neg']), f1pos / 2);
  close(accuracy(gold, pred), 0.9);
});

test('classificationMetrics: unknown predictions are wrong and reported', () => {
  const m = classificationMetrics(['a', 'b'], ['a', '???'], ['a', 'b']);
  close(m.accuracy, 0.5);
  assert.equal(m.unknownPredictions, 1);
  close(m.perClass.b!.recall, 0);
  assert.throws(() => classificationMetrics(['z'], ['a'], ['a']), /not in labels/);
  assert.throws(() => classificationMetrics(['a'], [], ['a']), /length/);
});

test('bootstrapInterval contains the estimate, is seeded, and narrows with more data', () => {
  const rand = seededRandom(7);
  const mk = (n: number) => {
    const gold: string[] = [];
    const pred: string[] = [];
    for (let i = 0; i < n; i++) {
      const g = rand() < 0.5 ? 'x' : 'y';
      gold.push(g);
      pred.push(rand() < 0.8 ? g : g === 'x' ? 'y' : 'x');
    }
    return { gold, pred };
  };
  const small = mk(50);
  const big = mk(2000);
  const a = bootstrapInterval(small.gold, small.pred, accuracy, { samples: 500, seed: 1 });
  const b = bootstrapInterval(big.gold, big.pred, accuracy, { samples: 500, seed: 1 });
  for (const iv of [a, b]) {
    assert.ok(iv.lower <= iv.estimate && iv.estimate <= iv.upper, JSON.stringify(iv));
    assert.ok(iv.upper > iv.lower);
  }
  assert.ok(b.upper - b.lower < (a.upper - a.lower) / 2, `big ${b.upper - b.lower} vs small ${a.upper - a.lower}`);
  // Around 0.8 with n=2000: the width is about 2*1.96*sqrt(.16/2000) = 0.035.
  assert.ok(b.upper - b.lower > 0.02 && b.upper - b.lower < 0.05);
  const again = bootstrapInterval(small.gold, small.pred, accuracy, { samples: 500, seed: 1 });
  assert.deepEqual(again, a);
  const mi = bootstrapMeanInterval([1, 1, 1, 0], { samples: 200, seed: 3 });
  close(mi.estimate, 0.75);
  assert.ok(mi.lower <= 0.75 && mi.upper >= 0.75);
});

test('agreement, spread, percentile', () => {
  close(agreement([['a', 'b', 'c', 'd'], ['a', 'b', 'x', 'd'], ['a', 'y', 'c', 'd']]), 2 / 4);
  close(agreement([['a', 'b']]), 1);
  const s = spread([2, 4, 4, 4, 5, 5, 7, 9]);
  close(s.mean, 5);
  close(s.std, Math.sqrt(32 / 7));
  assert.equal(s.min, 2);
  assert.equal(s.max, 9);
  close(percentile([1, 2, 3, 4], 50), 2.5);
  close(percentile([10, 20, 30, 40, 50], 25), 20);
  close(percentile([3, 1, 2], 100), 3);
  close(percentile([3, 1, 2], 0), 1);
});

test('exactMatch and tokenF1 with SQuAD normalization', () => {
  assert.equal(normalizeAnswer('The  Eiffel Tower!'), 'eiffel tower');
  assert.equal(exactMatch('the Eiffel tower.', 'Eiffel Tower'), 1);
  assert.equal(exactMatch('Paris', ['London', 'paris']), 1);
  assert.equal(exactMatch('Paris France', 'Paris'), 0);
  // pred "paris france" vs ref "paris": P=1/2 R=1 F1=2/3
  close(tokenF1('Paris, France', 'Paris'), 2 / 3);
  close(tokenF1('a cat', 'dog'), 0);
  close(tokenF1('', ''), 1);
});
