// The remote fine-tuning CLI against the local fine-tuning jobs API server, with a temporary
// TUNESHOT_HOME: finetune --remote follows a job to its model id, predict uses the model folder, a
// rerun reuses file and job, runs/jobs list it, Ctrl-C detaches and `jobs follow` finishes, a
// failed job's message and bad input reach the user in one line, and `jobs cancel` cancels.
// Progress on a pipe and Ctrl-C run in real child processes; the other commands go through the
// same main() in this process (a child costs seconds of CPU to start, on 2 shared cores).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { format, promisify } from 'node:util';
import { FakeOpenAI } from '../fixtures/fake-openai.js';
import { main } from '../../src/cli/main.js';
import { makeRemoteFixture, writeJsonl, type RemoteFixture } from '../fixtures/spam-splits.js';

const run = promisify(execFile);
let server: FakeOpenAI;
let fx: RemoteFixture;
let env: NodeJS.ProcessEnv;
const args = ['--import', 'tsx', 'src/cli/run.ts'];
const child = (...a: string[]) => run('node', [...args, ...a], { env, encoding: 'utf8' });

/** `tuneshot <a...>` through main() in this process: its stdout, stderr and the error it ended with (as run.ts prints it). */
async function cli(...a: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await inProcess(a);
  if (r.error) throw Object.assign(new Error(r.error), { stderr: `tuneshot: ${r.error}\n`, code: 1 });
  return r;
}
async function fails(...a: string[]): Promise<{ code: number; stderr: string }> {
  const r = await inProcess(a);
  if (!r.error) throw new Error(`expected failure: ${a.join(' ')}`);
  return { code: 1, stderr: `${r.stderr}tuneshot: ${r.error}\n` };
}
async function inProcess(a: string[]): Promise<{ stdout: string; stderr: string; error?: string }> {
  // Only console.log is captured: the test runner reports through process.stdout itself. Every
  // in-process command here runs without progress output (--quiet or none to show).
  const log = console.log;
  let stdout = '';
  console.log = (...xs: unknown[]) => { stdout += `${format(...xs)}\n`; };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await main(['node', 'tuneshot', ...a]);
    return { stdout, stderr: '' };
  } catch (e) {
    return { stdout, stderr: '', error: (e as Error).message };
  } finally {
    console.log = log;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

before(async () => {
  server = await new FakeOpenAI().start();
  fx = makeRemoteFixture();
  env = { ...process.env, TUNESHOT_HOME: mkdtempSync(path.join(tmpdir(), 'tuneshot-remote-cli-')), OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: server.apiKey };
});
after(() => server.close());

test('finetune --remote follows the job to its model id; predict, runs, jobs and a rerun that reuses it', { timeout: 120_000 }, async () => {
  const card = path.join(fx.dir, 'spam-remote');
  const common = ['finetune', '--remote', 'openai', '--model', 'gpt-4o-mini', '--train', fx.trainFile, '--dev', fx.devFile, '--epochs', '2', '--suffix', 'cli', '--out', card, '--poll-interval', '0.02'];
  const ft = await child(...common);
  const job = [...server.jobs.values()].at(-1)!;
  // Progress on a pipe: a line a status, one an event, in order.
  const lines = ft.stderr.trim().split('\n');
  const status = (s: string) => lines.findIndex((l) => l.startsWith(`${job.id}: ${s}`));
  assert.ok(status('validating_files') >= 0 && status('validating_files') < status('queued') && status('queued') < status('running') && status('running') < status('succeeded'), ft.stderr);
  assert.ok(lines.includes(`${job.id}: Step 2/2: training loss=0.40`), ft.stderr);
  assert.ok(lines.includes(`${job.id}: succeeded, trained tokens ${job.trained_tokens}`), ft.stderr);
  assert.equal(ft.stdout.trim(), `${card}: openai fine-tuned gpt-4o-mini in job ${job.id}, ${job.trained_tokens} trained tokens, labels ham, spam; ` +
    `model ${job.fine_tuned_model}; use it as openai:${job.fine_tuned_model}`);
  assert.match(job.fine_tuned_model!, /^ft:gpt-4o-mini:tuneshot-test:cli:/);
  assert.equal(job.hyperparameters['n_epochs'], 2);

  const preds = path.join(fx.dir, 'preds.jsonl');
  const p = await cli('predict', '--model', card, '--data', fx.testFile, '--out', preds, '--quiet');
  const ls = await cli('runs', 'ls');
  const jobsLs = await cli('jobs', 'ls');
  const rerun = await cli(...common, '--quiet');
  assert.match(p.stdout, new RegExp(`${preds}: ${fx.test.length} predictions \\(ham, spam\\); on ${fx.test.length} labelled: accuracy \\d+\\.\\d\\d%`));
  const rows = readFileSync(preds, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { label: string; gold: string });
  assert.equal(rows.length, fx.test.length);
  const answered = server.chats.filter((c) => c.model === job.fine_tuned_model).slice(-fx.test.length).map((c) => c.answer);
  assert.deepEqual(rows.map((r) => r.label).sort(), answered.sort(), 'predictions are the fine-tuned model\'s answers');

  assert.match(ls.stdout, /^1\s+finetune\s+succeeded\s+.*remote=openai trainedTokens=\d+ baseModel=gpt-4o-mini/m);
  assert.ok(ls.stdout.includes(card));
  assert.match(jobsLs.stdout, new RegExp(`^${job.id}\\s+succeeded\\s+gpt-4o-mini\\s+${job.fine_tuned_model!.replace(/[.]/g, '\\.')}\\s+${job.trained_tokens}\\s+\\S+ \\S+\\s+1$`, 'm'));

  // The rerun reused the finished job: no second upload, no second job.
  assert.match(rerun.stdout, new RegExp(`in job ${job.id} \\(finished job reused\\)`));
  assert.equal(server.count('POST', /^\/v1\/files$/), 2, 'train and dev uploaded once');
  assert.equal(server.count('POST', /^\/v1\/fine_tuning\/jobs$/), 1);

  const show = JSON.parse((await cli('jobs', 'show', job.id, '--events', '3')).stdout);
  assert.equal(show.id, job.id);
  assert.equal(show.status, 'succeeded');
  assert.equal(show.runId, 2, 'the rerun follows the reused job now');
  assert.deepEqual(show.events.map((e: { message: string }) => e.message), ['The job has successfully completed', `New fine-tuned model created: ${job.fine_tuned_model}`, 'Step 2/2: training loss=0.40']);
});

test('Ctrl-C detaches and prints how to follow; jobs follow finishes the run and writes the model folder', { timeout: 120_000 }, async () => {
  const card = path.join(fx.dir, 'detached');
  server.hold = true;
  const child = spawn('node', [...args, 'finetune', '--remote', 'openai', '--model', 'gpt-4o-mini', '--train', fx.trainFile, '--suffix', 'ctrlc', '--out', card, '--poll-interval', '0.02'], { env });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/: running\n/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    child.on('exit', (c) => resolve(c));
  });
  const job = [...server.jobs.values()].find((j) => j.suffix === 'ctrlc')!;
  assert.equal(code, 130, stderr);
  assert.ok(stderr.includes(`detached from job ${job.id}; it keeps running. Follow it again with: tuneshot jobs follow ${job.id}`), stderr);
  assert.equal(job.status, 'running', 'the job was left alone');
  assert.equal(stdout, '');
  assert.ok(!existsSync(card));

  server.hold = false;
  const f = await cli('jobs', 'follow', job.id, '--poll-interval', '0.02', '--quiet');
  assert.equal(f.stdout.trim(), `job ${job.id} succeeded: model ${job.fine_tuned_model}, ${job.trained_tokens} trained tokens, model folder ${card}; use it as openai:${job.fine_tuned_model}`);
  assert.ok(existsSync(path.join(card, 'prompt.json')));
  const runs = JSON.parse((await cli('runs', 'ls', '--kind', 'finetune', '--json')).stdout) as { status: string; metrics: Record<string, unknown> }[];
  const r = runs.find((x) => x.metrics['jobId'] === job.id)!;
  assert.equal(r.status, 'succeeded');
  assert.equal(r.metrics['fineTunedModel'], job.fine_tuned_model);
});

