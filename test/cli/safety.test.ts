// The careless user's session, as real child processes: `--out .` in the data folder, an existing
// folder, a rerun without --overwrite, predictions to a folder or a missing folder, a test file with
// a label the model never saw, a base encoder given to predict, a non-JSON file given to advise, a
// misspelt ICL backend. Each gets one clear line and a non-zero exit, and nothing is lost.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeTinyData, writeTinyEncoder } from '../fixtures/tiny-encoder.js';

const ROOT = process.cwd();
const CLI = ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'src/cli/run.ts')];
const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-safety-'));
const ENV = { ...process.env, TUNESHOT_HOME: path.join(dir, 'home') };
let encoder = '', data = '';

interface Ran { code: number | null; stdout: string; stderr: string }

function run(args: string[], cwd = ROOT): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out: ${args.join(' ')}`)); }, 90_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function refused(r: Ran, re: RegExp): void {
  assert.equal(r.code, 1, `exit code; stdout: ${r.stdout}; stderr: ${r.stderr}`);
  assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /\n\s+at |\.tmp-|EISDIR|ENOENT/, 'no stack trace, no temporary file names');
}

before(async () => {
  encoder = await writeTinyEncoder(path.join(dir, 'base'));
  data = writeTinyData(path.join(dir, 'train.jsonl'));
});

test('finetune never replaces the data folder, a foreign folder or an earlier model without --overwrite', { timeout: 180_000 }, async () => {
  // The careless user's project folder: data and a subfolder; `--out .` from inside it.
  const project = path.join(dir, 'project');
  mkdirSync(path.join(project, 'notes'), { recursive: true });
  writeTinyData(path.join(project, 'train.jsonl'));
  writeFileSync(path.join(project, 'notes', 'todo.txt'), 'keep me');
  const ft = (out: string, ...more: string[]) => ['finetune', '--model', encoder, '--train', data, '--method', 'head', '--max-steps', '1', '--batch-size', '4', '--out', out, '--quiet', ...more];
  const model = path.join(dir, 'model');
  const [dot, foreign, first] = await Promise.all([
    run(['finetune', '--model', encoder, '--train', 'train.jsonl', '--method', 'head', '--out', '.', '--quiet'], project),
    run(ft(path.join(project, 'notes'), '--overwrite')),
    run(ft(model)),
  ]);
  refused(dot, /^tuneshot: --out \.: is the current folder; choose a new folder/);
  refused(foreign, /notes: the folder exists and is not a tuneshot output/);
  assert.deepEqual(readdirSync(project).sort(), ['notes', 'train.jsonl']);
  assert.equal(readFileSync(path.join(project, 'notes', 'todo.txt'), 'utf8'), 'keep me');
  assert.equal(first.code, 0, first.stderr);
  const again = await run(ft(model));
  refused(again, /holds an earlier tuneshot finetune output; pass --overwrite to replace it/);
  const replaced = await run(ft(model, '--overwrite'));
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-') || f.includes('.old-')), []);
});

test('predict: a folder as --out, a missing folder, an unseen gold label, a base encoder', { timeout: 180_000 }, async () => {
  const clf = path.join(dir, 'clf');
  const made = await run(['finetune', '--model', encoder, '--train', data, '--method', 'head', '--max-steps', '1', '--batch-size', '4', '--out', clf, '--quiet']);
  assert.equal(made.code, 0, made.stderr);
  const unseen = path.join(dir, 'unseen.jsonl');
  writeFileSync(unseen, '{"text": "good film", "label": "good"}\n{"text": "so so", "label": "meh"}\n');
  const deep = path.join(dir, 'new', 'folder', 'p.jsonl');
  // A base encoder of any encoder family is named as one (ModernBERT was taken for a decoder once).
  const modern = path.join(dir, 'modernbert-base');
  cpSync(encoder, modern, { recursive: true });
  const cfg = JSON.parse(readFileSync(path.join(modern, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(modern, 'config.json'), JSON.stringify({ ...cfg, model_type: 'modernbert' }));
  const [toFolder, toDeep, badLabel, base, modernBase] = await Promise.all([
    run(['predict', '--model', clf, '--data', data, '--out', dir, '--quiet']),
    run(['predict', '--model', clf, '--data', data, '--out', deep, '--quiet']),
    run(['predict', '--model', clf, '--data', unseen, '--out', path.join(dir, 'never.jsonl'), '--quiet']),
    run(['predict', '--model', encoder, '--data', data, '--out', path.join(dir, 'never2.jsonl'), '--quiet']),
    run(['predict', '--model', modern, '--data', data, '--out', path.join(dir, 'never3.jsonl'), '--quiet']),
  ]);
  refused(toFolder, /^tuneshot: --out .*: is a folder; give a file name/);
  assert.equal(toDeep.code, 0, toDeep.stderr);
  assert.equal(readFileSync(deep, 'utf8').trim().split('\n').length, 16);
  refused(badLabel, new RegExp(`^tuneshot: ${unseen}:2: field "label": label "meh" is not in the label set`));
  assert.equal(existsSync(path.join(dir, 'never.jsonl')), false, 'nothing written before the error');
  refused(base, /a base encoder without a classification head .*not a fine-tuned classifier; fine-tune it first/);
  assert.equal(existsSync(path.join(dir, 'never2.jsonl')), false);
  refused(modernBase, /a base encoder without a classification head .*not a fine-tuned classifier; fine-tune it first/);
  assert.equal(existsSync(path.join(dir, 'never3.jsonl')), false);
});

test('advise on a non-JSON file and compare with an unknown ICL backend fail before any work', { timeout: 120_000 }, async () => {
  const notJson = path.join(dir, 'results.txt');
  writeFileSync(notJson, 'accuracy: 0.9\n');
  const out = path.join(dir, 'cmp');
  const [adv, cmp] = await Promise.all([
    run(['advise', '--results', notJson]),
    run(['compare', '--train', data, '--test', data, '--icl', 'foo:bar', '--budgets', '0', '--seeds', '1', '--out', out, '--quiet']),
  ]);
  refused(adv, new RegExp(`^tuneshot: ${notJson}: not JSON, not a compare results\\.json`));
  refused(cmp, /^tuneshot: compare: icl: unknown backend "foo" in "foo:bar" \(known: builtin, llamacpp, openai\)/);
  assert.equal(existsSync(out), false);
});
