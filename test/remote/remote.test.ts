// Remote fine-tuning through the library against a local server speaking the OpenAI fine-tuning
// jobs API (test/remote/fake-openai.ts) with the official client: the chat JSONL sent, the job
// lifecycle, retries, failure and cancellation, file and job reuse, Azure's variant, the model card,
// and evaluation through the ICL scorer as openai:<fine_tuned_model>.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { getEventListeners } from 'node:events';
import Database from 'better-sqlite3';
import { FakeOpenAI } from '../fixtures/fake-openai.js';
import { makeRemoteFixture, type RemoteFixture } from '../fixtures/spam-splits.js';
import {
  cancelRemoteJob, followRemoteJob, remoteFinetune, type RemoteFinetuneOptions,
} from '../../src/remote/finetune.js';
import { RemoteJobError } from '../../src/remote/follow.js';
import { OpenAIFinetuner } from '../../src/remote/openai.js';
import { AzureFinetuner } from '../../src/remote/azure.js';
import { loadRemoteClassifier, readRemoteCard } from '../../src/remote/card.js';
import { openRegistry, SCHEMA_VERSION } from '../../src/registry/registry.js';
import { RemoteStore } from '../../src/registry/remote.js';
import { createLanguageModel } from '../../src/icl/backends/index.js';
import { IclClassifier } from '../../src/icl/classify.js';
import type { OpenAILanguageModel } from '../../src/icl/backends/openai.js';

let server: FakeOpenAI;
let fx: RemoteFixture;
const homes: string[] = [];
const newHome = () => {
  const h = mkdtempSync(path.join(tmpdir(), 'tuneshot-remote-home-'));
  homes.push(h);
  return h;
};

before(async () => {
  server = await new FakeOpenAI().start();
  fx = makeRemoteFixture();
});
after(() => server.close());

const openai = () => new OpenAIFinetuner({ baseURL: server.baseURL, apiKey: server.apiKey });
const base = (o: Partial<RemoteFinetuneOptions> = {}): RemoteFinetuneOptions => ({
  base: 'openai:gpt-4o-mini', train: fx.train, labels: ['ham', 'spam'], finetuner: openai(), pollIntervalMs: 5, quiet: true, home: newHome(), ...o,
});

test('the uploaded training file is the chat JSONL of the zero-shot ICL prompt, one example a line', async () => {
  const uploadsBefore = server.files.size;
  const r = await remoteFinetune(base({ dev: fx.dev, hyperparameters: { n_epochs: 2 }, suffix: 'fmt' }));
  assert.equal(server.files.size, uploadsBefore + 2, 'training and validation file');
  const job = server.jobs.get(r.jobId)!;
  const sent = server.files.get(job.training_file)!.content.toString('utf8');
  // Written out by hand: what the ICL scorer sends a chat model for a zero-shot prompt.
  const expected = fx.train.map((e) => JSON.stringify({
    messages: [
      { role: 'system', content: 'Continue the text. Reply with exactly one of: ham | spam' },
      { role: 'user', content: `Classify the text as one of: ham, spam.\n\nInput: ${e.text}\nLabel:` },
      { role: 'assistant', content: e.label },
    ],
  }) + '\n').join('');
  assert.equal(sent, expected);
  assert.equal(server.files.get(job.validation_file!)!.content.toString('utf8').split('\n').filter((l) => l).length, fx.dev.length);
  assert.equal(server.files.get(job.training_file)!.purpose, 'fine-tune');
  assert.equal(job.hyperparameters['n_epochs'], 2);
  assert.equal(job.suffix, 'fmt');
});

