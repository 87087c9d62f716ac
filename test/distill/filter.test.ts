// Pool filtering on its own: holdout, confidence threshold, top N per class and the class-balance
// cap each keep the most confident items and count what they drop; seeded and deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterLabelled } from '../../src/distill/filter.js';

/** `n` items of `label` with confidences spread evenly from `hi` down to `lo`. */
const items = (label: string, n: number, hi = 0.99, lo = 0.51) => Array.from({ length: n }, (_, i) => {
  const confidence = n === 1 ? hi : hi - ((hi - lo) * i) / (n - 1);
  const other = label === 'a' ? 'b' : 'a';
  return { text: `${label}${i}`, label, confidence, probs: { [label]: confidence, [other]: 1 - confidence } };
});

test('no options: everything is kept, and a 5x class-balance cap applies by default', () => {
  const r = filterLabelled([...items('a', 10), ...items('b', 4)], ['a', 'b']);
  assert.deepEqual(r.keptPerClass, { a: 10, b: 4 });
  const skewed = filterLabelled([...items('a', 30), ...items('b', 4)], ['a', 'b']);
  assert.deepEqual(skewed.keptPerClass, { a: 20, b: 4 });
  assert.equal(skewed.dropped.balance, 10);
  // The dropped ones are the least confident of the big class.
  const keptA = skewed.items.filter((x) => x.label === 'a' && x.split === 'train').map((x) => x.confidence);
  for (const x of skewed.items.filter((x) => x.dropped === 'balance')) assert.ok(x.confidence < Math.min(...keptA));
  assert.deepEqual(filterLabelled([...items('a', 30), ...items('b', 4)], ['a', 'b'], { maxImbalance: 0 }).keptPerClass, { a: 30, b: 4 });
});

test('threshold, then per-class cap, then balance; held-out items are never filtered or trained on', () => {
  const all = [...items('a', 40), ...items('b', 30)];
  const r = filterLabelled(all, ['a', 'b'], { holdout: 6, minConfidence: 0.7, perClass: 12, seed: 3 });
  assert.equal(r.items.filter((x) => x.split === 'heldout').length, 6);
  assert.equal(r.heldOut, 6);
  for (const x of r.items) {
    if (x.split === 'train') assert.ok(x.confidence >= 0.7);
    if (x.dropped === 'confidence') assert.ok(x.confidence < 0.7);
  }
  assert.deepEqual(r.keptPerClass, { a: 12, b: 12 });
  assert.equal(r.kept, 24);
  assert.equal(r.dropped.confidence + r.dropped['per-class'] + r.dropped.balance + r.kept + r.heldOut, all.length);
  assert.deepEqual(r.teacherPerClass, { a: 40, b: 30 });
  // Same seed, same split; another seed holds out other items.
  const again = filterLabelled(all, ['a', 'b'], { holdout: 6, minConfidence: 0.7, perClass: 12, seed: 3 });
  assert.deepEqual(again.items.map((x) => x.split), r.items.map((x) => x.split));
  const other = filterLabelled(all, ['a', 'b'], { holdout: 6, seed: 4 });
  assert.notDeepEqual(other.items.map((x) => x.split === 'heldout'), r.items.map((x) => x.split === 'heldout'));
});

test('a class the teacher never predicts keeps zero items and does not break the balance cap', () => {
  const r = filterLabelled(items('a', 8), ['a', 'b', 'c']);
  assert.deepEqual(r.keptPerClass, { a: 8, b: 0, c: 0 });
  assert.throws(() => filterLabelled([], ['a'], { perClass: 0 }), /perClass must be a positive integer/);
  assert.throws(() => filterLabelled([], ['a'], { minConfidence: -0.1 }), /minConfidence must be between 0 and 1/);
});
