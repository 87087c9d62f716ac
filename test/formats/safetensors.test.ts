import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  readSafetensors, writeSafetensors, readSafetensorsFolder, readSafetensorsWithMetadata,
  serializeSafetensors, f32ToF16, f16ToF32, SafetensorsError,
} from '../../src/formats/safetensors.js';

async function tmpdir(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'tuneshot-st-'));
}

function rand(n: number, seed = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = (s / 2 ** 32 - 0.5) * 3;
  }
  return a;
}

/** Build a safetensors file by hand from a header object and raw data bytes. */
function build(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const json = Buffer.from(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('round trip is bit-exact, keys sorted, header aligned, metadata kept', async () => {
  const dir = await tmpdir();
  const file = path.join(dir, 'm.safetensors');
  const special = new Float32Array([NaN, -0, Infinity, -Infinity, 1e-45, 3.4e38, -1.5]);
  const tensors = new Map([
    ['z.weight', { shape: [3, 5], data: rand(15, 3) }],
    ['a.bias', { shape: [7], data: special }],
    ['scalar', { shape: [], data: new Float32Array([42]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);
  await writeSafetensors(file, tensors, { format: 'pt' });
  const raw = await fsp.readFile(file);
  const n = Number(raw.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const header = JSON.parse(raw.subarray(8, 8 + n).toString());
  assert.deepEqual(Object.keys(header), ['__metadata__', 'a.bias', 'empty', 'scalar', 'z.weight']);
  const { tensors: back, metadata } = await readSafetensorsWithMetadata(file);
  assert.deepEqual(metadata, { format: 'pt' });
  for (const [name, t] of tensors) {
    const b = back.get(name)!;
    assert.equal(b.dtype, 'F32');
    assert.deepEqual(b.shape, t.shape);
    assert.deepEqual(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), name);
  }
  // Record input works too; no temp file left behind.
  await writeSafetensors(file, { x: { shape: [2], data: new Float32Array([1, 2]) } });
  assert.deepEqual([...(await readSafetensors(file)).get('x')!.data], [1, 2]);
  assert.deepEqual(await fsp.readdir(dir), ['m.safetensors']);
});

test('reads F16 and BF16 (and unaligned F32)', async () => {
  const dir = await tmpdir();
  const file = path.join(dir, 'h.safetensors');
  const vals = [0, -0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 0.333251953125];
  const f16 = new Uint16Array(vals.map(f32ToF16));
  const bfIn = new Float32Array([1, -3.140625, 1e30, -1e-30]);
  const bf = new Uint16Array([...new Uint32Array(bfIn.buffer)].map((u) => u >>> 16));
  const bfVals = new Float32Array(new Uint32Array([...bf].map((h) => h << 16)).buffer); // what BF16 can hold
  const f32 = new Float32Array([1.25, -7]);
  const data = new Uint8Array(f16.byteLength + bf.byteLength + 2 + f32.byteLength);
  data.set(new Uint8Array(f16.buffer), 0);
  data.set(new Uint8Array(bf.buffer), f16.byteLength);
  const f32Off = f16.byteLength + bf.byteLength + 2; // deliberately only 2-byte aligned
  data.set(new Uint8Array(f32.buffer), f32Off);
  const header = {
    h: { dtype: 'F16', shape: [2, 4], data_offsets: [0, 16] },
    b: { dtype: 'BF16', shape: [4], data_offsets: [16, 24] },
    f: { dtype: 'F32', shape: [2], data_offsets: [f32Off, f32Off + 8] },
  };
  // 7-byte-misaligned header on purpose: readers must not assume alignment.
  const text = JSON.stringify(header);
  const padded = text + ' '.repeat((8 - (text.length % 8) + 3) % 8);
  await fsp.writeFile(file, build(null, data, padded));
  const t = await readSafetensors(file);
  assert.equal(t.get('h')!.dtype, 'F16');
  assert.deepEqual(t.get('h')!.shape, [2, 4]);
  assert.deepEqual([...t.get('h')!.data], vals);
  assert.ok(Object.is(t.get('h')!.data[1], -0));
  assert.equal(t.get('b')!.dtype, 'BF16');
  assert.deepEqual([...t.get('b')!.data], [...bfVals]);
  assert.deepEqual([...t.get('f')!.data], [1.25, -7]);
  assert.equal(f16ToF32(0x7c00), Infinity);
});

test('corrupt files fail with errors naming file and tensor', async () => {
  const dir = await tmpdir();
  const f = path.join(dir, 'bad.safetensors');
  const good = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['truncated', new Uint8Array([1, 2, 3]), /truncated/],
    ['header past end', (() => { const b = build(good, new Uint8Array(8)); new DataView(b.buffer).setBigUint64(0, 10000n, true); return b; })(), /header length 10000 runs past the end/],
    ['bad json', build(null, new Uint8Array(0), '{"w": {'), /bad JSON/],
    ['unknown dtype', build({ w: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor "w".*unknown dtype "Q4"/],
    ['past end', build({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /tensor "w".*run past the end/],
    ['size mismatch', build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor "w".*needs 12/],
    ['overlap', build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), /tensor "b".*overlap tensor "a"/],
    ['bad shape', build({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor "w".*bad shape/],
  ];
  for (const [label, bytes, re] of cases) {
    await fsp.writeFile(f, bytes);
    await assert.rejects(readSafetensors(f), (e: Error) => {
      assert.ok(e instanceof SafetensorsError, label);
      assert.ok(e.message.includes(f), `${label}: ${e.message}`);
      assert.match(e.message, re, label);
      return true;
    });
  }
  await assert.rejects(readSafetensors(path.join(dir, 'nope.safetensors')), /nope\.safetensors: cannot read/);
  assert.throws(() => serializeSafetensors({ w: { shape: [3], data: new Float32Array(2) } }), /tensor "w".*3 elements/);
});

test('sharded folder via model.safetensors.index.json', async () => {
  const dir = await tmpdir();
  const a = rand(6, 5);
  const b = rand(4, 9);
  await writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), { a: { shape: [2, 3], data: a } });
  await writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), { b: { shape: [4], data: b } });
  const index = { metadata: { total_size: 40 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } };
  await fsp.writeFile(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
  const t = await readSafetensorsFolder(dir);
  assert.deepEqual([...t.keys()].sort(), ['a', 'b']);
  assert.deepEqual(t.get('a')!.data, a);
  assert.deepEqual(t.get('b')!.shape, [4]);

  // A tensor listed but absent from its shard.
  index.weight_map = { ...index.weight_map, c: 'model-00002-of-00002.safetensors' } as typeof index.weight_map;
  await fsp.writeFile(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
  await assert.rejects(readSafetensorsFolder(dir), /model-00002-of-00002\.safetensors: tensor "c" listed in .*index\.json is missing/);
  // A missing shard file.
  await fsp.rm(path.join(dir, 'model-00002-of-00002.safetensors'));
  await assert.rejects(readSafetensorsFolder(dir), /shard file .*model-00002-of-00002\.safetensors \(holding tensor "b"/);

  const single = await tmpdir();
  await assert.rejects(readSafetensorsFolder(single), /no model\.safetensors/);
  await writeSafetensors(path.join(single, 'model.safetensors'), { a: { shape: [6], data: a } });
  assert.deepEqual((await readSafetensorsFolder(single)).get('a')!.data, a);
});
