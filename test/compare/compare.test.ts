// compare end to end on a slice of the shipped spam dataset with tiny pre-trained models: the
// results validate against the CompareResults schema, the baselines run beside the learned arms,
// the report is written, the run is recorded, and a run that crashes part-way resumes: finished
// cells are reused, not recomputed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { compare, cellFileName, type CellKey } from '../../src/compare/index.js';
import { CompareResultsSchema } from '../../src/eval/results.js';
import { parseResults } from '../../src/eval/read.js';
import { openRegistry } from '../../src/registry/registry.js';
import { makeFixture, type Fixture } from '../fixtures/tiny-pretrained-models.js';

let fx: Fixture;
before(async () => {
  fx = await makeFixture();
});

const key = (c: CellKey) => `${c.arm}|${c.budget}|${c.seed}`;

test('compare fills a valid CompareResults, writes the report and records the run', { timeout: 120_000 }, async () => {
  const out = path.join(fx.dir, 'run1');
  const home = path.join(fx.dir, 'home1');
  const icl = `builtin:${fx.decoder}`;
  const r = await compare({
    train: fx.train, test: fx.test, icl: [icl], ft: [fx.encoder], methods: ['head'], budgets: [0, 4], seeds: 2, k: 2,
    epochs: { head: 2 }, latencySample: 4, out, registry: home, quiet: true, prices: { icl: 0.001 },
  });
  // Valid against the schema as written to disk.
  const json = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
  CompareResultsSchema.parse(json);
  const results = parseResults(json);
  assert.ok(existsSync(path.join(out, 'report.html')));
  assert.match(readFileSync(path.join(out, 'report.html'), 'utf8'), /<svg/);
  assert.ok(existsSync(path.join(out, 'summary.md')));

  assert.deepEqual(results.task.labels, ['ham', 'spam']);
  assert.equal(results.task.testSize, fx.test.length);
  assert.deepEqual(results.task.testGold, fx.test.map((e) => e.label));
  assert.deepEqual(results.arms.map((m) => m.id), [`icl:${icl}`, `ft:head:${fx.encoder}`, 'baseline:tfidf', 'baseline:majority']);
  assert.deepEqual(results.arms.map((m) => m.kind), ['icl', 'finetune', 'baseline', 'baseline']);
  // ICL at budgets 0 and 4, fine-tuning and the baselines only at 4 (nothing to train on at 0); 2 seeds each.
  assert.equal(results.cells.length, 10);
  assert.ok(!results.cells.some((c) => !c.arm.startsWith('icl:') && c.budget === 0));
  for (const c of results.cells) {
    assert.equal(c.error, undefined, c.error);
    assert.equal(c.predictions.length, fx.test.length);
    assert.ok(c.predictions.every((p) => p === 'ham' || p === 'spam'));
    assert.ok(c.inference.p50Ms >= 0 && c.inference.p95Ms >= c.inference.p50Ms);
    assert.equal(c.metrics.confusion.flat().reduce((a, b) => a + b, 0), fx.test.length);
    assert.ok(existsSync(path.join(out, 'cells', cellFileName(c))));
  }
  const learned = results.cells.filter((c) => !c.arm.startsWith('baseline:'));
  assert.ok(learned.every((c) => c.inference.p50Ms > 0 && c.inference.tokensPerQuery > 0 && c.inference.flopsPerQuery > 0));
  const ft = results.cells.filter((c) => c.arm.startsWith('ft:'));
  assert.ok(ft.every((c) => c.train.wallSeconds > 0 && c.train.flops > 0));
  // The baselines answer in well under a millisecond, from words (TF-IDF) or nothing at all (majority).
  const tfidf = results.cells.filter((c) => c.arm === 'baseline:tfidf');
  assert.ok(tfidf.every((c) => c.inference.p50Ms < 5 && c.inference.tokensPerQuery > 0 && c.inference.flopsPerQuery > 0 && c.train.flops > 0));
  const majority = results.cells.filter((c) => c.arm === 'baseline:majority');
  assert.ok(majority.every((c) => new Set(c.predictions).size === 1 && c.inference.flopsPerQuery === 0 && c.costPer1kQueriesUsd === 0));
  assert.ok(results.arms.find((a) => a.id === 'baseline:tfidf')!.params > 0);
  const icls = results.cells.filter((c) => c.arm.startsWith('icl:'));
  assert.ok(icls.every((c) => c.costPer1kQueriesUsd !== undefined && Math.abs(c.costPer1kQueriesUsd - 0.001 * c.inference.tokensPerQuery) < 1e-9));
  // Prompts are cut to the decoder's context window (64 tokens here) plus the scored label tokens.
  assert.ok(icls.every((c) => c.inference.tokensPerQuery <= 64 + 8));
  // Zero-shot does not depend on the seed.
  assert.deepEqual(icls.find((c) => c.budget === 0 && c.seed === 0)!.predictions, icls.find((c) => c.budget === 0 && c.seed === 1)!.predictions);
  const head = results.arms.find((m) => m.variant === 'head')!;
  assert.ok(head.params > 0 && head.trainableParams! > 0 && head.trainableParams! < head.params);
  assert.equal(results.summary.length, 5);
  assert.equal(results.metric.name, 'accuracy', 'the spam test slice is balanced');
  assert.ok(results.summary.every((s) => s.seeds === 2 && s.ci.basis === 'pooled-bootstrap' && s.agreement !== null));
  assert.ok(['finetune', 'icl', 'baseline', 'undecided'].includes(r.advice.recommendation));

  const reg = openRegistry(home);
  try {
    const runs = reg.listRuns({ kind: 'compare' });
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'succeeded');
    assert.equal(runs[0]!.id, r.runId);
    assert.ok(runs[0]!.artifacts.includes(path.resolve(out, 'results.json')));
    assert.equal((runs[0]!.metrics as { cells: number }).cells, 10);
    assert.equal((runs[0]!.metrics as { metric: string }).metric, 'accuracy');
    assert.ok(runs[0]!.inputHash.length === 64);
  } finally {
    reg.close();
  }
});