test('a given prompt program (template, verbalizers, empty instruction) shapes the lines and the questions alike', async () => {
  const program = { template: 'Message: {{ query }}\nVerdict:', instruction: '', verbalizers: { ham: 'legit', spam: ['junk', 'scam'] } };
  const r = await remoteFinetune(base({ program, suffix: 'prog' }));
  const sent = server.files.get(server.jobs.get(r.jobId)!.training_file)!.content.toString('utf8').split('\n')[0]!;
  const e = fx.train[0]!;
  assert.equal(sent, JSON.stringify({
    messages: [
      { role: 'system', content: 'Continue the text. Reply with exactly one of: legit | junk | scam' },
      { role: 'user', content: `Message: ${e.text}\nVerdict:` },
      { role: 'assistant', content: e.label === 'ham' ? 'legit' : 'junk' },
    ],
  }));
  const lm = await createLanguageModel({ backend: 'openai', model: r.fineTunedModel!, baseURL: server.baseURL, apiKey: server.apiKey });
  const preds = await new IclClassifier({ lm, program: r.program }).predict(fx.train.slice(-3).map((x) => ({ text: x.text })));
  assert.deepEqual(preds.map((p) => p.label), fx.train.slice(-3).map((x) => x.label), 'answers map back to labels');
  assert.ok(server.chats.slice(-3).every((c) => c.exact));
});

test('a job is followed through validating_files, queued, running to succeeded; the model is recorded and its folder written', async () => {
  const home = newHome();
  const out = path.join(fx.dir, 'card-lifecycle');
  const statuses: string[] = [];
  const events: string[] = [];
  const ac = new AbortController();
  const r = await remoteFinetune(base({
    home, out, hyperparameters: { n_epochs: 3 }, command: 'tuneshot finetune --remote openai --api-key sk-secret', signal: ac.signal,
    onUpdate: (u) => { if (statuses.at(-1) !== u.job.status) statuses.push(u.job.status); events.push(...u.events.map((e) => e.message)); },
  }));
  assert.deepEqual(statuses, ['validating_files', 'queued', 'running', 'succeeded']);
  // The client leaves a listener on every signal it is given; each request got its own.
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  assert.ok(events.some((m) => /^Step 2\/2: training loss=/.test(m)), events.join(' / '));
  const job = server.jobs.get(r.jobId)!;
  assert.equal(r.fineTunedModel, job.fine_tuned_model);
  assert.match(r.fineTunedModel!, /^ft:gpt-4o-mini:tuneshot-test::/);
  assert.equal(r.trainedTokens, server.trainedTokens(job));
  assert.ok(r.trainedTokens! > 0);
  assert.deepEqual(r.reused, { file: false, job: false });
  assert.deepEqual(r.access, { backend: `openai:${r.fineTunedModel}`, backendOptions: { baseURL: server.baseURL, scoring: 'generate' } });

  // The run registry shows it like a local run, without the key.
  const reg = openRegistry(home);
  const run = reg.getRun(r.runId!)!;
  assert.equal(run.kind, 'finetune');
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(run.metrics, {
    remote: 'openai', trainedTokens: r.trainedTokens, baseModel: 'gpt-4o-mini', fineTunedModel: r.fineTunedModel, jobId: r.jobId, modelSpec: `openai:${r.fineTunedModel}`,
  });
  assert.deepEqual(run.artifacts, [path.resolve(out)]);
  assert.ok(!JSON.stringify(run.config).includes('sk-secret'));
  const rec = new RemoteStore(reg).jobsById(r.jobId)[0]!;
  assert.equal(rec.status, 'succeeded');
  assert.equal(rec.fineTunedModel, r.fineTunedModel);
  reg.close();

  // The model card folder.
  const card = readRemoteCard(out);
  assert.equal(card.fineTunedModel, r.fineTunedModel);
  assert.equal(card.jobId, r.jobId);
  assert.equal(card.trainedTokens, r.trainedTokens);
  assert.equal(card.baseModel, 'gpt-4o-mini');
  const prompt = JSON.parse(readFileSync(path.join(out, 'prompt.json'), 'utf8'));
  assert.equal(prompt.backend, `openai:${r.fineTunedModel}`);
  assert.equal(prompt.k, 0);
  assert.match(readFileSync(path.join(out, 'README.md'), 'utf8'), new RegExp(`trained tokens \\| ${r.trainedTokens}`));
});

