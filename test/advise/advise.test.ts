import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advise, findCrossover, formatAdvice, recommendationText, RULES, type Advice } from '../../src/advise/advise.js';
import { fixtureResults } from '../fixtures/compare-results.js';

// TEST FIXTURE DATA throughout: synthetic results crafted for each rule.
const FT = 'ft:full:tuneshot-base-encoder';
const ICL = 'icl:builtin:tuneshot-base-lm';

const clearFt = fixtureResults({
  testSize: 400,
  methods: [
    { id: FT, kind: 'finetune', accuracy: { 4: 0.55, 16: 0.87, 64: 0.91, all: 0.93 }, p50Ms: 12, trainSeconds: 45 },
    { id: ICL, kind: 'icl', accuracy: { 0: 0.6, 4: 0.68, 16: 0.71 }, p50Ms: 340 },
  ],
});

const overlap = fixtureResults({
  testSize: 200,
  methods: [
    { id: FT, kind: 'finetune', accuracy: { 4: 0.6, 16: 0.72 }, p50Ms: 12, trainSeconds: 45 },
    { id: ICL, kind: 'icl', accuracy: { 0: 0.65, 4: 0.71 }, p50Ms: 340 },
  ],
});

const clearIcl = fixtureResults({
  testSize: 400,
  methods: [
    { id: FT, kind: 'finetune', accuracy: { 4: 0.5, 16: 0.6 }, p50Ms: 12 },
    { id: ICL, kind: 'icl', accuracy: { 0: 0.8, 4: 0.85 }, p50Ms: 340 },
  ],
});

function reasonOf(a: Advice, rule: string) {
  const r = a.reasons.find((x) => x.rule === rule);
  assert.ok(r, `no reason from rule ${rule}: ${formatAdvice(a)}`);
  return r;
}

test('every rule has an id and description, ids unique', () => {
  const ids = RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const r of RULES) assert.ok(r.description.length > 10);
});

test('quality: non-overlapping intervals decide for fine-tuning and cite the numbers', () => {
  const a = advise(clearFt, {});
  assert.equal(a.recommendation, 'finetune');
  assert.equal(a.arm, FT);
  const r = reasonOf(a, 'quality');
  assert.equal(r.favours, 'finetune');
  assert.match(r.text, /intervals do not overlap/);
  const s = clearFt.summary.find((x) => x.arm === FT && String(x.budget) === r.figures.finetuneBudget)!;
  assert.ok(r.text.includes(s.mean.toFixed(2)));
  assert.ok(r.text.includes(`[${s.ci.lower.toFixed(2)}, ${s.ci.upper.toFixed(2)}]`));
  assert.equal(r.figures.finetuneMean, s.mean);
});

test('quality: ICL clearly better → icl', () => {
  const a = advise(clearIcl, {});
  assert.equal(a.recommendation, 'icl');
  assert.equal(a.arm, ICL);
  assert.equal(reasonOf(a, 'quality').favours, 'icl');
  assert.match(reasonOf(a, 'crossover').text, /never beat/);
});

test('quality: overlapping intervals → undecided, saying the evidence does not decide', () => {
  const a = advise(overlap, {});
  assert.equal(a.recommendation, 'undecided');
  assert.equal(a.arm, undefined);
  const r = reasonOf(a, 'quality');
  assert.equal(r.favours, 'neither');
  assert.match(r.text, /evidence does not decide on accuracy/);
  assert.match(formatAdvice(a), /^Undecided/);
});

test('crossover: smallest budget where fine-tuning beats the best ICL mean', () => {
  const c = findCrossover(clearFt);
  assert.ok(c);
  assert.equal(c.budget, 16);
  assert.equal(c.arm, FT);
  const r = reasonOf(advise(clearFt, {}), 'crossover');
  assert.match(r.text, /crossover at 16\/class/);
  assert.equal(r.figures.crossoverBudget, '16');
});

test('latency: ICL over the budget is excluded and fine-tuning recommended even when accuracy overlaps', () => {
  const a = advise(overlap, { latencyBudgetMs: 100 });
  assert.equal(a.recommendation, 'finetune');
  const r = a.reasons.find((x) => x.rule === 'latency' && x.excludes === 'icl');
  assert.ok(r, formatAdvice(a));
  assert.match(r.text, /100 ms latency budget/);
  assert.ok((r.figures.fastestP95Ms as number) > 100);
  // Both excluded → undecided.
  const b = advise(overlap, { latencyBudgetMs: 1 });
  assert.equal(b.recommendation, 'undecided');
});

