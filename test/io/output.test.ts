// Where commands may write (src/io/output.ts) and how (src/io/atomic.ts): nothing tuneshot did not
// write is replaced, --overwrite replaces only an earlier output of the same kind, never the current
// folder or one holding an input, a kill -9 mid-write leaves nothing the next run does not clean,
// and folders under /proc fail at once instead of hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OUTPUT_MARKER, OutputError, outputKindOf, prepareOutputFile, prepareOutputFolder, writeOutputFolder } from '../../src/io/output.js';
import { makeDirs, writeFileAtomic, writeJsonlAtomic } from '../../src/io/atomic.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'tuneshot-out-'));
const fill = (text: string) => async (dir: string) => writeFileSync(path.join(dir, 'config.json'), text);

test('a folder output: new, empty or own kind only; --overwrite needed to replace; marker written', async () => {
  const d = tmp();
  const out = path.join(d, 'a', 'b', 'model');
  await writeOutputFolder(out, { kind: 'finetune' }, fill('{"v":1}'));
  assert.equal(readFileSync(path.join(out, 'config.json'), 'utf8'), '{"v":1}');
  assert.equal(outputKindOf(out), 'finetune');
  assert.throws(() => prepareOutputFolder(out, { kind: 'finetune' }), /holds an earlier tuneshot finetune output; pass --overwrite/);
  assert.throws(() => prepareOutputFolder(out, { kind: 'pretrain', overwrite: true }), /holds a tuneshot finetune output, not a pretrain output/);
  await writeOutputFolder(out, { kind: 'finetune', overwrite: true }, fill('{"v":2}'));
  assert.equal(readFileSync(path.join(out, 'config.json'), 'utf8'), '{"v":2}');
  assert.deepEqual(readdirSync(path.dirname(out)), ['model'], 'no temporary or old folder left beside it');

  const empty = path.join(d, 'empty');
  mkdirSync(empty);
  assert.equal(prepareOutputFolder(empty, { kind: 'pretrain' }), empty);

  // Someone else's folder and a regular file are never replaced, with or without --overwrite.
  const mine = path.join(d, 'mine');
  mkdirSync(mine);
  writeFileSync(path.join(mine, 'thesis.tex'), 'precious');
  for (const overwrite of [false, true]) {
    assert.throws(() => prepareOutputFolder(mine, { kind: 'finetune', overwrite }), /exists and is not a tuneshot output/);
  }
  await assert.rejects(writeOutputFolder(mine, { kind: 'finetune', overwrite: true }, fill('{}')), OutputError);
  assert.equal(readFileSync(path.join(mine, 'thesis.tex'), 'utf8'), 'precious');
  const file = path.join(d, 'notes.txt');
  writeFileSync(file, 'keep');
  assert.throws(() => prepareOutputFolder(file, { kind: 'finetune', overwrite: true }), /is a file, not a folder/);
  assert.equal(readFileSync(file, 'utf8'), 'keep');
});

test('never the current folder, its parents, the root, or a folder holding an input', () => {
  const d = tmp();
  const data = path.join(d, 'data', 'train.jsonl');
  makeDirs(path.dirname(data));
  writeFileSync(data, '{}\n');
  const cwd = process.cwd();
  for (const p of ['.', cwd, path.dirname(cwd), '/']) {
    assert.throws(() => prepareOutputFolder(p, { kind: 'finetune', overwrite: true }), /current folder|root folder|home folder/, p);
  }
  // Even an (apparently) own output is refused when it holds the data.
  writeFileSync(path.join(d, 'data', OUTPUT_MARKER), JSON.stringify({ kind: 'finetune' }));
  assert.throws(() => prepareOutputFolder(path.join(d, 'data'), { kind: 'finetune', overwrite: true, inputs: [data] }), /holds the input/);
  assert.throws(() => prepareOutputFile(data, { kind: 'predictions', overwrite: true, inputs: [data] }), /is the input/);
});

test('a file output: parents created, a folder or a foreign file refused, earlier predictions need --overwrite', () => {
  const d = tmp();
  const out = path.join(d, 'new', 'deeper', 'preds.jsonl');
  prepareOutputFile(out, { kind: 'predictions' });
  assert.ok(existsSync(path.dirname(out)));
  writeJsonlAtomic(out, [{ index: 0, label: 'a', probs: { a: 1 } }]);
  assert.throws(() => prepareOutputFile(out, { kind: 'predictions' }), /earlier tuneshot predictions; pass --overwrite/);
  prepareOutputFile(out, { kind: 'predictions', overwrite: true });
  assert.throws(() => prepareOutputFile(d, { kind: 'predictions' }), /is a folder; give a file name/);
  const csv = path.join(d, 'train.csv');
  writeFileSync(csv, 'text,label\nhello,a\n');
  assert.throws(() => prepareOutputFile(csv, { kind: 'predictions', overwrite: true }), /not written by tuneshot/);
  assert.equal(readFileSync(csv, 'utf8'), 'text,label\nhello,a\n');
});

test('write errors name the target, never a temporary file', async () => {
  const d = tmp();
  await assert.rejects(writeFileAtomic(d, 'x'), (e: Error) => e.message === `${d}: is a folder; give a file name`);
  const missing = path.join(d, 'no', 'such', 'f.jsonl');
  assert.throws(() => writeJsonlAtomic(missing, [1]), (e: Error) => e.message.startsWith(`${missing}: cannot write: the folder`) && !e.message.includes('.tmp'));
});

test('/proc/x/y fails at once (Node 20 recursive mkdir would loop)', { skip: process.platform !== 'linux' }, () => {
  const t0 = Date.now();
  assert.throws(() => prepareOutputFolder('/proc/tuneshot-x/y', { kind: 'finetune' }), /\/proc\/tuneshot-x: cannot create the folder/);
  assert.throws(() => prepareOutputFile('/proc/tuneshot-x/y/p.jsonl', { kind: 'predictions' }), /cannot create the folder/);
  assert.ok(Date.now() - t0 < 2000);
});

test('kill -9 during the final write: the next write of the same output removes the temporary folder', { timeout: 60_000 }, async () => {
  const d = tmp();
  const out = path.join(d, 'm');
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/io/write-child.ts', out], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.on('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const left = readdirSync(d);
  assert.equal(left.length, 1);
  assert.match(left[0]!, new RegExp(`^\\.m\\.tmp-${child.pid}-`), 'the killed write left its temporary folder');
  await writeOutputFolder(out, { kind: 'finetune' }, fill('{}'));
  assert.deepEqual(readdirSync(d), ['m']);
});
