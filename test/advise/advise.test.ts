import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advise, findCrossover, formatAdvice, RULES, type Advice } from '../../src/advise/advise.js';
import { fixtureResults } from '../eval/fixture.js';

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

test('accuracy: non-overlapping intervals decide for fine-tuning and cite the numbers', () => {
  const a = advise(clearFt, {});
  assert.equal(a.recommendation, 'finetune');
  assert.equal(a.method, FT);
  const r = reasonOf(a, 'accuracy');
  assert.equal(r.favours, 'finetune');
  assert.match(r.text, /intervals do not overlap/);
  const s = clearFt.summary.find((x) => x.method === FT && String(x.budget) === r.figures.finetuneBudget)!;
  assert.ok(r.text.includes(s.meanAccuracy.toFixed(2)));
  assert.ok(r.text.includes(`[${s.ci.lower.toFixed(2)}, ${s.ci.upper.toFixed(2)}]`));
  assert.equal(r.figures.finetuneMean, s.meanAccuracy);
});

test('accuracy: ICL clearly better → icl', () => {
  const a = advise(clearIcl, {});
  assert.equal(a.recommendation, 'icl');
  assert.equal(a.method, ICL);
  assert.equal(reasonOf(a, 'accuracy').favours, 'icl');
  assert.match(reasonOf(a, 'crossover').text, /never beat/);
});

test('accuracy: overlapping intervals → undecided, saying the evidence does not decide', () => {
  const a = advise(overlap, {});
  assert.equal(a.recommendation, 'undecided');
  assert.equal(a.method, undefined);
  const r = reasonOf(a, 'accuracy');
  assert.equal(r.favours, 'neither');
  assert.match(r.text, /evidence does not decide on accuracy/);
  assert.match(formatAdvice(a), /^Undecided/);
});

test('crossover: smallest budget where fine-tuning beats the best ICL mean', () => {
  const c = findCrossover(clearFt);
  assert.ok(c);
  assert.equal(c.budget, 16);
  assert.equal(c.method, FT);
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
  const row = r.summary.find((x) => x.method === FT && x.budget === 'all')!;
  row.stdAccuracy = 0.08;
  row.minAccuracy = 0.8;
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