test('labelled data: below the crossover favours ICL; none at all rules out fine-tuning', () => {
  const a = advise(clearFt, { labelledExamples: 4 });
  assert.equal(a.recommendation, 'icl');
  const r = a.reasons.find((x) => x.rule === 'labelled-data' && x.favours === 'icl')!;
  assert.ok(r);
  assert.match(r.text, /you have 4 labelled examples a class/);
  assert.match(r.text, /16\/class/);
  const z = advise(clearFt, { labelledExamples: 0 });
  assert.equal(z.recommendation, 'icl');
  assert.equal(z.budget, 0);
  assert.ok(z.reasons.some((x) => x.rule === 'labelled-data' && x.excludes === 'finetune'));
});

test('volume: high query volume with slow ICL favours fine-tuning, citing queries and latencies', () => {
  const a = advise(overlap, { queriesPerDay: 100_000 });
  assert.equal(a.recommendation, 'finetune');
  const r = reasonOf(a, 'volume');
  assert.equal(r.favours, 'finetune');
  assert.match(r.text, /queries a day 100k × \d+ ms .* vs \d+ ms/);
  assert.equal(r.figures.queriesPerDay, 100_000);
  const low = reasonOf(advise(overlap, { queriesPerDay: 50 }), 'volume');
  assert.equal(low.favours, 'neither');
});

test('task churn: frequent changes favour ICL and cite the retrain time', () => {
  const a = advise(overlap, { taskChangesPerMonth: 8 });
  assert.equal(a.recommendation, 'icl');
  const r = reasonOf(a, 'task-churn');
  assert.equal(r.favours, 'icl');
  assert.match(r.text, /changes 8 times a month: each change costs a [\d.]+ s retrain/);
  assert.ok((r.figures.retrainSeconds as number) > 30);
  assert.equal(reasonOf(advise(overlap, { taskChangesPerMonth: 1 }), 'task-churn').favours, 'neither');
});

test('consistency: favours the kind with higher agreement across seeds', () => {
  const a = advise(overlap, { needConsistentOutput: true });
  const r = reasonOf(a, 'consistency');
  assert.equal(r.favours, 'finetune');
  assert.ok((r.figures.finetuneAgreement as number) > (r.figures.iclAgreement as number));
  assert.ok(r.text.includes((r.figures.finetuneAgreement as number).toFixed(2)));
  assert.equal(a.recommendation, 'finetune');
});

test('expertise: none favours ICL', () => {
  const a = advise(overlap, { mlExpertise: 'none' });
  assert.equal(a.recommendation, 'icl');
  assert.equal(reasonOf(a, 'expertise').figures.mlExpertise, 'none');
  assert.equal(advise(overlap, { mlExpertise: 'expert' }).recommendation, 'undecided');
});

test('seed variance is flagged with the std', () => {
  const r = structuredClone(clearFt);
  const row = r.summary.find((x) => x.arm === FT && x.budget === 'all')!;
  row.std = 0.08;
  row.min = 0.8;
  const a = advise(r, {});
  const s = reasonOf(a, 'seed-variance');
  assert.equal(s.figures.std, 0.08);
  assert.match(s.text, /std 0\.08/);
});

test('no evidence: constraints only, marked as such', () => {
  const a = advise(undefined, {});
  assert.equal(a.recommendation, 'undecided');
  reasonOf(a, 'no-evidence');
  assert.equal(advise(undefined, { labelledExamples: 0 }).recommendation, 'icl');
  assert.equal(advise(undefined, { labelledExamples: 500, latencyBudgetMs: 20 }).recommendation, 'finetune');
});

test('formatAdvice lists the recommendation and every reason', () => {
  const a = advise(clearFt, { queriesPerDay: 100_000, taskChangesPerMonth: 8 });
  const t = formatAdvice(a);
  assert.match(t, /^Recommendation: fine-tune \(ft:full:tuneshot-base-encoder at (\d+\/class|all data)\)/);
  for (const r of a.reasons) assert.ok(t.includes(r.text));
});

// ---------------------------------------------------------------------------------------------
// The floor: the right metric, no degenerate winners, the classical baseline named.