test('a crashed run resumes: finished cells are reused, only the missing ones are computed', { timeout: 120_000 }, async () => {
  const out = path.join(fx.dir, 'run2');
  const home = path.join(fx.dir, 'home2');
  const base = {
    train: fx.train, test: fx.test, icl: [`builtin:${fx.decoder}`], ft: [fx.encoder], methods: ['head' as const], budgets: [0, 4], seeds: [0, 1],
    k: 2, epochs: { head: 2 }, latencySample: 2, out, registry: home, quiet: true,
  };
  // First run: "crashes" when it reaches the fourth cell to compute.
  const started: string[] = [];
  await assert.rejects(
    compare({ ...base, beforeCell: (c) => { started.push(key(c)); if (started.length === 3) throw new Error('simulated crash'); } }),
    /simulated crash/,
  );
  const finished = readdirSync(path.join(out, 'cells'));
  // ICL 0/seed0 computed, 0/seed1 shared from it (no beforeCell), 4/seed0 computed, then the crash at 4/seed1.
  assert.equal(finished.length, 3);
  let reg = openRegistry(home);
  assert.equal(reg.listRuns()[0]!.status, 'failed');
  reg.close();

  // Rerun: the three finished cells are reused, the other seven computed.
  const computedNow: string[] = [];
  const r = await compare({ ...base, beforeCell: (c) => computedNow.push(key(c)) });
  assert.equal(r.reused.length, 3);
  assert.equal(r.computed.length, 7);
  for (const c of r.reused) assert.ok(!computedNow.includes(key(c)), `${key(c)} was recomputed`);
  assert.deepEqual(new Set(r.reused.map(key)), new Set(finished.map((f) => r.results.cells.find((c) => cellFileName(c) === f)!).map(key)));
  assert.equal(r.results.cells.length, 10);
  assert.ok(r.results.cells.every((c) => !c.error));

  // Delete one finished cell: only that one is computed again, with the same predictions (deterministic).
  const victim = r.results.cells.find((c) => c.arm.startsWith('ft:'))!;
  rmSync(path.join(out, 'cells', cellFileName(victim)));
  const again: string[] = [];
  const r2 = await compare({ ...base, beforeCell: (c) => again.push(key(c)) });
  assert.deepEqual(again, [key(victim)]);
  assert.equal(r2.reused.length, 9);
  assert.deepEqual(r2.results.cells.find((c) => key(c) === key(victim))!.predictions, victim.predictions);

  // A different setting (k) invalidates the ICL cells at budget 4 (and the zero-shot cells, whose prompt program changed) but not fine-tuning or the baselines.
  const changed: string[] = [];
  const r3 = await compare({ ...base, k: 3, beforeCell: (c) => changed.push(key(c)) });
  assert.ok(changed.every((k) => k.startsWith('icl:')));
  assert.equal(r3.reused.filter((c) => !c.arm.startsWith('icl:')).length, 6);

  reg = openRegistry(home);
  assert.equal(reg.listRuns({ kind: 'compare' }).length, 4);
  reg.close();
});