test('through the ICL scorer as openai:<fine_tuned_model> the model is asked exactly what it was trained on', async () => {
  const out = path.join(fx.dir, 'card-icl');
  const r = await remoteFinetune(base({ out, suffix: 'icl' }));
  const spec = r.access!;
  assert.ok('backend' in spec);
  // The documented way: the backend spec with its options, the result's program, k = 0.
  const lm = await createLanguageModel({ backend: 'openai', model: r.fineTunedModel!, baseURL: server.baseURL, apiKey: server.apiKey });
  const clf = new IclClassifier({ lm, program: r.program });
  const chatsBefore = server.chats.length;
  const seen = await clf.predict(fx.train.slice(0, 4).map((e) => ({ text: e.text })));
  assert.deepEqual(seen.map((p) => p.label), fx.train.slice(0, 4).map((e) => e.label), 'training texts get their training labels');
  const asked = server.chats.slice(chatsBefore);
  assert.equal(asked.length, 4);
  assert.ok(asked.every((c) => c.exact && c.sameSystem), 'system and user messages identical to the training lines');
  // scoring "auto" met OpenAI's 404 for chat models on /completions and fell back to chat.
  assert.equal((lm as OpenAILanguageModel).scoringMode, 'generate');

  // The model folder predicts the same way (what `tuneshot predict --model <folder>` loads).
  process.env.OPENAI_API_KEY = server.apiKey;
  const fromCard = await loadRemoteClassifier(out);
  const preds = await fromCard.predict(fx.test.map((e) => ({ text: e.text })));
  assert.equal(preds.length, fx.test.length);
  const answers = server.chats.slice(-fx.test.length).map((c) => c.answer);
  assert.deepEqual(preds.map((p) => p.label), answers, 'each prediction is the fine-tuned model\'s answer');
  for (const p of preds) assert.ok(Math.abs(p.probs['ham']! + p.probs['spam']! - 1) < 1e-9);
  await fromCard.dispose?.();
});

test('a second run with the same data reuses the uploaded file and the finished job', async () => {
  const home = newHome();
  const files = server.count('POST', /^\/v1\/files$/), jobs = server.count('POST', /^\/v1\/fine_tuning\/jobs$/);
  const first = await remoteFinetune(base({ home, hyperparameters: { n_epochs: 1 } }));
  const again = await remoteFinetune(base({ home, hyperparameters: { n_epochs: 1, batch_size: 'auto' }, out: path.join(fx.dir, 'card-reused') }));
  assert.equal(again.jobId, first.jobId);
  assert.equal(again.fineTunedModel, first.fineTunedModel);
  assert.deepEqual(again.reused, { file: false, job: true });
  assert.equal(server.count('POST', /^\/v1\/files$/), files + 1, 'one upload');
  assert.equal(server.count('POST', /^\/v1\/fine_tuning\/jobs$/), jobs + 1, 'one job');
  assert.equal(readRemoteCard(path.join(fx.dir, 'card-reused')).jobId, first.jobId);
  // Other hyperparameters: a new job, but the same file (content hash) is not uploaded again.
  const other = await remoteFinetune(base({ home, hyperparameters: { n_epochs: 2 } }));
  assert.notEqual(other.jobId, first.jobId);
  assert.deepEqual(other.reused, { file: true, job: false });
  assert.equal(server.count('POST', /^\/v1\/files$/), files + 1, 'still one upload');
  assert.equal(server.jobs.get(other.jobId)!.training_file, server.jobs.get(first.jobId)!.training_file);
  // Both runs are in the registry.
  const reg = openRegistry(home);
  assert.equal(reg.listRuns({ kind: 'finetune', status: 'succeeded' }).length, 3);
  reg.close();
});