const TFIDF = 'baseline:tfidf';
const MAJ = 'baseline:majority';
// TEST FIXTURE DATA: an imbalanced topic filter (9% "relevant"), where the ICL arm answers the
// majority label for every document, as a too-small language model does.
const imbalanced = (tfidf: Partial<Record<string, number>>, metric?: string) => fixtureResults({
  labels: ['other', 'relevant'], labelShares: [0.91, 0.09], testSize: 600, budgets: [0, 4, 16, 64], seeds: [0, 1, 2],
  ...(metric ? { metric } : {}),
  methods: [
    { id: ICL, kind: 'icl', accuracy: { 0: 1, 4: 1, 16: 1, 64: 1 }, constant: 'other', p50Ms: 340 },
    { id: FT, kind: 'finetune', accuracy: { 4: 0.6, 16: 0.86, 64: 0.9 }, p50Ms: 12, trainSeconds: 45 },
    { id: TFIDF, kind: 'baseline', accuracy: tfidf, p50Ms: 0.02 },
    { id: MAJ, kind: 'baseline', accuracy: { 4: 1, 16: 1, 64: 1 }, constant: 'other', p50Ms: 0.001 },
  ],
});

test('imbalanced task: macro-F1 by default, the always-majority ICL arm is degenerate and never recommended', () => {
  const r = imbalanced({ 4: 0.55, 16: 0.6, 64: 0.62 });
  assert.equal(r.metric.name, 'macro-f1');
  assert.match(r.metric.reason, /"other", holds 9\d% of the test set/);
  for (const row of r.summary.filter((x) => x.arm === ICL)) {
    assert.equal(row.flag?.kind, 'degenerate', `${row.arm} at ${row.budget}`);
    assert.match(row.flag!.text, /predicts "other" for 100% of test inputs \(gold: 9\d%\)/);
    // Its accuracy is the share of the majority label: high, and meaningless.
    assert.ok(row.meanAccuracy > 0.88);
  }
  const ft64 = r.summary.find((x) => x.arm === FT && x.budget === 64)!;
  assert.equal(ft64.flag, undefined);
  // Even with constraints that favour prompting, a degenerate arm is never the recommendation.
  for (const constraints of [{}, { mlExpertise: 'none' as const, taskChangesPerMonth: 10 }, { latencyBudgetMs: 1000 }]) {
    const a = advise(r, constraints);
    assert.equal(a.recommendation, 'finetune', formatAdvice(a));
    assert.equal(a.arm, FT);
  }
  const a = advise(r, {});
  const why = a.reasons.find((x) => x.rule === 'degenerate' && x.figures.arm === ICL)!;
  assert.ok(why, formatAdvice(a));
  assert.match(why.text, /^icl:builtin:tuneshot-base-lm is degenerate at every measured budget \(best: \d+\/class\): predicts "other" for 100% of test inputs \(gold: 9\d%\); try a bigger language model/);
  assert.ok(a.reasons.some((x) => x.rule === 'degenerate' && x.excludes === 'icl'));
  assert.match(reasonOf(a, 'metric').text, /^ranked by macro-F1: the default on these labels: the most frequent test label/);
  assert.ok(!a.reasons.some((x) => x.rule === 'quality'), 'no quality comparison against a degenerate arm');
});

test('the issue as filed: ranked by accuracy, the degenerate ICL arm still loses its "win"', () => {
  const r = imbalanced({ 4: 0.55, 16: 0.6, 64: 0.62 }, 'accuracy');
  const icl = r.summary.filter((x) => x.arm === ICL);
  const ft = r.summary.filter((x) => x.arm === FT);
  // By accuracy alone ICL looks best (about 0.91 against fine-tuning's 0.90 at most)...
  assert.ok(Math.max(...icl.map((x) => x.mean)) > Math.max(...ft.map((x) => x.mean)));
  // ...but it is degenerate, so it is never recommended.
  const a = advise(r, {});
  assert.notEqual(a.recommendation, 'icl');
  assert.ok(icl.every((x) => x.flag?.kind === 'degenerate'));
});

