// Distillation end to end with the deterministic fixture LM as a competent teacher on a toy
// sentiment task: the pool is labelled and filtered per class, the student (the embedded encoder,
// head-only) reaches the teacher's accuracy within a few points with hard and with soft labels, the
// outputs are a loadable model folder, labelled.jsonl and summary.json; an interrupted labelling run
// resumes from the response cache without paying twice; bad pools and options fail clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { distill, loadPool, type DistillOptions } from '../../src/distill/distill.js';
import { openTeacher } from '../../src/distill/teacher.js';
import { loadExamples } from '../../src/data/dataset.js';
import { loadClassifier } from '../../src/train/adapted.js';
import type { LanguageModel } from '../../src/icl/language-model.js';
import { teacherLM, toyTask } from '../fixtures/toy-sentiment-task.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'tuneshot-distill-'));
const task = toyTask(160, 7);
const STUDENT = { model: 'tuneshot-base-encoder', method: 'head' as const, pooling: 'mean' as const, epochs: 30, lr: 0.01, batchSize: 8 };
const base = (dir: string): DistillOptions => ({
  teacher: teacherLM(), cache: path.join(dir, 'cache.sqlite'), k: 4, calibrate: true,
  demos: task.demos, pool: task.pool, student: STUDENT, quiet: true, seed: 1,
});

