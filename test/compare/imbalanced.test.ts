// The issue that started the floor: on an imbalanced filtering task (9% spam here), an ICL arm whose
// language model answers the majority label for every input scores high accuracy and used to be
// recommended. End to end through compare, with the baselines on by default: the primary metric is
// macro-F1, the ICL arm is marked degenerate everywhere (results.json, summary.md, report.html), the
// advice never recommends it and says why with numbers, and --baselines none / --metric work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compare } from '../../src/compare/index.js';
import { loadExamples } from '../../src/data/dataset.js';
import { registerBackend } from '../../src/icl/backends/index.js';
import type { LanguageModel } from '../../src/icl/language-model.js';

// TEST FIXTURE: a "language model" that prefers the continuation " ham" whatever the prompt,
// as the embedded 5M-parameter LM does on the spam demo.
registerBackend('always-ham', async () => {
  const lm: LanguageModel = {
    id: 'always-ham:fixture',
    contextLength: 512,
    tokenize: async (text) => text.split(/\s+/).filter((w) => w).map((w) => w.length),
    scoreContinuations: async (_prompt, continuations) => continuations.map((c) => ({ tokenLogprobs: [c.trim() === 'ham' ? -0.05 : -3] })),
    generate: async () => ({ text: 'ham', tokens: 1, finishReason: 'stop' }),
  };
  return lm;
});

const all = (split: string) => loadExamples(`datasets/spam/${split}.jsonl`, { task: 'classify' }).examples;
const imbalanced = (split: string, ham: number, spam: number) => [...all(split).filter((e) => e.label === 'ham').slice(0, ham), ...all(split).filter((e) => e.label === 'spam').slice(0, spam)];

test('imbalanced spam: macro-F1, the always-ham ICL arm is degenerate and never recommended', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-imbalanced-'));
  try {
    const train = imbalanced('train', 300, 30), test = imbalanced('test', 100, 10);
    const out = path.join(dir, 'run');
    const r = await compare({ train, test, icl: ['always-ham:fixture'], budgets: [0, 16, 'all'], seeds: 2, k: 2, out, registry: false, quiet: true });
    assert.equal(r.results.metric.name, 'macro-f1');
    assert.match(r.results.metric.reason, /"ham", holds 91% of the test set/);
    assert.deepEqual(r.results.arms.map((a) => a.id), ['icl:always-ham:fixture', 'baseline:tfidf', 'baseline:majority']);
    const icl = r.results.summary.filter((s) => s.arm === 'icl:always-ham:fixture');
    assert.equal(icl.length, 3);
    for (const s of icl) {
      assert.ok(s.meanAccuracy > 0.9, 'high accuracy from always answering the majority label');
      assert.equal(s.flag?.kind, 'degenerate');
      assert.equal(s.flag?.text, 'predicts "ham" for 100% of test inputs (gold: 91%)');
    }
    assert.notEqual(r.advice.recommendation, 'icl');
    const why = r.advice.reasons.find((x) => x.rule === 'degenerate' && x.figures.arm === 'icl:always-ham:fixture');
    assert.ok(why);
    assert.match(why.text, /is degenerate at every measured budget .*: predicts "ham" for 100% of test inputs \(gold: 91%\); try a bigger language model/);
    // The TF-IDF baseline learns the spam words from a class-balanced pool: above the floor, and then named.
    const tfidf16 = r.results.summary.find((s) => s.arm === 'baseline:tfidf' && s.budget === 16)!;
    assert.equal(tfidf16.flag, undefined);
    assert.ok(tfidf16.mean > 0.6, `TF-IDF macro-F1 ${tfidf16.mean}`);
    assert.equal(r.advice.recommendation, 'baseline');
    assert.equal(r.advice.arm, 'baseline:tfidf');
    assert.equal(r.advice.budget, 16);
    assert.match(r.advice.reasons.find((x) => x.rule === 'floor')!.text, /^no fine-tuned or ICL result rose above the floor, but the TF-IDF baseline at 16\/class reaches macro-F1 0\.\d\d/);
    const md = readFileSync(r.paths.markdown, 'utf8');
    assert.match(md, /^\| ICL fixture \| 0\/class \|.*\| ham 100% \|.*\| degenerate \|$/m);
    assert.match(md, /^## Recommendation: a classical model is enough \(baseline:tfidf at /m);
    assert.match(readFileSync(r.paths.html, 'utf8'), /<tr class="flagged"><td>ICL fixture<\/td>/);
    const json = JSON.parse(readFileSync(r.paths.json, 'utf8'));
    assert.equal(json.version, 3);
    assert.equal(json.summary.find((s: { arm: string }) => s.arm === 'icl:always-ham:fixture').flag.kind, 'degenerate');

    // Without baselines the degenerate rule still holds; --metric picks the primary metric.
    const bare = await compare({ train, test, icl: ['always-ham:fixture'], baselines: [], metric: 'f1:spam', budgets: [16], seeds: 1, k: 2, out: path.join(dir, 'bare'), registry: false, quiet: true });
    assert.deepEqual(bare.results.arms.map((a) => a.id), ['icl:always-ham:fixture']);
    assert.equal(bare.results.metric.name, 'f1:spam');
    assert.equal(bare.results.summary[0]!.mean, 0);
    assert.equal(bare.results.summary[0]!.flag?.kind, 'degenerate');
    assert.equal(bare.advice.recommendation, 'undecided');
    await assert.rejects(compare({ train, test, icl: ['always-ham:fixture'], metric: 'f1:eggs', budgets: [16], seeds: 1, out: path.join(dir, 'bad'), registry: false, quiet: true }),
      /--metric f1:<label> names a label of the task \(ham, spam\), got "eggs"/);
    await assert.rejects(compare({ train, test, icl: ['always-ham:fixture'], baselines: ['svm' as never], budgets: [16], seeds: 1, out: path.join(dir, 'bad'), registry: false, quiet: true }),
      /baselines: unknown baseline "svm" \(majority, tfidf, or none\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