test('429 with Retry-After and a 500 are retried by the client, once each, after the wait asked for', async () => {
  server.faults.push({ method: 'POST', path: /^\/v1\/files$/, status: 429, headers: { 'retry-after': '1' } });
  server.faults.push({ method: 'GET', path: /^\/v1\/fine_tuning\/jobs\/[^/]+$/, status: 500 });
  const start = server.requests.length;
  const r = await remoteFinetune(base({ train: fx.train.slice(1).concat(fx.train[0]!) }));
  assert.ok(r.fineTunedModel);
  const log = server.requests.slice(start);
  const uploads = log.filter((q) => q.method === 'POST' && q.path === '/v1/files');
  assert.deepEqual(uploads.map((q) => q.status), [429, 200]);
  assert.ok(uploads[1]!.at - uploads[0]!.at >= 950, `waited ${uploads[1]!.at - uploads[0]!.at} ms for Retry-After: 1`);
  const polls = log.filter((q) => q.method === 'GET' && /^\/v1\/fine_tuning\/jobs\/[^/]+$/.test(q.path));
  assert.deepEqual(polls.slice(0, 2).map((q) => q.status), [500, 200]);
  assert.equal(server.faults.filter((f) => (f.times ?? 1) > 0).length, 0);
});

test('a failed job surfaces the provider\'s error message and marks the run failed', async () => {
  const home = newHome();
  server.nextFailure = { code: 'invalid_training_file', message: 'Example 3 has 70000 tokens, more than the 65536 allowed for gpt-4o-mini' };
  await assert.rejects(
    remoteFinetune(base({ home, suffix: 'fails', out: path.join(fx.dir, 'card-failed') })),
    (e: unknown) => e instanceof RemoteJobError && /failed: Example 3 has 70000 tokens, more than the 65536 allowed for gpt-4o-mini \(invalid_training_file\)/.test(e.message),
  );
  assert.ok(!existsSync(path.join(fx.dir, 'card-failed')), 'no model folder');
  const reg = openRegistry(home);
  const [run] = reg.listRuns();
  assert.equal(run!.status, 'failed');
  assert.match(String(run!.metrics['error']), /65536 allowed/);
  reg.close();
});

test('cancel: a running job is cancelled, following it ends with "cancelled", the run says so', async () => {
  const home = newHome();
  server.hold = true;
  try {
    const r = await remoteFinetune(base({ home, suffix: 'cancel', follow: false }));
    assert.equal(r.fineTunedModel, null);
    for (let i = 0; i < 4; i++) await openai().getJob(r.jobId); // → running, parked there
    assert.equal(server.jobs.get(r.jobId)!.status, 'running');
    process.env.OPENAI_API_KEY = server.apiKey;
    const c = await cancelRemoteJob(r.jobId, { home });
    assert.equal(c.status, 'cancelled');
    assert.equal(server.jobs.get(r.jobId)!.status, 'cancelled');
    await assert.rejects(followRemoteJob(r.jobId, { home, pollIntervalMs: 5, quiet: true }), /cancelled/);
    const reg = openRegistry(home);
    assert.equal(reg.getRun(r.runId!)!.status, 'cancelled');
    reg.close();
  } finally {
    server.hold = false;
  }
});