test('no better than the majority baseline: flagged with the numbers, and what to try', () => {
  const r = imbalanced({ 4: 0.55, 16: 0.6, 64: 0.62 });
  const ft4 = r.summary.find((x) => x.arm === FT && x.budget === 4)!;
  const maj = r.summary.find((x) => x.arm === MAJ && x.budget === 4)!;
  assert.equal(maj.flag, undefined, 'the majority baseline is the reference, never flagged');
  if (ft4.ci.lower <= maj.mean) {
    assert.equal(ft4.flag?.kind, 'not-above-majority');
    assert.match(ft4.flag!.text, /^macro-F1 0\.\d\d \[0\.\d\d, 0\.\d\d\] does not beat the majority baseline's 0\.\d\d$/);
    const why = advise(r, {}).reasons.find((x) => x.rule === 'degenerate' && x.figures.arm === FT)!;
    assert.match(why.text, /no better than the majority baseline at 4\/class: .*it is above the floor at 16\/class, 64\/class/);
  } else {
    assert.fail(`fixture: fine-tuning at 4/class should not clear the majority baseline (${ft4.ci.lower} vs ${maj.mean})`);
  }
});

test('floor: a TF-IDF baseline within the best learned interval is recommended, with its cost beside the others', () => {
  const r = imbalanced({ 4: 0.8, 16: 0.86, 64: 0.9 });
  const a = advise(r, {});
  assert.equal(a.recommendation, 'baseline', formatAdvice(a));
  assert.equal(a.arm, TFIDF);
  assert.match(recommendationText(a), /^Recommendation: a classical model is enough \(baseline:tfidf at \d+\/class\)/);
  const f = reasonOf(a, 'floor');
  assert.equal(f.favours, 'baseline');
  assert.match(f.text, /^a cheap classical model is enough: the TF-IDF baseline at \d+\/class reaches macro-F1 0\.\d\d \[.*\] \(p50 0\.0\d ms a query, trains in .* s\), (above|within the 95% interval of) the best learned arm, ft:full:tuneshot-base-encoder at \d+\/class: 0\.\d\d \[.*\] \(p50 1\d ms a query, trains in 4\d/);
  assert.ok((f.figures.tfidfMean as number) >= (f.figures.learnedLower as number));
  // A weaker baseline is named as the floor the learned model clears.
  const b = advise(imbalanced({ 4: 0.7, 16: 0.75, 64: 0.8 }), {});
  const g = reasonOf(b, 'floor');
  assert.equal(g.favours, 'neither');
  assert.match(g.text, /below the 95% interval of the best learned arm.*the learned model earns its cost \(by 0\.\d\d macro-F1\)/);
});

test('nothing above the floor: undecided, or the classical baseline if it alone clears it', () => {
  const none = fixtureResults({
    labels: ['other', 'relevant'], labelShares: [0.91, 0.09], testSize: 400, budgets: [0, 16], seeds: [0, 1],
    methods: [
      { id: ICL, kind: 'icl', accuracy: { 0: 1, 16: 1 }, constant: 'other', p50Ms: 340 },
      { id: FT, kind: 'finetune', accuracy: { 16: 1 }, constant: 'relevant', p50Ms: 12 },
      { id: MAJ, kind: 'baseline', accuracy: { 16: 1 }, constant: 'other', p50Ms: 0.001 },
    ],
  });
  const a = advise(none, {});
  assert.equal(a.recommendation, 'undecided');
  assert.match(reasonOf(a, 'decision').text, /no fine-tuned or ICL arm is both within your constraints and above the floor/);
  const withTfidf = fixtureResults({
    labels: ['other', 'relevant'], labelShares: [0.91, 0.09], testSize: 400, budgets: [0, 16], seeds: [0, 1],
    methods: [
      { id: ICL, kind: 'icl', accuracy: { 0: 1, 16: 1 }, constant: 'other', p50Ms: 340 },
      { id: FT, kind: 'finetune', accuracy: { 16: 1 }, constant: 'relevant', p50Ms: 12 },
      { id: TFIDF, kind: 'baseline', accuracy: { 16: 0.85 }, p50Ms: 0.02 },
      { id: MAJ, kind: 'baseline', accuracy: { 16: 1 }, constant: 'other', p50Ms: 0.001 },
    ],
  });
  const b = advise(withTfidf, {});
  assert.equal(b.recommendation, 'baseline', formatAdvice(b));
  assert.match(reasonOf(b, 'floor').text, /^no fine-tuned or ICL result rose above the floor, but the TF-IDF baseline/);
});
