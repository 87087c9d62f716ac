import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCheckpoint, writeCheckpoint, CheckpointError } from '../../src/formats/checkpoint.js';

test('write then read a model folder, tokenizer files copied, extra files written', async () => {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tuneshot-ckpt-'));
  const tok = path.join(root, 'tok');
  await fsp.mkdir(tok);
  await fsp.writeFile(path.join(tok, 'tokenizer.json'), '{"model":{}}');
  await fsp.writeFile(path.join(tok, 'vocab.txt'), 'a\nb\n');
  await fsp.writeFile(path.join(tok, 'unrelated.bin'), 'x');
  const dir = path.join(root, 'out', 'model');
  const w = new Float32Array([1, 2, 3, 4, 5, 6]);
  await writeCheckpoint(dir, {
    config: { model_type: 'bert', hidden_size: 3 },
    tensors: { 'x.weight': { shape: [2, 3], data: w } },
    tokenizerFrom: tok,
    extraFiles: { 'generation_config.json': '{}', 'sub/blob.bin': new Uint8Array([1, 2]) },
  });
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'sub', 'tokenizer.json', 'vocab.txt']);
  const ck = await readCheckpoint(dir);
  assert.equal(ck.dir, dir);
  assert.deepEqual(ck.config, { model_type: 'bert', hidden_size: 3 });
  assert.deepEqual(ck.tensors.get('x.weight')!.data, w);
  // Only the target folder exists in the parent (no temp leftovers).
  assert.deepEqual(await fsp.readdir(path.dirname(dir)), ['model']);

  // Replacing an existing folder.
  await writeCheckpoint(dir, { config: { v: 2 }, tensors: new Map([['y', { shape: [1], data: new Float32Array([9]) }]]) });
  const ck2 = await readCheckpoint(dir);
  assert.deepEqual(ck2.config, { v: 2 });
  assert.deepEqual([...ck2.tensors.keys()], ['y']);
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['config.json', 'model.safetensors']);

  // A failing write leaves the previous folder intact and no temp folder behind.
  await assert.rejects(writeCheckpoint(dir, { config: { v: 3 }, tensors: { bad: { shape: [5], data: new Float32Array(2) } } }), /tensor "bad"/);
  await assert.rejects(writeCheckpoint(dir, { config: { v: 3 }, tensors: {}, tokenizerFrom: path.join(root, 'missing') }), CheckpointError);
  await assert.rejects(writeCheckpoint(dir, { config: { v: 3 }, tensors: {}, extraFiles: { '../escape.txt': 'x' } }), /inside the folder/);
  assert.deepEqual((await readCheckpoint(dir)).config, { v: 2 });
  assert.deepEqual(await fsp.readdir(path.dirname(dir)), ['model']);
});

test('readCheckpoint errors name the file', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tuneshot-ckpt-'));
  await assert.rejects(readCheckpoint(dir), (e: Error) => e.message.includes(path.join(dir, 'config.json')));
  await fsp.writeFile(path.join(dir, 'config.json'), '{oops');
  await assert.rejects(readCheckpoint(dir), /config\.json: bad JSON/);
  await fsp.writeFile(path.join(dir, 'config.json'), '{}');
  await assert.rejects(readCheckpoint(dir), /no model\.safetensors/);
});
