/**
 * safetensors reading and writing.
 *
 * File layout: 8-byte little-endian u64 header length N, then N bytes of JSON
 * header `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {...} }`,
 * then the data buffer; offsets are relative to the start of the data buffer.
 *
 * Reading converts F32/F16/BF16 (and F64 and common integer types) to Float32Array.
 * Writing always writes F32.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL'
  | 'U16' | 'U32' | 'U64';

export interface Tensor {
  /** dtype as stored in the file (the data is always Float32 in memory). */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface TensorInput {
  shape: readonly number[];
  data: Float32Array;
}

export type TensorMap = Map<string, Tensor>;
export type TensorsInput = Map<string, TensorInput> | Record<string, TensorInput>;

const DTYPE_SIZE: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
  U16: 2, U32: 4, U64: 8,
};

/** Error raised for malformed or inconsistent safetensors files. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** Convert IEEE half-precision bits to a float. */
export function f16ToF32(h: number): number {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** Convert a float to IEEE half-precision bits (round to nearest even). */
export function f32ToF16(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** Convert BF16 bits to a float (exact). */
export function bf16ToF32(b: number): number {
  u32Scratch[0] = (b & 0xffff) << 16;
  return f32Scratch[0]!;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function decode(bytes: Uint8Array, dtype: SafetensorsDtype, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') {
    // Zero-copy view when aligned (and host is little-endian, which all Node targets are).
    if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
    return out;
  }
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F16': for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(i * 2, true)); break;
    case 'BF16': for (let i = 0; i < count; i++) out[i] = bf16ToF32(view.getUint16(i * 2, true)); break;
    case 'F64': for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true); break;
    case 'I64': for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true)); break;
    case 'U64': for (let i = 0; i < count; i++) out[i] = Number(view.getBigUint64(i * 8, true)); break;
    case 'I32': for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true); break;
    case 'U32': for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, true); break;
    case 'I16': for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true); break;
    case 'U16': for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true); break;
    case 'I8': for (let i = 0; i < count; i++) out[i] = view.getInt8(i); break;
    case 'U8': case 'BOOL': for (let i = 0; i < count; i++) out[i] = view.getUint8(i); break;
    default: throw new Error(`unreachable dtype ${dtype as string}`);
  }
  return out;
}

export interface ParsedSafetensors {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

/** Parse an in-memory safetensors buffer. `file` is used in error messages only. */
export function parseSafetensors(buf: Uint8Array, file = '<buffer>'): ParsedSafetensors {
  const fail = (msg: string): never => { throw new SafetensorsError(`${file}: ${msg}`); };
  if (buf.byteLength < 8) fail(`truncated file (${buf.byteLength} bytes, need at least 8 for the header length)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(buf.byteLength - 8)) fail(`header length ${n64} runs past the end of the file (${buf.byteLength} bytes)`);
  const n = Number(n64);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    fail(`bad JSON header: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = buf.byteLength - dataStart;
  const tensors: TensorMap = new Map();
  let metadata: Record<string, string> = {};
  const ranges: Array<[number, number, string]> = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null) fail('__metadata__ is not an object');
      metadata = raw as Record<string, string>;
      continue;
    }
    const t = `tensor "${name}"`;
    if (typeof raw !== 'object' || raw === null) fail(`${t}: entry is not an object`);
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info.dtype !== 'string' || !(info.dtype in DTYPE_SIZE)) fail(`${t}: unknown dtype ${JSON.stringify(info.dtype)}`);
    const dtype = info.dtype as SafetensorsDtype;
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${t}: bad shape ${JSON.stringify(info.shape)}`);
    const shape = info.shape as number[];
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${t}: bad data_offsets ${JSON.stringify(off)}`);
    const [begin, end] = off as [number, number];
    if (end < begin) fail(`${t}: data_offsets [${begin}, ${end}] end before begin`);
    if (end > dataLen) fail(`${t}: data_offsets [${begin}, ${end}] run past the end of the file (data section is ${dataLen} bytes)`);
    const count = product(shape);
    const expected = count * DTYPE_SIZE[dtype];
    if (end - begin !== expected) fail(`${t}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${shape.join(', ')}] x ${dtype} needs ${expected}`);
    ranges.push([begin, end, name]);
    tensors.set(name, { dtype, shape: [...shape], data: decode(buf.subarray(dataStart + begin, dataStart + end), dtype, count) });
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let maxEnd = 0;
  let maxName = '';
  for (const [begin, end, name] of ranges) {
    if (end > begin && begin < maxEnd) {
      const other = ranges.find((r) => r[2] === maxName)!;
      fail(`tensor "${name}": data_offsets [${begin}, ${end}] overlap tensor "${maxName}" [${other[0]}, ${other[1]}]`);
    }
    if (end > maxEnd) { maxEnd = end; maxName = name; }
  }
  return { tensors, metadata };
}

