import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sentimentFixture } from '../fixtures/cue-word-lm.js';
import { runIcl } from '../../src/icl/run.js';
import {
  applyChatTemplate,
  createPromptProgram,
  loadPromptProgram,
  renderPrompt,
  savePromptProgram,
} from '../../src/icl/prompt.js';
import { balancedSample, DemoSelector, fitToContext, PromptTooLongError } from '../../src/icl/select.js';
import { calibrateProbs, IclClassifier, softmax } from '../../src/icl/classify.js';
import { CachedLanguageModel, withCache } from '../../src/icl/cache.js';
import type { ClassificationMetrics } from '../../src/eval/metrics.js';
import { createLanguageModel, registerBackend } from '../../src/icl/backends/index.js';

const mk = (w: string, label: string) => ({ text: `the movie is ${w}`, label });
const demos = [mk('great', 'positive'), mk('good', 'positive'), mk('bad', 'negative'), mk('lovely', 'positive'), mk('awful', 'negative')];
const data = ['awful', 'terrible', 'boring', 'bad', 'great', 'excellent', 'good', 'lovely'].map((w, i) =>
  mk(w, i < 4 ? 'negative' : 'positive'),
);

test('calibration moves predictions away from the label the prompt is skewed toward', async () => {
  const lm = sentimentFixture();
  const raw = await runIcl({ lm, demos, data, k: 2, calibrate: false, seed: 1 });
  const cal = await runIcl({ lm, demos, data, k: 2, calibrate: true, seed: 1 });
  const negRaw = raw.predictions.filter((p) => p.pred === 'negative').length;
  const negCal = cal.predictions.filter((p) => p.pred === 'negative').length;
  // The fixture's prior after "Label:" favours "positive" (4:1): uncalibrated, everything is positive.
  assert.equal(negRaw, 0);
  assert.equal(negCal, 4);
  assert.ok((cal.metrics as ClassificationMetrics).accuracy > (raw.metrics as ClassificationMetrics).accuracy);
  for (const p of cal.predictions) {
    // Calibration lowers P(positive) for every query (p_cf favours positive).
    assert.ok(p.probs!.positive! < p.rawProbs!.positive!);
    const s = Object.values(p.probs!).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 1) < 1e-9);
  }
});

test('calibrateProbs divides by the content-free distribution', () => {
  const p = calibrateProbs([0.6, 0.4], [0.8, 0.2]);
  assert.ok(Math.abs(p[0]! - 0.75 / 2.75) < 1e-12);
  assert.deepEqual(softmax([0, 0]), [0.5, 0.5]);
});

test('mean scoring and multi-word verbalizers give a valid distribution', async () => {
  const lm = sentimentFixture();
  const program = createPromptProgram({
    labels: ['negative', 'positive'],
    k: 2,
    scoring: 'mean',
    verbalizers: { negative: ['negative', 'bad'], positive: 'positive' },
  });
  const clf = new IclClassifier({ lm, program, pool: demos });
  const [p] = await clf.predict([{ text: 'the movie is great' }]);
  assert.equal(p!.label, 'positive');
  assert.ok(Math.abs(p!.probs.negative! + p!.probs.positive! - 1) < 1e-9);
});

test('over-long prompts drop demonstrations (farthest first) and keep the query', async () => {
  const lm = sentimentFixture({ contextLength: 40 });
  const program = createPromptProgram({ labels: ['negative', 'positive'], k: 5, selection: { method: 'knn', order: 'similar-last', seed: 0 } });
  const clf = new IclClassifier({ lm, program, pool: demos });
  const [d] = await clf.predictDetailed([{ text: 'the movie is great' }]);
  assert.ok(d!.droppedDemonstrations > 0);
  assert.ok(d!.demonstrations.length < 5);
  assert.ok(d!.prompt.endsWith('Input: the movie is great\nLabel:'));
  assert.ok((await lm.tokenize(d!.prompt)).length <= 40);
  // The most similar demonstration (same word) is kept and sits last.
  assert.equal(d!.demonstrations.at(-1)!.text, 'the movie is great');

  // Farthest by position when no similarities: the first demonstration goes first.
  const fit = await fitToContext({
    demos: [{ example: mk('one', 'a') }, { example: mk('two', 'b') }, { example: mk('three', 'a') }],
    render: (ds) => renderPrompt(program, ds, 'query text'),
    tokenize: (t) => lm.tokenize(t),
    contextLength: 24,
    reserveTokens: 1,
  });
  assert.deepEqual(fit.dropped.map((d) => d.example.text), ['the movie is one']);
  assert.ok(fit.prompt.includes('query text'));

  const tiny = sentimentFixture({ contextLength: 3 });
  const clf2 = new IclClassifier({ lm: tiny, program, pool: demos });
  await assert.rejects(clf2.predict([{ text: 'a query far too long for this window' }]), PromptTooLongError);
});

