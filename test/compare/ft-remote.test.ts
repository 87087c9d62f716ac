// compare's remote fine-tuning arm against the local fine-tuning jobs API server
// (test/fixtures/fake-openai.ts, 127.0.0.1 only) with the official client: one job a budget and
// seed on exactly the budget's examples, the fine-tuned model scored zero-shot through the ICL
// scorer's chat requests, its costs (trained tokens × the training price once, tokens a query ×
// its price) in results.json, the report and the cost chart; a second run reuses every job (no
// upload, no job created); results version 3 and the older versions it reads; advise treats the
// arm as fine-tuning.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FakeOpenAI } from '../fixtures/fake-openai.js';
import { writeJsonl } from '../fixtures/spam-splits.js';
import { fixtureResults } from '../fixtures/compare-results.js';
import { compare, type CompareOptions } from '../../src/compare/index.js';
import { loadExamples, type Example } from '../../src/data/dataset.js';
import { CompareResultsSchema, RESULTS_VERSION } from '../../src/eval/results.js';
import { parseResults, readResults } from '../../src/eval/read.js';
import { advise, formatAdvice, recommendationText } from '../../src/advise/advise.js';
import { OpenAIFinetuner } from '../../src/remote/openai.js';

const ARM = 'ft-remote:openai:gpt-4o-mini';
let server: FakeOpenAI;
let dir: string;
let home: string;
let train: Example[];
let testSet: Example[];
let trainFile: string;
let testFile: string;

const balanced = (xs: Example[], n: number) => ['ham', 'spam'].flatMap((l) => xs.filter((e) => e.label === l).slice(0, n)).map((e) => ({ ...e, text: e.text.slice(0, 300) }));

before(async () => {
  server = await new FakeOpenAI().start();
  dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-ft-remote-'));
  home = path.join(dir, 'home');
  train = balanced(loadExamples('datasets/spam/train.jsonl', { task: 'classify' }).examples, 10);
  testSet = balanced(loadExamples('datasets/spam/test.jsonl', { task: 'classify' }).examples, 15);
  trainFile = writeJsonl(path.join(dir, 'train.jsonl'), train);
  testFile = writeJsonl(path.join(dir, 'test.jsonl'), testSet);
});
after(() => server.close());

const options = (out: string, o: Partial<CompareOptions> = {}): CompareOptions => ({
  train: trainFile, test: testFile, ftRemote: ['openai:gpt-4o-mini'], budgets: [0, 4, 8, 'all'], seeds: 2,
  remote: { connection: { baseURL: server.baseURL, apiKey: server.apiKey, maxRetries: 0 }, hyperparameters: { n_epochs: 2 }, pollIntervalMs: 5 },
  prices: { 'ft-remote': 0.0006 }, trainPrices: { 'openai:gpt-4o-mini': 3 },
  out: path.join(dir, out), registry: home, quiet: true, ...o,
});

const uploads = () => server.count('POST', /^\/v1\/files$/);
const creates = () => server.count('POST', /^\/v1\/fine_tuning\/jobs$/);