/** Read a .safetensors file; tensors are converted to Float32Array. */
export async function readSafetensors(file: string): Promise<TensorMap> {
  return (await readSafetensorsWithMetadata(file)).tensors;
}

export async function readSafetensorsWithMetadata(file: string): Promise<ParsedSafetensors> {
  let buf: Buffer;
  try {
    buf = await fsp.readFile(file);
  } catch (e) {
    throw new SafetensorsError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file);
}

function entriesOf(tensors: TensorsInput): Array<[string, TensorInput]> {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
}

/** Serialize tensors as an F32 safetensors buffer (keys sorted, header padded with spaces to 8 bytes). */
export function serializeSafetensors(tensors: TensorsInput, metadata?: Record<string, string>): Uint8Array {
  const entries = entriesOf(tensors).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new SafetensorsError(`tensor name "__metadata__" is reserved`);
    const count = product(t.shape);
    if (count !== t.data.length) {
      throw new SafetensorsError(`tensor "${name}": shape [${t.shape.join(', ')}] has ${count} elements but data has ${t.data.length}`);
    }
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf-8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const [, t] of entries) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(bytes, pos);
    pos += bytes.byteLength;
  }
  return out;
}

/** Write tensors as F32 safetensors, atomically. */
export async function writeSafetensors(file: string, tensors: TensorsInput, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Read all weights of a model folder: `model.safetensors`, or a sharded checkpoint
 * described by `model.safetensors.index.json` (`weight_map`: tensor name -> shard file).
 */
export async function readSafetensorsFolder(dir: string): Promise<TensorMap> {
  const single = path.join(dir, 'model.safetensors');
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  if (await exists(indexFile)) {
    let index: unknown;
    try {
      index = JSON.parse(await fsp.readFile(indexFile, 'utf-8'));
    } catch (e) {
      throw new SafetensorsError(`${indexFile}: cannot parse: ${(e as Error).message}`);
    }
    const weightMap = (index as { weight_map?: unknown })?.weight_map;
    if (typeof weightMap !== 'object' || weightMap === null) throw new SafetensorsError(`${indexFile}: missing "weight_map" object`);
    const byShard = new Map<string, string[]>();
    for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
      if (typeof shard !== 'string') throw new SafetensorsError(`${indexFile}: weight_map entry for tensor "${name}" is not a file name`);
      if (!byShard.has(shard)) byShard.set(shard, []);
      byShard.get(shard)!.push(name);
    }
    const out: TensorMap = new Map();
    for (const [shard, names] of [...byShard.entries()].sort()) {
      const shardPath = path.join(dir, shard);
      if (!(await exists(shardPath))) {
        throw new SafetensorsError(`${indexFile}: shard file ${shardPath} (holding tensor "${names[0]}"${names.length > 1 ? ` and ${names.length - 1} more` : ''}) is missing`);
      }
      const tensors = await readSafetensors(shardPath);
      for (const name of names) {
        const t = tensors.get(name);
        if (!t) throw new SafetensorsError(`${shardPath}: tensor "${name}" listed in ${indexFile} is missing from the shard`);
        out.set(name, t);
      }
    }
    return out;
  }
  if (await exists(single)) return readSafetensors(single);
  throw new SafetensorsError(`${dir}: no model.safetensors or model.safetensors.index.json found`);
}
