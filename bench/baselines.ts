// `npm run bench:baselines`: tuneshot's TF-IDF + logistic regression baseline (TypeScript, sparse,
// L-BFGS) against scikit-learn's TfidfVectorizer + LogisticRegression with the same settings, on
// SST-2, TREC and AG News, at 16 examples a class (mean over 3 draws) and on the full training set.
// Both must agree within 2 accuracy points. Prints a table and, as its last line, one JSON object.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { TfidfClassifier } from '../src/classical/index.js';
import { sampleBudget, type Example } from '../src/data/index.js';
import { classificationMetrics } from '../src/eval/metrics.js';
import { sharedSplit } from './lib/shared.js';

const C = 10;
const DRAWS = [0, 1, 2];
const TOLERANCE = 0.02;

/** The first Python that imports scikit-learn (Debian's /usr/bin/python3 has python3-sklearn; a pyenv shim first on PATH may not). */
function sklearnPython(): string {
  for (const py of ['/usr/bin/python3', 'python3', 'python']) {
    try {
      execFileSync(py, ['-c', 'import sklearn'], { stdio: 'ignore' });
      return py;
    } catch { /* try the next one */ }
  }
  throw new Error('no Python with scikit-learn found (apt-get install python3-sklearn)');
}

interface Job { dataset: string; budget: string; draw: number | null; train: Example[]; test: Example[]; labels: string[] }

const jobs: Job[] = [];
for (const dataset of ['sst2', 'trec', 'agnews'] as const) {
  const train = sharedSplit(dataset, 'train'), test = sharedSplit(dataset, 'test');
  const labels = [...new Set(train.map((e) => e.label!))].sort();
  for (const draw of DRAWS) jobs.push({ dataset, budget: '16/class', draw, train: sampleBudget(train, 16, draw), test, labels });
  jobs.push({ dataset, budget: 'full', draw: null, train, test, labels });
}

const py = sklearnPython();
const peer = JSON.parse(execFileSync(py, [path.join(import.meta.dirname, 'lib', 'sklearn_tfidf_lr.py')], {
  input: JSON.stringify({ C, jobs: jobs.map((j) => ({ train: j.train.map((e) => [e.text, e.label]), test: j.test.map((e) => [e.text, e.label]) })) }),
  encoding: 'utf8', maxBuffer: 1 << 28,
})) as { sklearn: string; jobs: Array<{ predictions: string[]; features: number; fitSeconds: number }> };

interface Run { accuracy: number; macroF1: number; features: number; fitSeconds: number; agreement?: number }
const runs = jobs.map((j, i) => {
  const t0 = performance.now();
  const clf = TfidfClassifier.train(j.train, j.labels, { C });
  const fitSeconds = (performance.now() - t0) / 1000;
  const ours = clf.predictSync(j.test).map((p) => p.label);
  const gold = j.test.map((e) => e.label!);
  const theirs = peer.jobs[i]!.predictions;
  const m = (pred: string[]) => classificationMetrics(gold, pred, j.labels);
  const same = ours.filter((p, k) => p === theirs[k]).length / ours.length;
  return {
    job: j,
    ours: { accuracy: m(ours).accuracy, macroF1: m(ours).macroF1, features: clf.vectorizer.features, fitSeconds, agreement: same } satisfies Run,
    sklearn: { accuracy: m(theirs).accuracy, macroF1: m(theirs).macroF1, features: peer.jobs[i]!.features, fitSeconds: peer.jobs[i]!.fitSeconds } satisfies Run,
  };
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const rows: string[][] = [];
const figures: Record<string, Record<string, unknown>> = {};
let worst = 0;
for (const dataset of ['sst2', 'trec', 'agnews']) {
  figures[dataset] = {};
  for (const budget of ['16/class', 'full']) {
    const rs = runs.filter((r) => r.job.dataset === dataset && r.job.budget === budget);
    const o = { accuracy: mean(rs.map((r) => r.ours.accuracy)), macroF1: mean(rs.map((r) => r.ours.macroF1)), fitSeconds: mean(rs.map((r) => r.ours.fitSeconds)), features: mean(rs.map((r) => r.ours.features)) };
    const s = { accuracy: mean(rs.map((r) => r.sklearn.accuracy)), macroF1: mean(rs.map((r) => r.sklearn.macroF1)), fitSeconds: mean(rs.map((r) => r.sklearn.fitSeconds)), features: mean(rs.map((r) => r.sklearn.features)) };
    const agreement = mean(rs.map((r) => r.ours.agreement!));
    const diff = o.accuracy - s.accuracy;
    worst = Math.max(worst, Math.abs(diff), ...rs.map((r) => Math.abs(r.ours.accuracy - r.sklearn.accuracy)));
    rows.push([dataset, budget, String(rs[0]!.job.train.length), String(Math.round(o.features)), String(Math.round(s.features)),
      o.accuracy.toFixed(4), s.accuracy.toFixed(4), (diff * 100).toFixed(2), o.macroF1.toFixed(4), s.macroF1.toFixed(4), agreement.toFixed(4),
      `${o.fitSeconds.toFixed(3)} s`, `${s.fitSeconds.toFixed(3)} s`]);
    figures[dataset]![budget === 'full' ? 'full' : 'k16'] = {
      examples: rs[0]!.job.train.length, draws: rs.length,
      tuneshot: { accuracy: r4(o.accuracy), macroF1: r4(o.macroF1), features: o.features, fitSeconds: r4(o.fitSeconds), perDraw: rs.map((r) => r4(r.ours.accuracy)) },
      sklearn: { accuracy: r4(s.accuracy), macroF1: r4(s.macroF1), features: s.features, fitSeconds: r4(s.fitSeconds), perDraw: rs.map((r) => r4(r.sklearn.accuracy)) },
      accuracyDiffPoints: r4(diff * 100), predictionAgreement: r4(agreement),
    };
  }
}

const head = ['dataset', 'budget', 'train', 'features', 'sk features', 'accuracy', 'sk accuracy', 'diff (pts)', 'macro-F1', 'sk macro-F1', 'same pred', 'fit', 'sk fit'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(`TF-IDF (word 1-2-grams, sublinear tf) + logistic regression (L2, C=${C}): tuneshot vs scikit-learn ${peer.sklearn} (${py})`);
console.log('16/class: mean of 3 class-balanced draws (seeds 0, 1, 2); full: the whole training set; scored on the whole test set.');
console.log(line(head));
for (const r of rows) console.log(line(r));
const ok = worst <= TOLERANCE * 100 / 100 + 1e-12;
console.log(`largest accuracy difference (any draw): ${(worst * 100).toFixed(2)} points; within ${TOLERANCE * 100} points: ${ok ? 'yes' : 'NO'}`);
if (!ok) process.exitCode = 1;
console.log(JSON.stringify({ ...figures, settings: { C, ngramRange: [1, 2], sublinearTf: true, draws: DRAWS, sklearn: peer.sklearn, python: py }, largestDiffPoints: r4(worst * 100), withinTolerance: ok }));