test('a failed job\'s message, bad input and misplaced options reach the user in one line; jobs cancel cancels', { timeout: 120_000 }, async () => {
  server.nextFailure = { code: 'invalid_training_file', message: 'Example 4: messages must alternate between user and assistant' };
  const nine = writeJsonl(path.join(fx.dir, 'nine.jsonl'), fx.train.slice(0, 9));
  const eggs = writeJsonl(path.join(fx.dir, 'eggs.jsonl'), [...fx.train, { text: 'free eggs', label: 'eggs' }]);
  const requests = () => server.requests.length;
  const r0 = requests();
  const failed = await fails('finetune', '--remote', 'openai', '--model', 'gpt-4o-mini', '--train', fx.trainFile, '--suffix', 'fail', '--out', path.join(fx.dir, 'f'), '--poll-interval', '0.02', '--quiet');
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^tuneshot: job ftjob-\w+ failed: Example 4: messages must alternate between user and assistant \(invalid_training_file\)\n$/);
  assert.ok(requests() > r0);

  const n = requests();
  const bad = [
    await fails('finetune', '--remote', 'openai', '--model', 'gpt-4o-mini', '--train', nine, '--out', path.join(fx.dir, 'g')),
    await fails('finetune', '--remote', 'openai', '--model', 'gpt-4o-mini', '--train', eggs, '--labels', 'ham,spam', '--out', path.join(fx.dir, 'g')),
    await fails('finetune', '--remote', 'openai', '--model', 'gpt-4o-mini', '--train', fx.trainFile, '--lr', '0.1', '--out', path.join(fx.dir, 'g')),
    await fails('finetune', '--model', 'tuneshot-base-encoder', '--train', fx.trainFile, '--suffix', 'x', '--out', path.join(fx.dir, 'g')),
    await fails('finetune', '--remote', 'openai', '--model', 'gpt-4o-mini', '--train', fx.trainFile, '--poll-interval', '0', '--out', path.join(fx.dir, 'g')),
  ];
  assert.deepEqual(bad.map((b) => b.stderr), [
    `tuneshot: ${nine}: 9 training examples; openai fine-tuning needs at least 10\n`,
    `tuneshot: ${eggs}:13: field "label": label "eggs" is not in the label set ["ham","spam"]\n`,
    'tuneshot: --lr (use --lr-multiplier) does not apply to --remote fine-tuning\n',
    'tuneshot: --suffix needs --remote\n',
    'tuneshot: --poll-interval must be seconds in (0, 3600], got "0"\n',
  ]);
  assert.equal(requests(), n, 'nothing was sent');

  server.hold = true;
  try {
    const d = await cli('finetune', '--remote', 'openai', '--model', 'gpt-4o-mini', '--train', fx.trainFile, '--suffix', 'cancel', '--out', path.join(fx.dir, 'c'), '--detach');
    const job = [...server.jobs.values()].find((j) => j.suffix === 'cancel')!;
    assert.equal(d.stdout.trim(), `job ${job.id} validating_files (training file reused); follow it with: tuneshot jobs follow ${job.id}`);
    assert.equal((await cli('jobs', 'cancel', job.id)).stdout.trim(), `job ${job.id}: cancelled`);
    assert.equal(job.status, 'cancelled');
    const again = await fails('jobs', 'follow', job.id, '--poll-interval', '0.02', '--quiet');
    assert.equal(again.stderr, `tuneshot: job ${job.id} cancelled\n`);
    const cancelAgain = await fails('jobs', 'cancel', job.id);
    assert.match(cancelAgain.stderr, /^tuneshot: http:\/\/127\.0\.0\.1:\d+\/v1: HTTP 400: Job ftjob-\w+ has already completed and cannot be cancelled\.\n$/);
  } finally {
    server.hold = false;
  }
});
