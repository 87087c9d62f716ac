// tuneshot finetune --max-memory: a limit below the run's estimated peak memory is refused before
// any training, in one line that names the limit and what would fit; a bad value is a range error.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeTinyData, writeTinyEncoder } from '../fixtures/tiny-encoder.js';
import { runCli } from '../fixtures/run-cli.js';

const ROOT = process.cwd();
const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-maxmem-'));
const ENV = { ...process.env, TUNESHOT_HOME: path.join(dir, 'home') };
let encoder = '', data = '';

const run = (args: string[]) => runCli(args, { env: ENV, cwd: ROOT });

before(async () => {
  encoder = await writeTinyEncoder(path.join(dir, 'base'));
  data = writeTinyData(path.join(dir, 'train.jsonl'));
});

test('finetune --max-memory below the estimate: refused in one line, nothing trained or written', { timeout: 150_000 }, async () => {
  const out = path.join(dir, 'out');
  const r = await run(['finetune', '--model', encoder, '--train', data, '--method', 'full', '--out', out, '--max-memory', '0.01', '--quiet']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /estimated peak memory [\d.]+ GB for full fine-tuning at batch size \d+ x \d+ tokens exceeds --max-memory 0\.01 \(0\.0 GB\): no batch size or method fits/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(!existsSync(path.join(out, 'model.safetensors')));
});

test('finetune --max-memory 0 is a range error', { timeout: 150_000 }, async () => {
  const r = await run(['finetune', '--model', encoder, '--train', data, '--out', path.join(dir, 'out2'), '--max-memory', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--max-memory <GB>' argument '0' is invalid\. Expected a number > 0 and <= 1000000/);
});

test('finetune prints the estimate before training', { timeout: 150_000 }, async () => {
  const r = await run(['finetune', '--model', encoder, '--train', data, '--method', 'lora', '--out', path.join(dir, 'out3'), '--max-steps', '1', '--max-memory', '64']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /finetune lora: estimated peak memory [\d.]+ GB \(weights .*\), ~\d+ s an epoch .*; limit 64\.0 GB/);
});
