// `tuneshot compare --ft-remote openai:<base>` from the command line, against the local fine-tuning
// jobs API server (127.0.0.1 only) with a temporary TUNESHOT_HOME, through the same main() the
// entry point runs, in this process: a run trains, prices and reports the arm, a rerun reuses the
// jobs, `advise` reads the results; and a careless user's mistakes (a bad spec, Azure, no key, the
// server down, remote options without --ft-remote, out-of-range numbers) each end in one line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { format, promisify } from 'node:util';
import { FakeOpenAI } from '../fixtures/fake-openai.js';
import { writeJsonl } from '../fixtures/spam-splits.js';
import { main } from '../../src/cli/main.js';
import { loadExamples, type Example } from '../../src/data/dataset.js';
import { readResults } from '../../src/eval/read.js';

const run = promisify(execFile);
let server: FakeOpenAI;
let dir: string;
let env: Record<string, string>;
let trainFile: string;
let testFile: string;

const balanced = (xs: Example[], n: number) => ['ham', 'spam'].flatMap((l) => xs.filter((e) => e.label === l).slice(0, n)).map((e) => ({ ...e, text: e.text.slice(0, 300) }));

before(async () => {
  server = await new FakeOpenAI().start();
  dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-compare-remote-cli-'));
  trainFile = writeJsonl(path.join(dir, 'train.jsonl'), balanced(loadExamples('datasets/spam/train.jsonl', { task: 'classify' }).examples, 8));
  testFile = writeJsonl(path.join(dir, 'test.jsonl'), balanced(loadExamples('datasets/spam/test.jsonl', { task: 'classify' }).examples, 10));
  env = { TUNESHOT_HOME: path.join(dir, 'home'), OPENAI_API_KEY: server.apiKey };
});
after(() => server.close());

