// advise's distillation rule on synthetic results (TEST FIXTURE DATA): it recommends the distilled
// student with the break-even number of queries and the gap to its teacher, and stays silent when the
// student is worse than fine-tuning, far below its teacher, degenerate, or not cheaper a query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advise, formatAdvice } from '../../src/advise/advise.js';
import type { FixtureMethod } from '../fixtures/compare-results.js';
import { fixtureResults } from '../fixtures/compare-results.js';

const FT = 'ft:head:tuneshot-base-encoder';
const ICL = 'icl:openai:gpt-4o-mini';
const DIST = 'distill:head:tuneshot-base-encoder';

const run = (distilled: Partial<FixtureMethod>, ft: Partial<FixtureMethod> = {}) => fixtureResults({
  testSize: 400,
  methods: [
    { id: ICL, kind: 'icl', accuracy: { 0: 0.8, 16: 0.9 }, p50Ms: 300, costPer1kQueriesUsd: 0.05 },
    { id: FT, kind: 'finetune', accuracy: { 16: 0.7 }, p50Ms: 10, trainSeconds: 30, costPer1kQueriesUsd: 0.001, ...ft },
    { id: DIST, kind: 'distilled', accuracy: { 0: 0.78, 16: 0.89 }, p50Ms: 10, trainSeconds: 60, costPer1kQueriesUsd: 0.001, oneOffCostUsd: 0.49, ...distilled },
  ],
});

test('distillation fires: close to the teacher, better than fine-tuning, cheaper a query; break-even and gap are numbers', () => {
  const a = advise(run({}), { queriesPerDay: 1000 });
  const r = a.reasons.find((x) => x.rule === 'distillation');
  assert.ok(r, formatAdvice(a));
  assert.equal(r.favours, 'distilled');
  assert.equal(a.recommendation, 'distilled');
  assert.equal(a.arm, DIST);
  assert.equal(String(a.budget), '16');
  // Labelling $0.49 once ÷ ($0.05 − $0.001) per 1k queries = 10,000 queries; 10 days at 1,000 a day.
  assert.equal(r.figures.breakEvenQueries, 10_000);
  assert.equal(r.figures.breakEvenDays, 10);
  assert.ok(typeof r.figures.teacherGap === 'number' && Math.abs(r.figures.teacherGap - (Number(r.figures.teacherMean) - Number(r.figures.distilledMean))) < 1e-12);
  // The fixture's noise may put the student a hair above its teacher: a negative gap.
  assert.ok(Math.abs(Number(r.figures.teacherGap)) <= 0.03, String(r.figures.teacherGap));
  assert.match(formatAdvice(a), /Recommendation: distil the ICL teacher into a fine-tuned model \(distill:head:tuneshot-base-encoder at 16/);
  assert.match(r.text, /pays for itself after 10k queries \(10\.0 days/);
});

test('distillation stays silent when the student is not the better choice', () => {
  const cases: Array<[string, Partial<FixtureMethod>, Partial<FixtureMethod>?]> = [
    ['far below its teacher', { accuracy: { 0: 0.7, 16: 0.75 } }],
    ['below fine-tuning on the gold labels', {}, { accuracy: { 16: 0.95 } }],
    ['not cheaper a query than the teacher', { costPer1kQueriesUsd: 0.06 }],
    ['no labelling cost measured', { oneOffCostUsd: undefined }],
    ['degenerate (one label for everything)', { constant: 'a' }],
  ];
  for (const [why, d, ft] of cases) {
    const a = advise(run(d, ft));
    assert.equal(a.reasons.find((x) => x.rule === 'distillation'), undefined, `${why}: ${formatAdvice(a)}`);
    assert.notEqual(a.recommendation, 'distilled', why);
  }
  // And without a distilled arm at all.
  const none = fixtureResults({ testSize: 400, methods: [
    { id: ICL, kind: 'icl', accuracy: { 0: 0.8, 16: 0.9 }, p50Ms: 300, costPer1kQueriesUsd: 0.05 },
    { id: FT, kind: 'finetune', accuracy: { 16: 0.7 }, p50Ms: 10, costPer1kQueriesUsd: 0.001 },
  ] });
  assert.equal(advise(none).reasons.find((x) => x.rule === 'distillation'), undefined);
});