test('selection: balanced covers classes, random is seeded, kNN picks the nearest', async () => {
  const pool = [mk('a', 'x'), mk('b', 'x'), mk('c', 'x'), mk('d', 'y'), mk('e', 'z')];
  const b = balancedSample(pool, 3, 7);
  assert.deepEqual(new Set(b.map((e) => e.label)), new Set(['x', 'y', 'z']));
  const lm = sentimentFixture();
  const r1 = await new DemoSelector(pool, { k: 2, method: 'random', order: 'random', seed: 3 }).select('q');
  const r2 = await new DemoSelector(pool, { k: 2, method: 'random', order: 'random', seed: 3 }).select('q');
  assert.deepEqual(r1, r2);
  const knn = await new DemoSelector(demos, { k: 1, method: 'knn', order: 'random', seed: 0, embed: (t) => lm.embed(t) }).select(
    'the movie is awful',
  );
  assert.equal(knn[0]!.example.text, 'the movie is awful');
});

test('prompt programs round-trip through prompt.json; chat templates apply', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneshot-icl-'));
  try {
    const program = createPromptProgram({ labels: ['No', 'Yes'], instruction: 'Answer.', k: 1, demonstrations: [mk('x', 'Yes')] });
    assert.deepEqual(program.verbalizers, { No: 'no', Yes: 'yes' });
    await savePromptProgram(join(dir, 'prompt.json'), program);
    const back = await loadPromptProgram(join(dir, 'prompt.json'));
    assert.deepEqual(back, program);
    const text = renderPrompt(program, [mk('x', 'Yes')], 'q');
    assert.equal(text, 'Answer.\n\nInput: the movie is x\nLabel: yes\n\nInput: q\nLabel:');
    const tpl = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
    assert.equal(applyChatTemplate(tpl, [{ role: 'user', content: 'hi' }]), '<|user|>hi\n<|assistant|>');
    const chat = renderPrompt({ ...program, useChatTemplate: true }, [], 'q', { chatTemplate: tpl });
    assert.ok(chat.startsWith('<|user|>Answer.') && chat.endsWith('<|assistant|>'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cache: a second run makes zero model calls and gives identical results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneshot-cache-'));
  try {
    const db = join(dir, 'cache.sqlite');
    const lm1 = sentimentFixture();
    const c1 = withCache(lm1, db) as CachedLanguageModel;
    const first = await runIcl({ lm: c1, demos, data, k: 2, calibrate: true, seed: 1 });
    assert.ok(lm1.calls.scoreContinuations > 0);
    await c1.dispose();

    const lm2 = sentimentFixture();
    const c2 = withCache(lm2, db) as CachedLanguageModel;
    const second = await runIcl({ lm: c2, demos, data, k: 2, calibrate: true, seed: 1 });
    assert.deepEqual(lm2.calls, { tokenize: 0, scoreContinuations: 0, generate: 0, embed: 0, detokenize: 0 });
    assert.equal(c2.stats.misses, 0);
    assert.deepEqual(second.predictions, first.predictions);
    await c2.dispose();

    // Bypass: the model itself is used.
    const lm3 = sentimentFixture();
    assert.equal(withCache(lm3, db, { bypass: true }), lm3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generation mode: exact match and token F1', async () => {
  const lm = sentimentFixture();
  const gdemos = [
    { text: '', prompt: 'the film was great', completion: 'positive' },
    { text: '', prompt: 'the film was good', completion: 'positive' },
  ];
  const r = await runIcl({
    lm,
    task: 'generate',
    demos: gdemos,
    data: [{ text: '', prompt: 'the film was lovely', completion: 'positive' }],
    k: 2,
    template: '{% for d in demonstrations %}Input: {{ d.text }}\nLabel: {{ d.label }}\n\n{% endfor %}Input: {{ query }}\nLabel:',
    maxTokens: 3,
  });
  assert.equal(r.predictions[0]!.pred, 'positive');
  assert.deepEqual(r.metrics, { exactMatch: 1, tokenF1: 1, n: 1 });
});

test('backend registry: unknown backends are clear errors; registered factories are used', async () => {
  await assert.rejects(createLanguageModel('nope:x'), /unknown language model backend "nope"/);
  await assert.rejects(createLanguageModel('no-colon'), /<backend>:<model>/);
  registerBackend('fixture', async () => sentimentFixture());
  const lm = await createLanguageModel('fixture:any');
  assert.equal(lm.id, 'fixture:ngram');
  const o = await createLanguageModel({ backend: 'openai', model: 'm', baseURL: 'http://127.0.0.1:9/v1' });
  assert.equal(o.id, 'openai:m');
});