test('bad input fails before anything is sent, with one-line errors', async () => {
  const n = server.requests.length;
  await assert.rejects(remoteFinetune(base({ train: fx.train.slice(0, 9), sources: { train: 'train.jsonl' } })),
    { message: 'train.jsonl: 9 training examples; openai fine-tuning needs at least 10' });
  await assert.rejects(remoteFinetune(base({ train: [...fx.train, { text: 'free eggs', label: 'eggs' }] })),
    { message: 'training data: training example 13: label "eggs" is not in the label set ["ham","spam"]' });
  await assert.rejects(remoteFinetune(base({ dev: [{ text: '   ', label: 'ham' }] })), { message: 'validation data: validation example 1: empty text' });
  await assert.rejects(remoteFinetune(base({ hyperparameters: { n_epochs: 0 } })), /n_epochs must be an integer from 1 to 50/);
  await assert.rejects(remoteFinetune(base({ hyperparameters: { learning_rate_multiplier: -1 } })), /learning_rate_multiplier must be a number/);
  await assert.rejects(remoteFinetune(base({ suffix: 'has space' })), /suffix must be/);
  await assert.rejects(remoteFinetune(base({ base: 'gpt-4o-mini' })), /must look like "<provider>:<model>"/);
  const taken = path.join(fx.dir, 'not-a-card');
  mkdirSync(taken, { recursive: true });
  writeFileSync(path.join(taken, 'notes.txt'), 'mine');
  await assert.rejects(remoteFinetune(base({ out: taken })), /not-a-card: the folder exists and is not a tuneshot output/);
  assert.equal(readFileSync(path.join(taken, 'notes.txt'), 'utf8'), 'mine');
  assert.equal(server.requests.length, n, 'no request reached the server');
});

test('Azure: api-version on every request, the key in an api-key header; the card says to deploy first', async () => {
  const out = path.join(fx.dir, 'card-azure');
  const start = server.requests.length;
  const ft = new AzureFinetuner({ endpoint: server.url, apiVersion: '2024-10-21', apiKey: server.azureKey });
  assert.equal(ft.endpoint, `${server.url}/openai`);
  const r = await remoteFinetune(base({ base: 'azure:gpt-4o-mini', finetuner: ft, out, suffix: 'az' }));
  assert.match(r.fineTunedModel!, /^ft:gpt-4o-mini:/);
  const log = server.requests.slice(start);
  assert.ok(log.length >= 7);
  assert.ok(log.every((q) => q.apiVersion === '2024-10-21' && q.auth === 'api-key' && q.status === 200), JSON.stringify(log));
  assert.equal(readRemoteCard(out).settings['apiVersion'], '2024-10-21');
  await assert.rejects(loadRemoteClassifier(out), /Azure serves a fine-tuned model only through a deployment/);
  // A wrong key is the provider's one-line error.
  const bad = new AzureFinetuner({ endpoint: server.url, apiVersion: '2024-10-21', apiKey: 'wrong' });
  await assert.rejects(bad.listJobs(5), /HTTP 401: Access denied due to invalid subscription key\./);
});

test('a registry made before remote fine-tuning existed migrates and keeps its runs', () => {
  const home = newHome();
  const db = new Database(path.join(home, 'registry.sqlite'));
  db.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
    CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL CHECK (kind IN ('pretrain','finetune','icl','compare')),
      config TEXT NOT NULL, input_hash TEXT NOT NULL, metrics TEXT NOT NULL DEFAULT '{}', artifacts TEXT NOT NULL DEFAULT '[]',
      status TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','cancelled')), created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE INDEX runs_kind ON runs(kind); CREATE INDEX runs_input_hash ON runs(input_hash);
    INSERT INTO schema_migrations VALUES (1, '2025-01-01T00:00:00.000Z');
    INSERT INTO runs (kind, config, input_hash, status, created_at, updated_at) VALUES ('icl', '{"k":4}', 'abc', 'succeeded', '2025-01-01', '2025-01-01');`);
  db.close();
  const reg = openRegistry(home);
  assert.equal(reg.schemaVersion(), SCHEMA_VERSION);
  assert.ok(SCHEMA_VERSION >= 2);
  assert.deepEqual(reg.getRun(1)!.config, { k: 4 });
  const store = new RemoteStore(reg);
  store.recordFile('openai', 'http://x/v1', 'h', { fileId: 'file-1', bytes: 10 });
  assert.deepEqual(store.findFile('openai', 'http://x/v1', 'h'), { fileId: 'file-1', bytes: 10 });
  assert.equal(store.findFile('openai', 'http://y/v1', 'h'), undefined, 'file ids are per endpoint');
  reg.close();
});