/** `tuneshot <a...>` in this process with `env` set (and `unset` removed): what it logged, and the error it ended with. */
async function tuneshot(a: string[], unset: string[] = []): Promise<{ stdout: string; error?: string }> {
  const log = console.log;
  let stdout = '';
  console.log = (...xs: unknown[]) => { stdout += `${format(...xs)}\n`; };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const k of unset) delete process.env[k];
  try {
    await main(['node', 'tuneshot', ...a]);
    return { stdout };
  } catch (e) {
    return { stdout, error: (e as Error).message };
  } finally {
    console.log = log;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const compareArgs = (out: string, ...more: string[]) => [
  'compare', '--train', trainFile, '--test', testFile, '--ft-remote', 'openai:gpt-4o-mini', '--budgets', '8', '--seeds', '1',
  '--base-url', server.baseURL, '--poll-interval', '0.005', '--remote-epochs', '2', '--suffix', 'cmp',
  '--price', 'ft-remote=0.0006', '--train-price', 'ft-remote=3', '--out', path.join(dir, out), '--quiet', ...more,
];

test('compare --ft-remote trains, prices and reports the arm; a rerun reuses the job; advise reads it', { timeout: 120_000 }, async () => {
  const jobs0 = server.count('POST', /^\/v1\/fine_tuning\/jobs$/);
  const r = await tuneshot(compareArgs('run1'));
  assert.equal(r.error, undefined, r.error);
  assert.match(r.stdout, /^3 cells \(3 computed, 0 reused\), run \d+$/m);
  assert.match(r.stdout, /^remote fine-tuning: 1 jobs trained, 0 finished jobs reused \(models in .*run1\/results\.json\)$/m);
  assert.equal(server.count('POST', /^\/v1\/fine_tuning\/jobs$/), jobs0 + 1);
  const job = [...server.jobs.values()].at(-1)!;
  assert.equal(job.suffix, 'cmp');
  assert.equal(job.hyperparameters['n_epochs'], 2);
  const results = readResults(path.join(dir, 'run1', 'results.json'));
  const cell = results.cells.find((c) => c.arm === 'ft-remote:openai:gpt-4o-mini')!;
  assert.equal(cell.remoteJob!.fineTunedModel, job.fine_tuned_model);
  assert.ok(Math.abs(cell.oneOffCostUsd! - (job.trained_tokens! * 3) / 1e6) < 1e-12);
  assert.ok(cell.costPer1kQueriesUsd! > 0);
  assert.ok(!readFileSync(path.join(dir, 'run1', 'results.json'), 'utf8').includes(server.apiKey), 'no key in the results');
  assert.match(readFileSync(path.join(dir, 'run1', 'report.html'), 'utf8'), new RegExp(`<td>${job.id}</td><td>${job.fine_tuned_model}</td>`));

  const again = await tuneshot(compareArgs('run2'));
  assert.equal(again.error, undefined, again.error);
  assert.match(again.stdout, /^remote fine-tuning: 0 jobs trained, 1 finished jobs reused/m);
  assert.equal(server.count('POST', /^\/v1\/fine_tuning\/jobs$/), jobs0 + 1, 'no second job');

  // advise prints through process.stdout, which the test runner reports on: a child process.
  const a = await run('node', ['--import', 'tsx', 'src/cli/run.ts', 'advise', '--results', path.join(dir, 'run2', 'results.json'), '--queries-per-day', '1000'], { encoding: 'utf8' });
  assert.match(a.stdout, /^Recommendation: /m);
  // The remote arm is weighed like a fine-tuned one (20 test texts: here no better than the majority baseline, so it says what to try).
  assert.match(a.stdout, /remote FT gpt-4o-mini \(ft-remote:openai:gpt-4o-mini\)|fine-tuned ft-remote:openai:gpt-4o-mini|ft-remote:openai:gpt-4o-mini at 8\/class/);
});

test('a careless user: every mistake is one line naming what to fix', { timeout: 60_000 }, async () => {
  const jobs0 = server.count('POST', /^\/v1\/fine_tuning\/jobs$/);
  const cases: Array<[string[], RegExp, string[]?]> = [
    [['compare', '--train', trainFile, '--test', testFile, '--ft-remote', 'foo', '--out', path.join(dir, 'x1')],
      /option '--ft-remote <provider:model...>' argument 'foo' is invalid\. A remote base model looks like "<provider>:<model>" \(e\.g\. openai:gpt-4o-mini\), got "foo"/],
    [['compare', '--train', trainFile, '--test', testFile, '--ft-remote', 'hf:llama', '--out', path.join(dir, 'x2')], /Unknown remote provider "hf" in "hf:llama" \(known: azure, openai\)/],
    [['compare', '--train', trainFile, '--test', testFile, '--ft-remote', 'azure:gpt-4o-mini', '--out', path.join(dir, 'x3')], /Azure serves a fine-tuned model only through a deployment you create, so compare cannot score it/],
    [['compare', '--train', trainFile, '--test', testFile, '--icl', 'openai:gpt-4o-mini', '--suffix', 'x', '--out', path.join(dir, 'x4')], /^--suffix needs --ft-remote$/],
    [['compare', '--train', trainFile, '--test', testFile, '--icl', 'openai:gpt-4o-mini', '--train-price', 'openai=3', '--out', path.join(dir, 'x5')], /^--train-price needs --ft-remote$/],
    [compareArgs('x6', '--remote-epochs', '0'), /'--remote-epochs <n>' argument '0' is invalid\. Expected an integer from 1 to 50/],
    [compareArgs('x7', '--train-price', 'ft-remote'), /'--train-price <key=usd>' argument 'ft-remote' is invalid\. Expected <ft-remote\|provider\|provider:model\|arm id>=<USD per 1M trained tokens/],
    [compareArgs('x8', '--poll-interval', '0'), /^--poll-interval must be seconds in \(0, 3600\], got "0"$/],
    [compareArgs('x9', '--suffix', 'has space'), /^compare: remote\.suffix must be 1 to 64 letters, digits/],
    [compareArgs('x10'), /^ft-remote:openai:gpt-4o-mini: no API key: set OPENAI_API_KEY or give --api-key$/, ['OPENAI_API_KEY']],
    [compareArgs('x11', '--api-key', 'sk-wrong'), /^ft-remote:openai:gpt-4o-mini: http:\/\/127\.0\.0\.1:\d+\/v1: HTTP 401: Incorrect API key provided\.$/],
    [[...compareArgs('x12'), '--base-url', 'http://127.0.0.1:9/v1', '--max-retries', '0'], /^ft-remote:openai:gpt-4o-mini: cannot reach http:\/\/127\.0\.0\.1:9\/v1: Connection error\./],
    [[...compareArgs('x13'), '--base-url', 'localhost:8080'], /^--base-url must be an http\(s\) URL, got "localhost:8080"$/],
  ];
  for (const [args, expected, unset] of cases) {
    const r = await tuneshot(args, unset);
    assert.ok(r.error, `expected a failure: ${args.join(' ')}`);
    assert.match(r.error!, expected, args.join(' '));
    assert.ok(!r.error!.trim().includes('\n'), `one line: ${r.error}`);
  }
  assert.equal(server.count('POST', /^\/v1\/fine_tuning\/jobs$/), jobs0, 'no mistake started a job');
});