test('a compare run trains one job a budget and seed, scores each model through the ICL scorer, and prices it', { timeout: 120_000 }, async () => {
  const [files0, jobs0, chats0] = [uploads(), creates(), server.chats.length];
  const r = await compare(options('run1'));
  const json = JSON.parse(readFileSync(path.join(dir, 'run1', 'results.json'), 'utf8'));
  assert.equal(json.version, 3);
  CompareResultsSchema.parse(json);
  const results = parseResults(json);
  const arm = results.arms.find((a) => a.id === ARM)!;
  assert.equal(arm.kind, 'ft-remote');
  assert.equal(arm.model, 'openai:gpt-4o-mini');

  // Budget 4 (8 examples) is under the provider's minimum of 10: skipped, and the notes say so; 0 has nothing to train on.
  const cells = results.cells.filter((c) => c.arm === ARM);
  assert.deepEqual(cells.map((c) => `${c.budget}/${c.seed}`).sort(), ['8/0', '8/1', 'all/0', 'all/1']);
  assert.ok(Object.values(results.environment ?? {}).some((n) => /ft-remote:openai:gpt-4o-mini: budget 4 skipped: fewer than 10 training examples/.test(n)));
  assert.equal(uploads() - files0, 4, 'one training file a cell');
  assert.equal(creates() - jobs0, 4, 'one job a budget and seed');

  for (const c of cells) {
    assert.equal(c.error, undefined, c.error);
    const j = c.remoteJob!;
    assert.equal(j.reused, false);
    assert.equal(j.endpoint, server.baseURL);
    const job = server.jobs.get(j.jobId)!;
    assert.equal(job.status, 'succeeded');
    assert.equal(job.fine_tuned_model, j.fineTunedModel);
    assert.equal(job.seed, c.seed, 'the cell\'s seed is the job\'s');
    assert.equal(job.hyperparameters['n_epochs'], 2);
    // Trained on exactly the budget's pool.
    assert.equal(job.lines.length, c.budget === 'all' ? train.length : 16);
    assert.equal(j.trainedTokens, job.trained_tokens);
    // One-off: trained tokens × $3 per million; per query: tokens × $0.0006 per 1k.
    assert.ok(Math.abs(c.oneOffCostUsd! - (job.trained_tokens! * 3) / 1e6) < 1e-12);
    assert.ok(c.inference.tokensPerQuery > 20);
    assert.ok(Math.abs(c.costPer1kQueriesUsd! - 0.0006 * c.inference.tokensPerQuery) < 1e-12);
    // Each test text asked once, as the model was trained: the same system message, the zero-shot prompt as the user message.
    const asked = server.chats.filter((x) => x.model === j.fineTunedModel);
    assert.equal(asked.length, testSet.length);
    assert.ok(asked.every((x) => x.sameSystem));
    assert.deepEqual(asked.map((x) => x.messages.find((m) => m.role === 'user')!.content), testSet.map((e) => `Classify the text as one of: ham, spam.\n\nInput: ${e.text}\nLabel:`));
    assert.deepEqual(c.predictions, asked.map((x) => x.answer), 'each prediction is the fine-tuned model\'s answer');
  }
  assert.equal(server.chats.length - chats0, 4 * testSet.length, 'nothing else was asked');
  // The arm is in the summary with both costs, and in the advice's reasons as a fine-tuned arm.
  const rows = results.summary.filter((s) => s.arm === ARM);
  assert.equal(rows.length, 2);
  assert.ok(rows.every((s) => s.oneOffCostUsd! > 0 && s.costPer1kQueriesUsd! > 0));
  assert.ok(r.advice.reasons.length > 0);
  const text = formatAdvice(r.advice);
  assert.match(text, /Recommendation/);

  // The report: the arm with its kind, the jobs table, the one-off cost beside its points in the cost chart.
  const html = readFileSync(path.join(dir, 'run1', 'report.html'), 'utf8');
  assert.match(html, /<td>remote FT gpt-4o-mini<\/td><td>remote fine-tuning<\/td><td>openai:gpt-4o-mini<\/td>/);
  assert.match(html, /<h2>Remote fine-tuning jobs<\/h2>/);
  for (const c of cells) assert.ok(html.includes(`<td>${c.remoteJob!.jobId}</td><td>${c.remoteJob!.fineTunedModel}</td>`), c.remoteJob!.jobId);
  const cost = html.slice(html.indexOf('data-chart="cost-accuracy"'), html.indexOf('</figure>', html.indexOf('data-chart="cost-accuracy"')));
  const once = rows.map((s) => `${s.budget === 'all' ? 'all data' : `${s.budget}/class`}, $${s.costPer1kQueriesUsd!.toFixed(4)}/1k q, $${s.oneOffCostUsd!.toFixed(2)} once`);
  for (const t of once) assert.ok(cost.includes(t), `cost chart labels "${t}"`);
  assert.match(cost, /once for a one-off cost \(remote training/);
  assert.match(readFileSync(path.join(dir, 'run1', 'summary.md'), 'utf8'), /## Remote fine-tuning jobs/);
});

test('a second compare run reuses every finished job: nothing uploaded, no job created, the same models asked', { timeout: 120_000 }, async () => {
  const first = readResults(path.join(dir, 'run1', 'results.json'));
  const [files0, jobs0] = [uploads(), creates()];
  const since = server.requests.length;
  // A new output folder, so no cell is reused from disk: the arm runs again and finds the jobs in the registry.
  const r = await compare(options('run2'));
  assert.equal(uploads(), files0, 'no file uploaded');
  assert.equal(creates(), jobs0, 'no job created');
  const posts = server.requests.slice(since).filter((q) => q.method === 'POST').map((q) => q.path);
  assert.ok(posts.every((p) => p === '/v1/chat/completions' || p === '/v1/tokenize'), posts.join(', '));
  assert.equal(r.computed.filter((k) => k.arm === ARM).length, 4);
  const cells = r.results.cells.filter((c) => c.arm === ARM);
  const before = new Map(first.cells.filter((c) => c.arm === ARM).map((c) => [`${c.budget}/${c.seed}`, c]));
  for (const c of cells) {
    const b = before.get(`${c.budget}/${c.seed}`)!;
    assert.equal(c.remoteJob!.reused, true);
    assert.equal(c.remoteJob!.jobId, b.remoteJob!.jobId);
    assert.equal(c.remoteJob!.fineTunedModel, b.remoteJob!.fineTunedModel);
    assert.deepEqual(c.predictions, b.predictions);
    // The training was paid for once; a reused job still reports its cost and the provider's training time.
    assert.equal(c.oneOffCostUsd, b.oneOffCostUsd);
    assert.equal(c.train.wallSeconds, b.train.wallSeconds);
  }
  assert.match(readFileSync(path.join(dir, 'run2', 'report.html'), 'utf8'), /<td>reused<\/td>/);
  // The same folder again: every cell comes from disk, nothing is asked at all.
  const n = server.requests.length;
  const again = await compare(options('run2'));
  assert.equal(again.computed.length, 0);
  assert.equal(server.requests.length, n, 'no request when every cell is reused');
});

test('a wrong key or an unreachable server stops the run before any cell, in one line', { timeout: 60_000 }, async () => {
  const jobs0 = creates();
  await assert.rejects(
    compare(options('badkey', { remote: { connection: { baseURL: server.baseURL, apiKey: 'sk-wrong', maxRetries: 0 }, pollIntervalMs: 5 } })),
    (e: Error) => e.message === `${ARM}: ${server.baseURL}: HTTP 401: Incorrect API key provided.`,
  );
  await assert.rejects(
    compare(options('down', { remote: { connection: { baseURL: 'http://127.0.0.1:9/v1', apiKey: server.apiKey, maxRetries: 0 }, pollIntervalMs: 5 } })),
    (e: Error) => e.message.startsWith(`${ARM}: cannot reach http://127.0.0.1:9/v1: Connection error.`) && !e.message.includes('\n'),
  );
  const saved = process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_API_KEY;
  try {
    await assert.rejects(compare(options('nokey', { remote: { connection: { baseURL: server.baseURL }, pollIntervalMs: 5 } })), new RegExp(`^Error: ${ARM}: no API key: set OPENAI_API_KEY or give --api-key$`));
  } finally {
    if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
  }
  assert.equal(creates(), jobs0);
  // Specs and options the library refuses before anything runs.
  await assert.rejects(compare(options('spec', { ftRemote: ['gpt-4o-mini'] })), /compare: ftRemote: a remote base model looks like "<provider>:<model>" \(e\.g\. openai:gpt-4o-mini\), got "gpt-4o-mini"/);
  await assert.rejects(compare(options('spec2', { ftRemote: ['foo:bar'] })), /compare: ftRemote: unknown remote provider "foo" in "foo:bar" \(known: azure, openai\)/);
  await assert.rejects(compare(options('azure', { ftRemote: ['azure:gpt-4o-mini'] })), /compare: ftRemote: azure:gpt-4o-mini: Azure serves a fine-tuned model only through a deployment/);
  await assert.rejects(compare(options('epochs', { remote: { hyperparameters: { n_epochs: 0 } } })), /compare: remote\.hyperparameters\.n_epochs must be an integer from 1 to 50, got 0/);
  await assert.rejects(compare(options('suffix', { remote: { suffix: 'has space' } })), /compare: remote\.suffix must be 1 to 64 letters/);
  await assert.rejects(compare(options('tp', { trainPrices: { 'ft-remote': -1 } })), /compare: trainPrices\["ft-remote"\] must be a number >= 0 and <= 1000000, got -1/);
});

test('a job the provider fails is a failed cell with the provider\'s message; the rerun trains anew and continues', { timeout: 60_000 }, async () => {
  server.nextFailure = { code: 'invalid_training_file', message: 'The job failed: the training file has a problem (injected)' };
  const jobs0 = creates();
  // A suffix of its own: the same data and parameters would reuse the first test's finished job.
  const remote = { connection: { baseURL: server.baseURL, apiKey: server.apiKey, maxRetries: 0 }, suffix: 'fails', pollIntervalMs: 5 };
  const r = await compare(options('failed', { budgets: ['all'], seeds: 1, baselines: [], remote }));
  const cell = r.results.cells.find((c) => c.arm === ARM)!;
  assert.match(cell.error!, /The job failed: the training file has a problem \(injected\)/);
  assert.equal(creates(), jobs0 + 1);
  // The same folder again: the failed cell is recomputed (a new job), the registry does not offer the failed one.
  const again = await compare(options('failed', { budgets: ['all'], seeds: 1, baselines: [], remote }));
  const ok = again.results.cells.find((c) => c.arm === ARM)!;
  assert.equal(ok.error, undefined);
  assert.equal(creates(), jobs0 + 2);
  assert.equal(ok.remoteJob!.reused, false);
});

test('a given provider client is used as it is (library), and its provider must match the spec', { timeout: 60_000 }, async () => {
  const finetuner = new OpenAIFinetuner({ baseURL: server.baseURL, apiKey: server.apiKey });
  const r = await compare(options('client', { budgets: ['all'], seeds: 1, remote: { finetuner, connection: { apiKey: server.apiKey }, pollIntervalMs: 5 } }));
  assert.equal(r.results.cells.filter((c) => c.arm === ARM && !c.error).length, 1);
  const azure = Object.assign(Object.create(OpenAIFinetuner.prototype), { provider: 'azure', endpoint: 'x' });
  await assert.rejects(compare(options('client2', { remote: { finetuner: azure } })), /the given finetuner is for azure, openai:gpt-4o-mini for openai/);
});

test('results version 3: version 2 and 1 files still read; a newer version is refused by number', () => {
  const v2 = fixtureResults({
    testSize: 40, labels: ['ham', 'spam'],
    methods: [
      { id: 'icl:openai:gpt-4o-mini', kind: 'icl', accuracy: { 0: 0.7 }, p50Ms: 300 },
      { id: 'ft:head:m', kind: 'finetune', accuracy: { 4: 0.8 }, p50Ms: 5 },
      { id: 'distill:head:m', kind: 'distilled', accuracy: { 4: 0.8 }, p50Ms: 5, oneOffCostUsd: 0.1 },
    ],
  });
  const file = path.join(dir, 'results-v2.json');
  writeFileSync(file, JSON.stringify({ ...v2, version: 2 }));
  const read = readResults(file);
  assert.equal(read.version, RESULTS_VERSION);
  assert.deepEqual(read.arms.map((a) => a.kind), ['icl', 'finetune', 'distilled']);
  assert.deepEqual(read.cells, v2.cells);
  assert.throws(() => parseResults({ ...v2, version: 4 }), /this tuneshot reads versions 1 to 3, got 4/);
  // A version-2 reader's schema had no 'ft-remote': that is why the version moved.
  assert.throws(() => parseResults({ ...v2, arms: [{ ...v2.arms[0]!, kind: 'nope' }] }), /arms\.0\.kind/);
  const v1 = readResults(new URL('../eval/data/results-v1.json', import.meta.url).pathname);
  assert.equal(v1.version, RESULTS_VERSION);
});

test('advise treats a remote fine-tuned arm as fine-tuning: the floor, the vote, the crossover and the words', () => {
  const base = {
    testSize: 300, labels: ['negative', 'neutral', 'positive'], budgets: [0, 16, 64] as (0 | 16 | 64)[],
    seeds: [1, 2, 3],
  };
  const good = fixtureResults({
    ...base,
    methods: [
      { id: 'icl:openai:gpt-4o-mini', kind: 'icl', accuracy: { 0: 0.55, 16: 0.6 }, p50Ms: 400, costPer1kQueriesUsd: 0.2 },
      { id: ARM, kind: 'ft-remote', accuracy: { 16: 0.8, 64: 0.93 }, p50Ms: 350, trainSeconds: 900, costPer1kQueriesUsd: 0.02, oneOffCostUsd: 1.5 },
      { id: 'baseline:tfidf', kind: 'baseline', accuracy: { 16: 0.45, 64: 0.5 }, p50Ms: 0.05 },
      { id: 'baseline:majority', kind: 'baseline', accuracy: {}, constant: 'negative', p50Ms: 0.01 },
    ],
  });
  const a = advise(good, { queriesPerDay: 10_000 });
  assert.equal(a.recommendation, 'finetune');
  assert.equal(a.arm, ARM);
  assert.equal(a.armKind, 'ft-remote');
  assert.equal(recommendationText(a), `Recommendation: fine-tune remotely (${ARM} at 64/class)`);
  assert.equal(a.crossover?.arm, ARM);
  const quality = a.reasons.find((r) => r.rule === 'quality')!;
  assert.equal(quality.favours, 'finetune');
  assert.equal(quality.figures.finetuneArm, ARM);
  // At 10k queries a day the training is paid back by the cheaper query: 1.5 / ((0.2 - 0.02) / 1000) = 8,334 queries.
  const volume = a.reasons.find((r) => r.rule === 'volume')!;
  assert.equal(volume.figures.breakEvenQueries, 8334);
  assert.match(volume.text, /one-off training cost \$1\.50 is paid back by the cheaper query after 8\.3k queries \(0\.8 days\)/);
  assert.match(a.reasons.find((r) => r.rule === 'floor')!.text, /\$1\.50 once/);

  // Degenerate everywhere: named with what to try for a remote model, and fine-tuning is out.
  const bad = fixtureResults({
    ...base,
    methods: [
      { id: 'icl:openai:gpt-4o-mini', kind: 'icl', accuracy: { 0: 0.7, 16: 0.75 }, p50Ms: 400 },
      { id: ARM, kind: 'ft-remote', accuracy: { 16: 0.34, 64: 0.34 }, constant: 'neutral', p50Ms: 350 },
      { id: 'baseline:majority', kind: 'baseline', accuracy: {}, constant: 'negative', p50Ms: 0.01 },
    ],
  });
  const b = advise(bad);
  const deg = b.reasons.filter((r) => r.rule === 'degenerate');
  assert.ok(deg.some((r) => r.figures.arm === ARM && /give it more epochs \(--remote-epochs\)/.test(r.text)), JSON.stringify(deg));
  assert.ok(deg.some((r) => r.excludes === 'finetune' && /no fine-tuning result rose above the floor/.test(r.text)));
  assert.equal(b.recommendation, 'icl');
});
