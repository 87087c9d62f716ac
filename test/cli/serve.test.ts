// The CLI as users run it, as real child processes (src/cli/run.ts under tsx, no build needed):
// `tuneshot finetune` (head-only, on a tiny encoder pre-trained here on the shipped spam data),
// `tuneshot predict`, and `tuneshot serve` answering the official OpenAI client and fetch on
// /v1/models and /v1/classify, then shutting down cleanly on SIGTERM. Also: finetune's data
// errors name the file and line, and write nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import OpenAI from 'openai';
import { builtinDataset } from '../../src/data/builtin.js';
import { pretrain } from '../../src/train/pretrain.js';
import { CLI, runCli, type Ran } from '../fixtures/run-cli.js';

// CLI runs record themselves in the run registry: keep the tests' runs out of the user's ~/.tuneshot.
const TEST_ENV = { ...process.env, TUNESHOT_HOME: mkdtempSync(path.join(tmpdir(), 'tuneshot-home-')) };
let dir = '';
let slice = '';
let clf = '';

const run = (args: string[], timeoutMs = 60_000): Promise<Ran> => runCli(args, { env: TEST_ENV, timeoutMs });

function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, [...CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: TEST_ENV });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve did not start:\n${out}`)); }, 90_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)[^]*\nbatching: /.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1]!, out: () => out }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}:\n${out}`)); });
  });
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-cli-'));
  const spam = builtinDataset('spam');
  const rows = readFileSync(spam.train, 'utf8').split('\n').filter((l) => l.trim() !== '');
  slice = path.join(dir, 'spam-slice.jsonl');
  writeFileSync(slice, rows.slice(0, 80).join('\n') + '\n');
  // A tiny encoder of our own (the embedded one may not be there on a fresh clone).
  await pretrain({
    objective: 'mlm', corpus: [spam.train], out: path.join(dir, 'enc'), size: 'bert-nano', vocabSize: 512, seqLen: 64,
    batchSize: 8, steps: 20, checkpointEvery: 1000, quiet: true, seed: 1,
  });
  clf = path.join(dir, 'spam-clf');
  const r = await run(['finetune', '--model', path.join(dir, 'enc'), '--train', slice, '--method', 'head', '--max-steps', '6',
    '--batch-size', '16', '--max-length', '64', '--out', clf, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /head classify, 6 steps/);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('tuneshot finetune writes a classifier folder; predict writes JSONL probabilities', async () => {
  const cfg = JSON.parse(readFileSync(path.join(clf, 'config.json'), 'utf8'));
  assert.deepEqual(Object.values(cfg.id2label).sort(), ['ham', 'spam']);
  const preds = path.join(dir, 'preds.jsonl');
  const r = await run(['predict', '--model', clf, '--data', builtinDataset('spam').test, '--out', preds, '--batch-size', '64', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(preds, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 300);
  for (const [i, p] of lines.entries()) {
    assert.equal(p.index, i);
    assert.ok(['ham', 'spam'].includes(p.label));
    assert.ok(Math.abs(p.probs.ham + p.probs.spam - 1) < 1e-5);
    assert.equal(p.label, p.probs.spam > p.probs.ham ? 'spam' : 'ham');
  }
  assert.match(r.stdout, /300 predictions .* accuracy/);
});

test('tuneshot serve: OpenAI client on /v1/models and /v1/classify, auth, clean SIGTERM shutdown', { timeout: 180_000 }, async () => {
  const s = await startServe(['--model', `spam=${clf}`, '--port', '0', '--api-key', 'sk-test', '--max-batch', '8']);
  try {
    assert.match(s.out(), /spam\s+classifier/);
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'sk-test' });
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    assert.deepEqual(models.map((m) => m.id), ['spam']);
    assert.deepEqual((models[0] as unknown as { labels: string[] }).labels, ['ham', 'spam']);

    const inputs = ['WIN a FREE prize now, click here!!!', 'Hi Bob, the meeting moved to 3pm tomorrow.'];
    const res = await client.post<{ labels: string[]; data: { index: number; label: string; probs: Record<string, number> }[] }>('/classify', { body: { model: 'spam', input: inputs } });
    assert.deepEqual(res.labels, ['ham', 'spam']);
    assert.equal(res.data.length, 2);
    for (const d of res.data) assert.ok(Math.abs(d.probs['ham']! + d.probs['spam']! - 1) < 1e-5);

    // Concurrent single-input requests (dynamic batching) agree with one batched request.
    const single = await Promise.all(inputs.map((input) => client.post<typeof res>('/classify', { body: { model: 'spam', input } })));
    single.forEach((r, i) => assert.ok(Math.abs(r.data[0]!.probs['spam']! - res.data[i]!.probs['spam']!) < 1e-4));

    const noKey = await fetch(`${s.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'spam', input: 'x' }) });
    assert.equal(noKey.status, 401);
    const unknown = await fetch(`${s.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' }, body: JSON.stringify({ model: 'nope', input: 'x' }) });
    assert.equal(unknown.status, 404);
  } catch (e) {
    s.child.kill('SIGKILL');
    throw e;
  }
  const exited = new Promise<number | null>((r) => s.child.once('exit', (code) => r(code)));
  s.child.kill('SIGTERM');
  assert.equal(await exited, 0, s.out());
  assert.match(s.out(), /SIGTERM, finishing in-flight requests\n[^]*stopped/);
});

test('tuneshot serve streams the embedded LM token by token; a client that leaves frees its slot', { timeout: 180_000 }, async () => {
  const s = await startServe(['--model', 'lm=tuneshot-base-lm', '--port', '0', '--queue-limit', '1']);
  const depth = async () => Number(/tuneshot_queue_depth (\d+)/.exec(await (await fetch(`${s.url}/metrics`)).text())![1]);
  try {
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.completions.create({ model: 'lm', prompt: 'Once upon a time', max_tokens: 200, temperature: 0, stream: true });
    let chunks = 0;
    let depthAtFirst = -1;
    for await (const chunk of stream) {
      if (!chunk.choices[0]?.text) continue;
      if (++chunks === 1) depthAtFirst = await depth();
      if (chunks === 3) break;
    }
    assert.equal(depthAtFirst, 1, 'the first chunk arrived while the request was still generating');
    for (let i = 0; (await depth()) > 0; i++) {
      assert.ok(i < 200, 'the slot of the abandoned stream was not freed');
      await new Promise((r) => setTimeout(r, 10));
    }
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /tuneshot_cancelled_total\{reason="client_closed"\} 1/);
    // --queue-limit 1: the slot is free again; an empty prompt generates from BOS.
    const c = await client.completions.create({ model: 'lm', prompt: '', max_tokens: 4, temperature: 0 });
    assert.equal(c.usage!.prompt_tokens, 1);
    assert.equal(c.usage!.completion_tokens, 4);
  } finally {
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGTERM');
    await exited;
  }
});

test('tuneshot serve refuses an encoder without a classification head and a missing model', async () => {
  const r = await run(['serve', '--model', path.join(dir, 'enc'), '--port', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /encoder without a classification head/);
  const missing = await run(['serve', '--model', path.join(dir, 'no-such-model'), '--port', '0']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not found/);
});

test('tuneshot finetune: a bad training row fails naming file and line, and writes no output', async () => {
  const good = readFileSync(slice, 'utf8').trim().split('\n');
  const cases: Array<{ name: string; line: string; expect: RegExp }> = [
    { name: 'missing-label', line: JSON.stringify({ text: 'no label here' }), expect: /field "label": missing/ },
    { name: 'malformed', line: '{"text": "broken", "label": "ham"', expect: /malformed JSON/ },
  ];
  for (const c of cases) {
    const file = path.join(dir, `${c.name}.jsonl`);
    writeFileSync(file, [good[0], good[1], c.line, good[2]].join('\n') + '\n');
    const out = path.join(dir, `out-${c.name}`);
    const r = await run(['finetune', '--model', path.join(dir, 'enc'), '--train', file, '--method', 'head', '--out', out, '--quiet']);
    assert.equal(r.code, 1, r.stdout);
    assert.ok(r.stderr.includes(`${file}:3:`), r.stderr);
    assert.match(r.stderr, c.expect);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(`${out}.work`), false);
  }
});
