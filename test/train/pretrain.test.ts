// Pre-training: MLM masking follows BERT's recipe; a run killed with SIGKILL resumes from its last
// checkpoint and continues the very same loss curve to the same weights; the output is a loadable HF folder with a card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { maskTokens, pretrain, type PretrainOptions } from '../../src/train/pretrain.js';
import { mulberry32 } from '../../src/engine/index.js';
import { TransformerModel } from '../../src/models/index.js';

const child = ['--import', 'tsx', 'test/train/pretrain-child.ts'];

test('MLM masking: ~15% of non-special tokens, 80/10/10 mask/random/keep, specials never', () => {
  const ids = Int32Array.from({ length: 200_000 }, (_, i) => (i % 50 === 0 ? 2 : 10 + (i % 90)));
  const r = maskTokens(ids, { prob: 0.15, maskId: 4, vocabSize: 100, special: new Set([2]), rand: mulberry32(3) });
  const selectable = ids.filter((x) => x !== 2).length;
  assert.ok(Math.abs(r.positions.length / selectable - 0.15) < 0.005);
  assert.ok(r.positions.every((p) => ids[p] !== 2));
  const masked = r.positions.filter((p) => r.input[p] === 4).length / r.positions.length;
  const kept = r.positions.filter((p) => r.input[p] === ids[p]).length / r.positions.length;
  assert.ok(Math.abs(masked - 0.8) < 0.01, `masked ${masked}`);
  assert.ok(Math.abs(kept - 0.1) < 0.01 + 0.01, `kept ${kept}`); // random replacements sometimes hit the same id
  assert.deepEqual(r.labels, r.positions.map((p) => ids[p]));
});

test('whole-word masking masks continuation pieces with their word', () => {
  // ids >= 50 are "##" continuation pieces.
  const ids = Int32Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? 10 + (i % 40) : 50 + (i % 40)));
  const r = maskTokens(ids, { prob: 0.15, maskId: 4, vocabSize: 100, special: new Set(), rand: mulberry32(5), wordStart: (id) => id < 50 });
  const sel = new Set(r.positions);
  for (let i = 1; i < ids.length; i++) if (ids[i]! >= 50) assert.equal(sel.has(i), sel.has(i - 1), `piece ${i} follows its word`);
});

test('a run killed with SIGKILL resumes and continues the same loss curve and weights (dropout on)', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-pretrain-'));
  // Both runs share one tokenizer (its trainer is not deterministic across trainings; see PretrainOptions.tokenizer).
  const straight = JSON.parse(execFileSync('node', [...child, path.join(dir, 'a'), '12'], { encoding: 'utf8' }));
  const tok = path.join(dir, 'a');
  // Second run: kill it once a checkpoint past step 4 exists, then resume.
  const out = path.join(dir, 'b');
  const state = path.join(out + '.work', 'checkpoint', 'trainer_state.json');
  const p = spawn('node', [...child, out, '12', 'fresh', tok], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (existsSync(state) && JSON.parse(readFileSync(state, 'utf8')).step >= 4) {
        clearInterval(t);
        p.kill('SIGKILL');
        resolve();
      }
    }, 20);
    p.on('exit', (code) => { clearInterval(t); if (code === 0) reject(new Error('the run finished before it could be killed')); });
  });
  await new Promise((r) => p.on('exit', r));
  const killedAt = JSON.parse(readFileSync(state, 'utf8')).step;
  assert.ok(killedAt >= 4 && killedAt < 12, `killed at step ${killedAt}`);
  const resumed = JSON.parse(execFileSync('node', [...child, out, '12', 'resume', tok], { encoding: 'utf8' }));
  assert.deepEqual(resumed.losses, straight.losses, 'resumed loss curve equals the uninterrupted one');
  assert.equal(resumed.heldOut.accuracy, straight.heldOut.accuracy);
  assert.ok(readFileSync(path.join(out, 'model.safetensors')).equals(readFileSync(path.join(dir, 'a', 'model.safetensors'))), 'final weights equal bit for bit');

  const m = await TransformerModel.load(out);
  assert.equal(m.config.modelType, 'bert');
  const card = readFileSync(path.join(out, 'README.md'), 'utf8');
  assert.match(card, /tokens seen \| 6,144/);
  assert.match(card, /held-out \| masked-token accuracy/);
});

test('--resume refuses a checkpoint made with other settings or data in one line, and says when it starts fresh', { timeout: 120_000 }, async () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'tuneshot-pretrain-')), 'p');
  const opts: PretrainOptions = {
    objective: 'mlm', corpus: ['datasets/spam/train.jsonl'], out, size: 'bert-nano', vocabSize: 600, seqLen: 64, batchSize: 8, steps: 6, checkpointEvery: 2, quiet: true, seed: 1,
  };
  const said: string[] = [];
  const first = await pretrain({ ...opts, resume: true, stopAfter: 2, onWarning: (m) => said.push(m) });
  assert.equal(first.steps, 2);
  assert.ok(said.some((m) => /resume: no checkpoint in .*p\.work.checkpoint; starting fresh/.test(m)), said.join(' | '));
  const refused = async (change: Partial<PretrainOptions>, re: RegExp) => {
    const err = await pretrain({ ...opts, ...change, resume: true }).then(() => undefined, (e: Error) => e);
    assert.ok(err && !err.message.includes('\n'), 'refused in one line');
    assert.match(err.message, re);
  };
  await refused({ lr: 5e-4 }, /the checkpoint is of another run: lr is 0\.001 there, 0\.0005 now/);
  await refused({ corpus: ['datasets/spam/test.jsonl'] }, /corpus is datasets\/spam\/train\.jsonl \("[0-9a-f]{16}"\) there, datasets\/spam\/test\.jsonl \("[0-9a-f]{16}"\) now/);
  await refused({ size: 'bert-mini' }, /architecture is "[0-9a-f]{16}" there, "[0-9a-f]{16}" now/);
  const r = await pretrain({ ...opts, resume: true });
  assert.equal(r.steps, 6);
  assert.equal(r.losses.length, 6);
});
