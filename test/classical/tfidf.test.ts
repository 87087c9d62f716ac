// TF-IDF + logistic regression, the classical baseline: scikit-learn's feature formula, a perfect
// fit on a separable task, unseen words, determinism, and hundreds of thousands of sparse features.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogisticRegression, MajorityClassifier, TfidfClassifier, TfidfVectorizer, minimizeLbfgs, tokenize } from '../../src/classical/index.js';
import { mulberry32, shuffle } from '../../src/data/random.js';

test('TF-IDF features follow scikit-learn: 2+ letter tokens, 1-2-grams, 1 + ln tf, smoothed idf, unit rows', () => {
  assert.deepEqual(tokenize("A cat's CAT_2 café, x 42"), ['cat', 'cat_2', 'café', '42']);
  const v = TfidfVectorizer.fit(['the cat cat', 'the dog']);
  assert.deepEqual([...v.vocabulary.keys()], ['cat', 'cat cat', 'dog', 'the', 'the cat', 'the dog']);
  const X = v.transform(['the cat cat']);
  // idf = ln((1 + n) / (1 + df)) + 1 with n = 2 documents; tf of "cat" is 2 → 1 + ln 2.
  const idf1 = Math.log(3 / 2) + 1, idf2 = 1;
  const raw = new Map([[0, (1 + Math.log(2)) * idf1], [1, idf1], [3, idf2], [4, idf1]]);
  const norm = Math.sqrt([...raw.values()].reduce((a, b) => a + b * b, 0));
  assert.deepEqual([...X.indices], [0, 1, 3, 4]);
  [...X.values].forEach((x, i) => assert.ok(Math.abs(x - raw.get(X.indices[i]!)! / norm) < 1e-12));
  // Unseen terms vanish; a text of unseen words is an empty row.
  const U = v.transform(['zebra quokka', 'the zebra']);
  assert.equal(U.indptr[1], 0);
  assert.deepEqual([...U.indices], [3]);
  assert.equal(U.values[0], 1);
});

test('L-BFGS finds the minimum of a badly scaled quadratic', () => {
  const scale = [1, 100, 0.01, 10];
  const r = minimizeLbfgs((x, g) => {
    let f = 0;
    x.forEach((v, i) => { const d = v - (i + 1); f += 0.5 * scale[i]! * d * d; g[i] = scale[i]! * d; });
    return f;
  }, new Float64Array(4), { gradTol: 1e-10, fTol: 0 });
  assert.ok(r.converged);
  [...r.x].forEach((v, i) => assert.ok(Math.abs(v - (i + 1)) < 1e-6, `x[${i}] = ${v}`));
});

// TEST FIXTURE DATA: a separable three-topic task made of keyword sentences.
const TOPICS: Record<string, string[]> = {
  sport: ['goal', 'match', 'league', 'striker', 'referee'],
  money: ['bank', 'shares', 'profit', 'market', 'investor'],
  space: ['rocket', 'orbit', 'planet', 'launch', 'telescope'],
};
function topicTexts(seed: number, perClass: number): Array<{ text: string; label: string }> {
  const rand = mulberry32(seed);
  const filler = ['the', 'news', 'today', 'was', 'about', 'again', 'some'];
  const out: Array<{ text: string; label: string }> = [];
  for (let i = 0; i < perClass; i++) {
    for (const [label, words] of Object.entries(TOPICS)) {
      const pick = (xs: string[]) => xs[Math.floor(rand() * xs.length)]!;
      out.push({ text: `${pick(filler)} ${pick(words)} ${pick(filler)} ${pick(words)} ${pick(filler)}`, label });
    }
  }
  return out;
}