for (const soft of [false, true]) {
  test(`distill with ${soft ? 'soft' : 'hard'} labels: filtered per class, the student reaches the teacher, outputs written`, { timeout: 180_000 }, async () => {
    const dir = tmp();
    const out = path.join(dir, 'run');
    const r = await distill({ ...base(dir), test: task.test, soft, minConfidence: 0.75, perClass: 40, holdout: 16, price: 0.5, out });
    const s = r.summary;

    // Every pool text labelled, with a distribution over the labels.
    assert.equal(s.pool.labelled, task.pool.length);
    assert.equal(r.labelled.length, task.pool.length);
    for (const it of r.labelled) {
      assert.ok(Math.abs(it.probs.negative! + it.probs.positive! - 1) < 1e-9);
      assert.equal(it.confidence, Math.max(it.probs.negative!, it.probs.positive!));
    }
    // Filtering: the mixed reviews fall below the threshold; each class is capped at 40, the most confident kept.
    const kept = r.labelled.filter((it) => it.split === 'train');
    assert.equal(r.labelled.filter((it) => it.split === 'heldout').length, 16);
    assert.ok(s.pool.dropped.confidence > 0);
    for (const it of r.labelled.filter((x) => x.dropped === 'confidence')) assert.ok(it.confidence < 0.75 && / but /.test(it.text), it.text);
    for (const it of kept) assert.ok(it.confidence >= 0.75);
    assert.deepEqual(s.pool.keptPerClass, { negative: 40, positive: 40 });
    assert.ok(s.pool.dropped['per-class'] > 0);
    for (const l of ['negative', 'positive']) {
      const least = Math.min(...kept.filter((it) => it.label === l).map((it) => it.confidence));
      for (const it of r.labelled.filter((x) => x.dropped === 'per-class' && x.label === l)) assert.ok(it.confidence <= least);
    }

    // The teacher is competent, and the student gets within a few points of it on the test set.
    const t = s.test!;
    assert.equal(t.n, task.test.length);
    assert.ok(t.teacher.accuracy.estimate >= 0.9, `teacher accuracy ${t.teacher.accuracy.estimate}`);
    assert.ok(t.student.accuracy.estimate >= t.teacher.accuracy.estimate - 0.05, `student ${t.student.accuracy.estimate} vs teacher ${t.teacher.accuracy.estimate}`);
    assert.ok(t.student.macroF1.lower <= t.student.macroF1.estimate && t.student.macroF1.estimate <= t.student.macroF1.upper);
    assert.ok(s.agreement!.n === 16 && s.agreement!.estimate >= 0.85, `agreement ${s.agreement!.estimate}`);
    assert.equal(s.student.soft, soft);

    // Teacher cost: a fresh cache pays for all but repeated prompts (the pool repeats a few texts); price is per million tokens.
    const u = s.teacherUsage;
    assert.ok(u.tokens > 0 && u.calls >= task.pool.length);
    assert.ok(u.newTokens > 0.9 * u.tokens && u.newTokens <= u.tokens && u.newCalls <= u.calls);
    assert.ok(Math.abs(u.costUsd! - (u.tokens * 0.5) / 1e6) < 1e-12);

    // Outputs: a normal fine-tuned model folder, the labelled pool as JSONL, the summary.
    const loaded = await loadClassifier(path.join(out, 'student'));
    const probe = task.test.slice(0, 4).map((e) => ({ text: e.text }));
    const [a, b] = [await loaded.predict(probe), await r.student.predict(probe)];
    a.forEach((p, i) => assert.ok(Math.abs(p.probs.positive! - b[i]!.probs.positive!) < 1e-5));
    const rows = readFileSync(path.join(out, 'labelled.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, task.pool.length);
    assert.deepEqual(Object.keys(rows[0]).sort(), ['confidence', 'label', 'probs', 'split', 'text'].concat(rows[0].dropped ? ['dropped'] : []).sort());
    // A user may train on the labelled pool as it is: it loads as training data.
    assert.equal(loadExamples(path.join(out, 'labelled.jsonl'), { task: 'classify' }).examples.length, task.pool.length);
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')).pool, s.pool);
  });
}

test('soft labels are what the student learns: inverted teacher distributions give inverted predictions', { timeout: 180_000 }, async () => {
  // The hard labels say one thing and the distributions the opposite: only the soft loss follows the latter.
  const { finetune } = await import('../../src/train/finetune.js');
  const train = task.test.slice(0, 40).map((e) => ({
    text: e.text, label: e.label!, labelProbs: e.label === 'positive' ? { positive: 0.1, negative: 0.9 } : { positive: 0.9, negative: 0.1 },
  }));
  const r = await finetune({ model: 'tuneshot-base-encoder', train, method: 'head', pooling: 'mean', epochs: 20, lr: 0.01, batchSize: 8, quiet: true });
  const preds = await r.model.predict(task.test.slice(40).map((e) => ({ text: e.text })));
  const inverted = preds.filter((p, i) => p.label !== task.test[40 + i]!.label).length / preds.length;
  assert.ok(inverted >= 0.8, `inverted share ${inverted}`);
  // Through the transformer too (full; LoRA shares the path): a few steps already invert its training texts.
  const few = train.slice(0, 16);
  const full = await finetune({ model: 'tuneshot-base-encoder', train: few, method: 'full', maxSteps: 12, batchSize: 8, lr: 5e-4, pooling: 'mean', dropout: false, quiet: true });
  const back = await full.model.predict(few.map((e) => ({ text: e.text })));
  assert.ok(back.filter((p, i) => p.label !== few[i]!.label).length >= 12, `full: ${back.map((p) => p.label)}`);
  await assert.rejects(
    finetune({ model: 'tuneshot-base-encoder', train: [{ text: 'x', label: 'a', labelProbs: { a: -1, b: 2 } }, { text: 'y', label: 'b' }], method: 'head', quiet: true }),
    /labelProbs of "x" are not a distribution/,
  );
});

/** The teacher, failing after `after` label-scoring calls (a run killed mid-way); `ok()` counts the calls answered. */
function failingAfter(lm: LanguageModel, after: number): { lm: LanguageModel; ok: () => number } {
  let ok = 0;
  const broken = Object.assign(Object.create(lm) as LanguageModel, {
    scoreContinuations: async (p: string, c: string[]) => {
      if (ok >= after) throw new Error('connection reset (simulated)');
      const r = await lm.scoreContinuations(p, c);
      ok++;
      return r;
    },
  });
  return { lm: broken, ok: () => ok };
}

test('an interrupted labelling run resumes from the cache: the rerun pays only for the rest, a third run for nothing', { timeout: 180_000 }, async () => {
  const dir = tmp();
  const out = path.join(dir, 'run');
  const quick = { ...STUDENT, epochs: 2 };
  const first = teacherLM();
  const broken = failingAfter(first, 40);
  await assert.rejects(distill({ ...base(dir), teacher: broken.lm, concurrency: 1, student: quick, out }), /connection reset/);
  assert.equal(broken.ok(), 40);
  assert.ok(!existsSync(path.join(out, 'labelled.jsonl')), 'nothing labelled is written before labelling finishes');

  const second = teacherLM();
  const r2 = await distill({ ...base(dir), teacher: second, student: quick, out });
  const u2 = r2.summary.teacherUsage;
  // What labelling the pool costs from scratch (repeated pool texts are asked once).
  const fresh = teacherLM();
  const ref = await openTeacher({ teacher: fresh, cache: path.join(dir, 'fresh.sqlite'), k: 4, calibrate: true, labels: ['negative', 'positive'], demos: task.demos, seed: 1 });
  await ref.label(task.pool);
  await ref.dispose();
  assert.equal(second.calls.scoreContinuations, fresh.calls.scoreContinuations - 40, 'the 40 calls answered before the failure are not paid again');
  assert.equal(u2.newCalls, second.calls.scoreContinuations);
  assert.ok(u2.newTokens < u2.tokens && u2.newTokens > 0);

  const third = teacherLM();
  const r3 = await distill({ ...base(dir), teacher: third, student: quick, out, price: 2 });
  assert.deepEqual(third.calls, { tokenize: 0, scoreContinuations: 0, generate: 0, embed: 0, detokenize: 0 }, 'zero teacher calls');
  assert.equal(r3.summary.teacherUsage.newTokens, 0);
  assert.equal(r3.summary.teacherUsage.newCostUsd, 0);
  assert.equal(r3.summary.teacherUsage.tokens, u2.tokens, 'the labelling still costs what it cost');
  assert.deepEqual(r3.labelled.map((l) => l.probs), r2.labelled.map((l) => l.probs));
});

test('bad pool files get the same clear errors as training data, before anything is written', async () => {
  const dir = tmp();
  const out = path.join(dir, 'never');
  const file = (name: string, content: string) => { const f = path.join(dir, name); writeFileSync(f, content); return f; };
  const cases: Array<[string, RegExp]> = [
    [file('malformed.jsonl', '{"text": "ok"}\n{"text": oops}\n'), /malformed\.jsonl:2: malformed JSON/],
    [file('missing.jsonl', '{"text": "ok"}\n{"body": "no text"}\n'), /missing\.jsonl:2: field "text": missing/],
    [file('empty-text.jsonl', '{"text": "   "}\n'), /empty-text\.jsonl:1: field "text": empty text/],
    [file('number.jsonl', '{"text": 42}\n'), /number\.jsonl:1: field "text": expected a string, got 42/],
    [file('ragged.csv', 'text,source\nhello,web\nbye\n'), /ragged\.csv:3: CSV row has 1 columns, header has 2/],
    [file('blank.jsonl', '\n\n'), /blank\.jsonl: no examples found/],
    [file('pool.txt', 'just text\n'), /pool\.txt: cannot tell the format from extension "\.txt"/],
    [path.join(dir, 'absent.jsonl'), /absent\.jsonl: cannot read file \(ENOENT\)/],
  ];
  for (const [pool, message] of cases) {
    // The message is the one loading the same file as training data gives.
    let asTraining = '';
    try { loadExamples(pool, { task: 'classify', labelOptional: true }); } catch (e) { asTraining = (e as Error).message; }
    await assert.rejects(distill({ ...base(dir), pool, out }), (e: Error) => message.test(e.message) && e.message === asTraining);
  }
  assert.ok(!existsSync(out), 'no output folder for a bad pool');
  // A label field in the pool is ignored, whatever its type; a CSV label column too.
  assert.deepEqual(loadPool(file('labelled.jsonl', '{"text": "a fine film", "label": 5}\n{"text": "dull", "label": null}\n')), [{ text: 'a fine film' }, { text: 'dull' }]);
  assert.deepEqual(loadPool(file('pool.csv', 'label,text\n3,a fine film\n')), [{ text: 'a fine film' }]);
});

test('options are range-checked at the library boundary; a folder distill did not write is refused', async () => {
  const dir = tmp();
  const bad: Array<[Partial<DistillOptions>, RegExp]> = [
    [{ size: 0 }, /size must be a positive integer, got 0/],
    [{ holdout: -1 }, /holdout must be a non-negative integer, got -1/],
    [{ minConfidence: 1.5 }, /minConfidence must be between 0 and 1, got 1.5/],
    [{ perClass: 0 }, /perClass must be a positive integer, got 0/],
    [{ maxImbalance: 0.5 }, /maxImbalance must be 0 \(no cap\) or at least 1, got 0.5/],
    [{ price: -1 }, /price must be a non-negative number/],
    [{ k: -2 }, /k must be a non-negative integer, got -2/],
    [{ concurrency: 0 }, /concurrency must be a positive integer, got 0/],
    [{ teacher: 'no-backend' }, /"<backend>:<model>"/],
    [{ student: { ...STUDENT, method: 'deep' as never } }, /student method must be full, lora or head, got "deep"/],
    [{ demos: [{ text: 'only one label', label: 'positive' }] }, /at least two labels/],
    [{ labels: ['negative', 'positive'], test: [{ text: 'x', label: 'neutral' }] }, /test:1: field "label": label "neutral" is not in the label set/],
  ];
  for (const [o, message] of bad) await assert.rejects(distill({ ...base(dir), ...o }), message);

  const theirs = path.join(dir, 'theirs');
  mkdirSync(theirs);
  writeFileSync(path.join(theirs, 'notes.txt'), 'precious');
  await assert.rejects(distill({ ...base(dir), out: theirs }), /theirs: exists and was not written by tuneshot distill \(holds notes\.txt\); choose another --out/);
  assert.equal(readFileSync(path.join(theirs, 'notes.txt'), 'utf8'), 'precious');
});
