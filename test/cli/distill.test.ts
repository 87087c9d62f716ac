// `tuneshot distill` as a user runs it (a real child process), with `tuneshot serve`'s server as an
// OpenAI-compatible teacher over HTTP on 127.0.0.1 (the fixture teacher behind it): the official
// client path scores labels with echo + logprobs, the student lands in <out>/student, and the
// summary is printed. Bad options and pools fail with one clear line and no stack trace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { serve, type RunningServer } from '../../src/serve/server.js';
import { loadClassifier } from '../../src/train/adapted.js';
import { teacherLM, toyTask } from '../fixtures/toy-sentiment-task.js';

const KEY = 'distill-test-key';
const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-distill-cli-'));
const env = { ...process.env, TUNESHOT_HOME: path.join(dir, 'home') };
const teacher = teacherLM();
let srv: RunningServer;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out: ${args.join(' ')}\n${stdout}\n${stderr}`)); }, 170_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const jsonl = (name: string, rows: unknown[]) => {
  const f = path.join(dir, name);
  writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return f;
};

before(async () => {
  srv = await serve({ port: 0, host: '127.0.0.1', apiKey: KEY, languageModels: { fx: teacher } });
});
after(async () => {
  await srv.close();
});

test('tuneshot distill with tuneshot serve as the OpenAI-compatible teacher', { timeout: 180_000 }, async () => {
  const task = toyTask(160, 7);
  const demos = jsonl('demos.jsonl', task.demos);
  // The pool keeps a stale label column: it is ignored.
  const pool = jsonl('pool.jsonl', task.pool.map((e) => ({ text: e.text, label: 'positive' })));
  const testSet = jsonl('test.jsonl', task.test);
  const out = path.join(dir, 'distilled');
  const r = await cli([
    'distill', '--teacher', 'openai:fx', '--base-url', `${srv.url}/v1`, '--api-key', KEY,
    '--demos', demos, '--pool', pool, '--test', testSet, '--out', out, '--k', '4', '--calibrate', '--seed', '1',
    '--min-confidence', '0.75', '--per-class', '40', '--holdout', '16', '--price', '0.15',
    '--method', 'head', '--pooling', 'mean', '--epochs', '30', '--lr', '0.01', '--batch-size', '8', '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^teacher openai:fx \(k=4, balanced, calibrated\) labelled 160 of 160 pool texts/m);
  assert.match(r.stdout, /kept for the student: 80 \(negative 40, positive 40\) \+ 8 gold demonstrations; held out 16/);
  assert.match(r.stdout, /teacher tokens: [\d,]+ in [\d,]+ scoring calls .*; cost \$[\d.e-]+ at \$0\.15\/M tokens/);
  assert.match(r.stdout, /^ {2}teacher {2}accuracy 100\.0%/m);
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.teacher.id, 'openai:fx');
  assert.ok(summary.test.student.accuracy.estimate >= summary.test.teacher.accuracy.estimate - 0.05, JSON.stringify(summary.test));
  // The server really was the teacher: it tokenized and scored over HTTP.
  assert.ok(teacher.calls.scoreContinuations >= 160);
  // The student folder is a normal fine-tuned classifier.
  const student = await loadClassifier(path.join(out, 'student'));
  assert.deepEqual(student.labels, ['negative', 'positive']);
  assert.equal((await student.predict([{ text: 'what a wonderful film' }]))[0]!.label, 'positive');
  assert.equal(readFileSync(path.join(out, 'labelled.jsonl'), 'utf8').trim().split('\n').length, 160);
});

test('tuneshot distill: bad options and pools are one clear line, nothing written', { timeout: 180_000 }, async () => {
  const demos = jsonl('demos2.jsonl', toyTask(16, 3).demos);
  const out = path.join(dir, 'never');
  const common = ['distill', '--teacher', 'openai:fx', '--base-url', `${srv.url}/v1`, '--api-key', KEY, '--demos', demos, '--out', out];
  const badPool = path.join(dir, 'bad-pool.jsonl');
  writeFileSync(badPool, '{"text": "fine"}\n{"txt": "typo"}\n');
  const [badOption, r] = await Promise.all([cli([...common, '--pool', demos, '--min-confidence', '2']), cli([...common, '--pool', badPool])]);
  assert.equal(badOption.code, 1);
  assert.equal(badOption.stderr.trim(), "error: option '--min-confidence <p>' argument '2' is invalid. Expected a number >= 0 and <= 1.\n(add --help for the options)");
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `tuneshot: ${badPool}:2: field "text": missing`);
  assert.ok(!existsSync(out));
});