test('learns a separable toy task perfectly and handles unseen words', async () => {
  const train = topicTexts(1, 8), test = topicTexts(2, 20);
  const clf = TfidfClassifier.train(train, ['money', 'space', 'sport', 'weather']);
  assert.equal(clf.id, 'baseline:tfidf');
  assert.ok(clf.model!.converged);
  const acc = (xs: typeof train) => clf.predictSync(xs).filter((p, i) => p.label === xs[i]!.label).length / xs.length;
  assert.equal(acc(train), 1);
  assert.equal(acc(test), 1);
  const [mixed, unseen] = await clf.predict([{ text: 'zorbly flimflam rocket quux' }, { text: 'zorbly flimflam quux' }]);
  assert.equal(mixed!.label, 'space');
  // Only unseen words: a valid label, probabilities over the whole label set summing to 1.
  assert.ok(['money', 'space', 'sport'].includes(unseen!.label));
  assert.deepEqual(Object.keys(unseen!.probs).sort(), ['money', 'space', 'sport', 'weather']);
  assert.ok(Math.abs(Object.values(unseen!.probs).reduce((a, b) => a + b, 0) - 1) < 1e-9);
  // A label with no training example is never predicted.
  assert.equal(unseen!.probs.weather, 0);
  // Two classes (binomial) too; one class: that class.
  const two = TfidfClassifier.train(train.filter((e) => e.label !== 'money'));
  assert.equal(two.predictSync([{ text: 'the striker scored' }])[0]!.label, 'sport');
  assert.equal(TfidfClassifier.train(train.filter((e) => e.label === 'money'), ['money', 'sport']).predictSync([{ text: 'rocket' }])[0]!.label, 'money');
  assert.throws(() => TfidfClassifier.train([]), /no training examples/);
  assert.throws(() => TfidfClassifier.train(train, ['sport']), /training label "money" not in the label set/);
});

test('deterministic: the same data gives the same weights bit for bit, in any order the same predictions', () => {
  const train = topicTexts(3, 6), test = topicTexts(4, 10);
  const a = TfidfClassifier.train(train), b = TfidfClassifier.train(train);
  assert.deepEqual(a.model!.coef, b.model!.coef);
  assert.deepEqual(a.model!.intercept, b.model!.intercept);
  const c = TfidfClassifier.train(shuffle(train, 7));
  const pa = a.predictSync(test), pc = c.predictSync(test);
  assert.deepEqual(pa.map((p) => p.label), pc.map((p) => p.label));
  pa.forEach((p, i) => { for (const l of Object.keys(p.probs)) assert.ok(Math.abs(p.probs[l]! - pc[i]!.probs[l]!) < 1e-6); });
});

test('hundreds of thousands of features stay sparse', () => {
  // TEST FIXTURE DATA: 1,500 documents of 100 random distinct "words" each, plus a class keyword:
  // about 150k unigrams and 150k bigrams. Dense rows would need 1,500 x 300k doubles (3.6 GB).
  const rand = mulberry32(11);
  const docs = Array.from({ length: 1500 }, (_, i) => {
    const label = i % 2 ? 'yes' : 'no';
    const words = Array.from({ length: 100 }, () => `w${Math.floor(rand() * 1e9).toString(36)}`);
    return { text: `${label}word ${words.join(' ')}`, label };
  });
  const before = process.memoryUsage().rss;
  const clf = TfidfClassifier.train(docs);
  const X = clf.vectorizer.transform(docs.map((d) => d.text));
  assert.ok(clf.vectorizer.features > 290_000, `${clf.vectorizer.features} features`);
  assert.equal(X.values.length, X.indptr[X.indptr.length - 1]);
  assert.ok(X.values.length < 1500 * 202, 'one stored entry per distinct term of a document');
  assert.ok(process.memoryUsage().rss - before < 1.5e9, 'no dense matrices');
  const pred = clf.predictSync(docs.slice(0, 200));
  assert.ok(pred.every((p, i) => p.label === docs[i]!.label));
  assert.equal(clf.predictSync([{ text: 'yesword and nothing known' }])[0]!.label, 'yes');
});

test('logistic regression rejects bad input with a clear message', () => {
  const v = TfidfVectorizer.fit(['a b', 'c d']);
  const X = v.transform(['aa bb', 'cc dd']);
  assert.throws(() => LogisticRegression.fit(X, [0], 2), /2 rows but 1 labels/);
  assert.throws(() => LogisticRegression.fit(X, [0, 2], 2), /label index 2 out of range/);
  assert.throws(() => LogisticRegression.fit(X, [0, 1], 2, { C: 0 }), /C must be a positive number/);
  assert.throws(() => TfidfVectorizer.fit(['x'], { ngramRange: [2, 1] }), /ngramRange/);
});

test('majority baseline: the most frequent label, ties broken by the whole training set', async () => {
  const m = MajorityClassifier.train([{ label: 'a' }, { label: 'b' }, { label: 'b' }], ['a', 'b', 'c']);
  assert.equal(m.label, 'b');
  assert.deepEqual((await m.predict([{ text: 'x' }]))[0], { label: 'b', probs: { a: 0, b: 1, c: 0 } });
  const tie = MajorityClassifier.train([{ label: 'a' }, { label: 'c' }], ['a', 'b', 'c'], [{ label: 'c' }, { label: 'c' }, { label: 'a' }]);
  assert.equal(tie.label, 'c');
  assert.throws(() => MajorityClassifier.train([], ['a']), /no training examples/);
});
