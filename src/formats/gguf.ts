/**
 * GGUF v3 writer (and a small header reader) plus Hugging Face checkpoint -> GGUF conversion,
 * using llama.cpp's metadata keys and tensor names (each family's mapping is in its file).
 *
 * File layout (little-endian):
 *   "GGUF" u32 version=3, u64 tensor_count, u64 kv_count,
 *   kv_count x (string key, u32 value_type, value),
 *   tensor_count x (string name, u32 n_dims, u64 dims[n_dims], u32 ggml_type, u64 offset),
 *   padding to `general.alignment`, then tensor data, each tensor starting at an aligned offset.
 * Strings are u64 length + UTF-8 bytes. Dims are in ggml order: dims[0] is the contiguous
 * (innermost) axis, i.e. the reverse of a row-major HF shape.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, type TensorInput } from './safetensors.js';
import { GGML_TYPE, GGML_TYPE_NAME, GGUF_FILE_TYPE, decodeGgml, encodeGgml, ggmlBytes, ggmlTypeFor, type GgmlType, type GgufQuant } from './gguf-quant.js';
import { readJson, tokenContent } from './tokenizer.js';
import { readCheckpoint } from './checkpoint.js';
import { FAMILIES, familyOf } from '../models/families/index.js';
import { resolvePretrained, type PretrainedOptions } from '../models/pretrained.js';

export { permuteRope } from '../models/families/llama.js';

export type GgufScalarType =
  | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32'
  | 'float32' | 'bool' | 'string' | 'uint64' | 'int64' | 'float64';

export const GGUF_VALUE_TYPE: Record<GgufScalarType | 'array', number> = {
  uint8: 0, int8: 1, uint16: 2, int16: 3, uint32: 4, int32: 5, float32: 6,
  bool: 7, string: 8, array: 9, uint64: 10, int64: 11, float64: 12,
};
const VALUE_TYPE_NAME = Object.fromEntries(Object.entries(GGUF_VALUE_TYPE).map(([k, v]) => [v, k])) as Record<number, GgufScalarType | 'array'>;

export type GgufScalar = number | bigint | boolean | string;

/** One metadata entry. Arrays: `type: 'array'` with `itemType` and an array value. */
export type GgufKV =
  | { key: string; type: GgufScalarType; value: GgufScalar }
  | { key: string; type: 'array'; itemType: GgufScalarType; value: readonly GgufScalar[] };

export { GGML_TYPE, type GgmlType, type GgufQuant } from './gguf-quant.js';

export interface GgufTensor {
  name: string;
  /** ggml order: reversed from the row-major HF shape. */
  shape: readonly number[];
  type: GgmlType;
  data: Float32Array;
}

export interface GgufFile {
  metadata: GgufKV[] | GgufMetadataBuilder;
  tensors: GgufTensor[];
}

/** Small typed builder for metadata entries. */
export class GgufMetadataBuilder {
  readonly entries: GgufKV[] = [];
  private add(kv: GgufKV): this {
    const i = this.entries.findIndex((e) => e.key === kv.key);
    if (i >= 0) this.entries[i] = kv; else this.entries.push(kv);
    return this;
  }
  string(key: string, value: string): this { return this.add({ key, type: 'string', value }); }
  uint32(key: string, value: number): this { return this.add({ key, type: 'uint32', value }); }
  int32(key: string, value: number): this { return this.add({ key, type: 'int32', value }); }
  uint64(key: string, value: number | bigint): this { return this.add({ key, type: 'uint64', value }); }
  float32(key: string, value: number): this { return this.add({ key, type: 'float32', value }); }
  bool(key: string, value: boolean): this { return this.add({ key, type: 'bool', value }); }
  array(key: string, itemType: GgufScalarType, value: readonly GgufScalar[]): this { return this.add({ key, type: 'array', itemType, value }); }
  has(key: string): boolean { return this.entries.some((e) => e.key === key); }
}

class ByteWriter {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(1 << 16);
  private view = new DataView(this.cur.buffer);
  private pos = 0;
  length = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.flush();
    if (n > this.cur.length) {
      this.cur = new Uint8Array(Math.max(n, 1 << 16));
      this.view = new DataView(this.cur.buffer);
    }
  }
  private flush(): void {
    if (this.pos > 0) this.chunks.push(this.cur.slice(0, this.pos));
    this.pos = 0;
  }
  u8(v: number): void { this.ensure(1); this.view.setUint8(this.pos, v); this.pos += 1; this.length += 1; }
  i8(v: number): void { this.ensure(1); this.view.setInt8(this.pos, v); this.pos += 1; this.length += 1; }
  u16(v: number): void { this.ensure(2); this.view.setUint16(this.pos, v, true); this.pos += 2; this.length += 2; }
  i16(v: number): void { this.ensure(2); this.view.setInt16(this.pos, v, true); this.pos += 2; this.length += 2; }
  u32(v: number): void { this.ensure(4); this.view.setUint32(this.pos, v, true); this.pos += 4; this.length += 4; }
  i32(v: number): void { this.ensure(4); this.view.setInt32(this.pos, v, true); this.pos += 4; this.length += 4; }
  f32(v: number): void { this.ensure(4); this.view.setFloat32(this.pos, v, true); this.pos += 4; this.length += 4; }
  f64(v: number): void { this.ensure(8); this.view.setFloat64(this.pos, v, true); this.pos += 8; this.length += 8; }
  u64(v: number | bigint): void { this.ensure(8); this.view.setBigUint64(this.pos, BigInt(v), true); this.pos += 8; this.length += 8; }
  i64(v: number | bigint): void { this.ensure(8); this.view.setBigInt64(this.pos, BigInt(v), true); this.pos += 8; this.length += 8; }
  bytes(b: Uint8Array): void {
    if (b.length > 4096) {
      this.flush();
      this.chunks.push(b);
    } else {
      this.ensure(b.length);
      this.cur.set(b, this.pos);
      this.pos += b.length;
    }
    this.length += b.length;
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf-8');
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad) this.bytes(new Uint8Array(pad));
  }
  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }
}

function writeScalar(w: ByteWriter, type: GgufScalarType, v: GgufScalar, key: string): void {
  const num = (): number => {
    if (typeof v !== 'number' && typeof v !== 'bigint') throw new Error(`GGUF key "${key}": expected a number for ${type}, got ${typeof v}`);
    return Number(v);
  };
  switch (type) {
    case 'uint8': w.u8(num()); break;
    case 'int8': w.i8(num()); break;
    case 'uint16': w.u16(num()); break;
    case 'int16': w.i16(num()); break;
    case 'uint32': w.u32(num()); break;
    case 'int32': w.i32(num()); break;
    case 'float32': w.f32(num()); break;
    case 'float64': w.f64(num()); break;
    case 'uint64': w.u64(typeof v === 'bigint' ? v : num()); break;
    case 'int64': w.i64(typeof v === 'bigint' ? v : num()); break;
    case 'bool':
      if (typeof v !== 'boolean') throw new Error(`GGUF key "${key}": expected a boolean`);
      w.u8(v ? 1 : 0);
      break;
    case 'string':
      if (typeof v !== 'string') throw new Error(`GGUF key "${key}": expected a string`);
      w.string(v);
      break;
    default: throw new Error(`GGUF key "${key}": unknown value type ${type as string}`);
  }
}

function tensorBytes(t: GgufTensor): Uint8Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) throw new Error(`GGUF tensor "${t.name}": shape [${t.shape.join(', ')}] has ${n} elements but data has ${t.data.length}`);
  return encodeGgml(t.type, t.data, `GGUF tensor "${t.name}"`);
}

/** Serialize a GGUF v3 file into chunks. */
export function serializeGguf(file: GgufFile): Uint8Array[] {
  const kvs = [...(file.metadata instanceof GgufMetadataBuilder ? file.metadata.entries : file.metadata)];
  const alignKv = kvs.find((k) => k.key === 'general.alignment');
  const alignment = alignKv ? Number(alignKv.value) : 32;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) throw new Error(`GGUF general.alignment must be a positive multiple of 8, got ${alignment}`);
  if (alignKv && alignKv.type !== 'uint32') throw new Error('GGUF general.alignment must be a uint32');
  const seen = new Set<string>();
  for (const kv of kvs) {
    if (seen.has(kv.key)) throw new Error(`GGUF duplicate metadata key "${kv.key}"`);
    seen.add(kv.key);
  }
  const names = new Set<string>();
  for (const t of file.tensors) {
    if (names.has(t.name)) throw new Error(`GGUF duplicate tensor name "${t.name}"`);
    names.add(t.name);
    if (Buffer.byteLength(t.name) >= 64) throw new Error(`GGUF tensor name "${t.name}" is too long for ggml (max 63 bytes)`);
  }
  const w = new ByteWriter();
  w.bytes(new Uint8Array([0x47, 0x47, 0x55, 0x46])); // "GGUF"
  w.u32(3);
  w.u64(file.tensors.length);
  w.u64(kvs.length);
  for (const kv of kvs) {
    w.string(kv.key);
    w.u32(GGUF_VALUE_TYPE[kv.type]);
    if (kv.type === 'array') {
      if (kv.itemType === undefined || !(kv.itemType in GGUF_VALUE_TYPE) || (kv.itemType as string) === 'array') throw new Error(`GGUF key "${kv.key}": bad array item type`);
      w.u32(GGUF_VALUE_TYPE[kv.itemType]);
      w.u64(kv.value.length);
      for (const v of kv.value) writeScalar(w, kv.itemType, v, kv.key);
    } else {
      writeScalar(w, kv.type, kv.value, kv.key);
    }
  }
  const datas = file.tensors.map(tensorBytes);
  let offset = 0;
  file.tensors.forEach((t, i) => {
    w.string(t.name);
    w.u32(t.shape.length);
    for (const d of t.shape) w.u64(d);
    w.u32(GGML_TYPE[t.type]);
    w.u64(offset);
    offset += datas[i]!.length;
    offset += (alignment - (offset % alignment)) % alignment;
  });
  w.padTo(alignment);
  for (const d of datas) {
    w.bytes(d);
    w.padTo(alignment);
  }
  return w.finish();
}

/** Write a GGUF v3 file atomically (temp file + rename). */
export async function writeGguf(file: string, gguf: GgufFile): Promise<void> {
  await writeFileAtomic(file, serializeGguf(gguf));
}

export interface GgufTensorInfo {
  name: string;
  shape: number[];
  /** ggml type id (0 = F32, 1 = F16, ...). */
  type: number;
  /** Offset relative to the start of the data section. */
  offset: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, { type: GgufScalarType | 'array'; itemType?: GgufScalarType; value: unknown }>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute file offset of the data section. */
  dataOffset: number;
}

/** Parse the GGUF header (metadata and tensor infos) of a file. */
export async function readGgufHeader(file: string): Promise<GgufHeader> {
  const buf = await fsp.readFile(file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  const need = (n: number): void => {
    if (p + n > buf.length) throw new Error(`${file}: truncated GGUF header at byte ${p}`);
  };
  const u32 = (): number => { need(4); const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = (): number => { need(8); const v = Number(dv.getBigUint64(p, true)); p += 8; return v; };
  const str = (): string => { const n = u64(); need(n); const s = buf.toString('utf-8', p, p + n); p += n; return s; };
  const scalar = (t: number): unknown => {
    switch (t) {
      case 0: need(1); return dv.getUint8(p++);
      case 1: need(1); return dv.getInt8(p++);
      case 2: { need(2); const v = dv.getUint16(p, true); p += 2; return v; }
      case 3: { need(2); const v = dv.getInt16(p, true); p += 2; return v; }
      case 4: return u32();
      case 5: { need(4); const v = dv.getInt32(p, true); p += 4; return v; }
      case 6: { need(4); const v = dv.getFloat32(p, true); p += 4; return v; }
      case 7: need(1); return dv.getUint8(p++) !== 0;
      case 8: return str();
      case 10: { need(8); const v = dv.getBigUint64(p, true); p += 8; return v; }
      case 11: { need(8); const v = dv.getBigInt64(p, true); p += 8; return v; }
      case 12: { need(8); const v = dv.getFloat64(p, true); p += 8; return v; }
      default: throw new Error(`${file}: unknown GGUF value type ${t} at byte ${p}`);
    }
  };
  need(4);
  if (buf.toString('latin1', 0, 4) !== 'GGUF') throw new Error(`${file}: not a GGUF file (bad magic)`);
  p = 4;
  const version = u32();
  const nTensors = u64();
  const nKv = u64();
  const metadata: GgufHeader['metadata'] = new Map();
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const t = u32();
    if (t === 9) {
      const it = u32();
      const n = u64();
      const arr: unknown[] = [];
      for (let j = 0; j < n; j++) arr.push(scalar(it));
      metadata.set(key, { type: 'array', itemType: VALUE_TYPE_NAME[it] as GgufScalarType, value: arr });
    } else {
      metadata.set(key, { type: VALUE_TYPE_NAME[t] ?? ('uint8' as const), value: scalar(t) });
    }
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nd = u32();
    const shape: number[] = [];
    for (let j = 0; j < nd; j++) shape.push(u64());
    const type = u32();
    const offset = u64();
    tensors.push({ name, shape, type, offset });
  }
  const alignment = Number(metadata.get('general.alignment')?.value ?? 32);
  const dataOffset = p + ((alignment - (p % alignment)) % alignment);
  return { version, metadata, tensors, alignment, dataOffset };
}

/** Read one tensor's data (F32, F16, Q8_0 or Q4_0, dequantized) from a GGUF file as Float32 (for tests). */
export async function readGgufTensor(file: string, name: string): Promise<Float32Array> {
  const h = await readGgufHeader(file);
  const info = h.tensors.find((t) => t.name === name);
  if (!info) throw new Error(`${file}: no tensor "${name}"`);
  const n = info.shape.reduce((a, b) => a * b, 1);
  const type = GGML_TYPE_NAME[info.type];
  if (!type) throw new Error(`${file}: tensor "${name}" has unsupported ggml type ${info.type}`);
  const buf = await fsp.readFile(file);
  const start = h.dataOffset + info.offset;
  return decodeGgml(type, buf.subarray(start, start + ggmlBytes(type, n)), n);
}

// ---------------------------------------------------------------------------
// Hugging Face checkpoint -> GGUF
// ---------------------------------------------------------------------------

export interface CheckpointToGgufOptions {
  /** Encoding of the weight matrices (default f32); norms, biases and 1-D tensors stay F32 (see ggmlTypeFor). */
  quant?: GgufQuant;
  /** @deprecated the same as quant 'f32' / 'f16'. */
  dtype?: 'F32' | 'F16';
  /** BERT pooling: 'none' | 'mean' | 'cls' | 'last' (default 'cls'). */
  pooling?: 'none' | 'mean' | 'cls' | 'last';
  /** general.name (default: config._name_or_path or the model type). */
  name?: string;
  /** tokenizer.ggml.pre for byte-level BPE vocabularies (default: recognized from tokenizer.json's split regex, else 'gpt-2'). */
  bpePre?: string;
  alignment?: number;
}


type AnyTensor = TensorInput & { shape: readonly number[] };
type Tensors = Map<string, AnyTensor> | Record<string, AnyTensor>;

function num(config: Record<string, unknown>, key: string, fallback?: number): number {
  const v = config[key];
  if (typeof v === 'number') return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`config.json: missing numeric "${key}"`);
}

interface TokenizerJsonLike {
  model?: { type?: string; vocab?: Record<string, number> | Array<[string, number]>; merges?: Array<string | [string, string]>; unk_token?: string };
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
  post_processor?: { type?: string; single?: Array<Record<string, unknown>> } | null;
  pre_tokenizer?: unknown;
}

const readJsonIfExists = (file: string) => readJson(file, false);


interface GgufVocab {
  kind: 'gpt2' | 'bert';
  tokens: string[];
  types: number[];
  merges?: string[];
  special: Partial<Record<'bos' | 'eos' | 'unk' | 'sep' | 'pad' | 'cls' | 'mask', number>>;
  addBos?: boolean;
  addEos?: boolean;
  chatTemplate?: string;
  /** llama.cpp's name for the pre-tokenizer regex, when tokenizer.json uses one it knows. */
  pre?: string;
}

// Split regexes of tokenizer.json pre-tokenizers and llama.cpp's names for them (llama-vocab.cpp).
const KNOWN_PRE: Record<string, string> = {
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'qwen2',
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'llama-bpe',
};

/** The first Split regex of a (possibly nested) pre_tokenizer, mapped to llama.cpp's pre-tokenizer name. */
export function knownPreTokenizer(preTokenizer: unknown): string | undefined {
  const p = preTokenizer as { type?: string; pattern?: { Regex?: string }; pretokenizers?: unknown[] } | null | undefined;
  if (!p) return undefined;
  if (p.type === 'Split' && typeof p.pattern?.Regex === 'string') return KNOWN_PRE[p.pattern.Regex];
  for (const inner of p.pretokenizers ?? []) {
    const found = knownPreTokenizer(inner);
    if (found) return found;
  }
  return undefined;
}

const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 };

async function buildVocab(tokenizerDir: string, nVocab: number, config: Record<string, unknown>): Promise<GgufVocab> {
  const tjPath = path.join(tokenizerDir, 'tokenizer.json');
  const tj = (await readJsonIfExists(tjPath)) as TokenizerJsonLike | undefined;
  if (!tj) throw new Error(`${tjPath}: tokenizer.json is required for GGUF export`);
  const tc = (await readJsonIfExists(path.join(tokenizerDir, 'tokenizer_config.json'))) ?? {};
  const stm = (await readJsonIfExists(path.join(tokenizerDir, 'special_tokens_map.json'))) ?? {};
  const modelType = tj.model?.type;
  let kind: GgufVocab['kind'];
  if (modelType === 'WordPiece') kind = 'bert';
  else if (modelType === 'BPE') kind = 'gpt2';
  else throw new Error(`${tjPath}: tokenizer model type ${JSON.stringify(modelType)} is not supported for GGUF export (need BPE or WordPiece)`);
  const vocab = new Map<string, number>(Array.isArray(tj.model?.vocab) ? tj.model!.vocab : Object.entries(tj.model?.vocab ?? {}));
  const byId = new Map<number, string>();
  for (const [tok, id] of vocab) byId.set(id, tok);
  const added = new Map<number, { content: string; special: boolean }>();
  for (const a of tj.added_tokens ?? []) {
    added.set(a.id, { content: a.content, special: a.special ?? false });
    byId.set(a.id, a.content);
    vocab.set(a.content, a.id);
  }
  const maxId = Math.max(-1, ...byId.keys());
  if (maxId >= nVocab) throw new Error(`${tjPath}: token id ${maxId} does not fit the model's ${nVocab} embedding rows`);
  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < nVocab; i++) {
    let tok = byId.get(i);
    let type = TOKEN_TYPE.NORMAL;
    if (tok === undefined) {
      tok = `[PAD${i}]`;
      type = TOKEN_TYPE.UNUSED;
    } else if (added.has(i)) {
      type = added.get(i)!.special ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED;
    }
    if (kind === 'bert' && type !== TOKEN_TYPE.UNUSED) {
      // llama.cpp's WPM vocabulary uses "phantom space": word-initial pieces get a U+2581 prefix,
      // continuation pieces lose their "##", bracketed specials stay as they are.
      if (tok.startsWith('[') && tok.endsWith(']')) { /* keep */ } else if (tok.startsWith('##')) tok = tok.slice(2);
      else tok = '\u2581' + tok;
    }
    tokens.push(tok);
    types.push(type);
  }
  const special: GgufVocab['special'] = {};
  const lookup = (names: string[], fallbacks: string[], configKey?: string): number | undefined => {
    for (const n of names) {
      const c = tokenContent(tc[n]) ?? tokenContent(stm[n]);
      if (c !== undefined && vocab.has(c)) return vocab.get(c);
    }
    if (configKey && typeof config[configKey] === 'number') return config[configKey] as number;
    for (const f of fallbacks) if (vocab.has(f)) return vocab.get(f);
    return undefined;
  };
  const set = (k: keyof GgufVocab['special'], v: number | undefined): void => { if (v !== undefined) special[k] = v; };
  set('bos', lookup(['bos_token'], kind === 'bert' ? ['[CLS]'] : ['<s>', '<|begin_of_text|>', '<|endoftext|>'], 'bos_token_id'));
  set('eos', lookup(['eos_token'], kind === 'bert' ? ['[SEP]'] : ['</s>', '<|end_of_text|>', '<|endoftext|>'], 'eos_token_id'));
  set('unk', lookup(['unk_token'], [tj.model?.unk_token ?? '', '[UNK]', '<unk>']));
  set('sep', lookup(['sep_token'], ['[SEP]']));
  set('pad', lookup(['pad_token'], ['[PAD]', '<pad>'], 'pad_token_id'));
  set('cls', lookup(['cls_token'], ['[CLS]']));
  set('mask', lookup(['mask_token'], ['[MASK]']));
  let merges: string[] | undefined;
  if (kind === 'gpt2') {
    merges = (tj.model?.merges ?? []).map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : m));
  }
  // add_bos: explicit in tokenizer_config, else whether the post-processor template starts with a special token.
  let addBos: boolean | undefined = typeof tc.add_bos_token === 'boolean' ? tc.add_bos_token : undefined;
  let addEos: boolean | undefined = typeof tc.add_eos_token === 'boolean' ? tc.add_eos_token : undefined;
  const single = tj.post_processor?.type === 'TemplateProcessing' ? tj.post_processor.single : undefined;
  if (single && single.length > 0) {
    if (addBos === undefined) addBos = 'SpecialToken' in single[0]!;
    if (addEos === undefined) addEos = 'SpecialToken' in single[single.length - 1]!;
  }
  const chatTemplate = typeof tc.chat_template === 'string' ? tc.chat_template : undefined;
  const pre = knownPreTokenizer(tj.pre_tokenizer);
  return { kind, tokens, types, merges, special, addBos, addEos, chatTemplate, ...(pre ? { pre } : {}) };
}

function addVocab(md: GgufMetadataBuilder, v: GgufVocab, bpePre: string | undefined): void {
  md.string('tokenizer.ggml.model', v.kind);
  md.string('tokenizer.ggml.pre', v.kind === 'gpt2' ? bpePre ?? v.pre ?? 'gpt-2' : 'default');
  md.array('tokenizer.ggml.tokens', 'string', v.tokens);
  if (v.kind === 'bert') md.array('tokenizer.ggml.scores', 'float32', v.tokens.map(() => 0));
  md.array('tokenizer.ggml.token_type', 'int32', v.types);
  if (v.merges) md.array('tokenizer.ggml.merges', 'string', v.merges);
  const keys = { bos: 'bos_token_id', eos: 'eos_token_id', unk: 'unknown_token_id', sep: 'seperator_token_id', pad: 'padding_token_id', cls: 'cls_token_id', mask: 'mask_token_id' } as const;
  for (const [k, key] of Object.entries(keys)) {
    const id = v.special[k as keyof typeof keys];
    if (id !== undefined) md.uint32(`tokenizer.ggml.${key}`, id);
  }
  if (v.addBos !== undefined) md.bool('tokenizer.ggml.add_bos_token', v.addBos);
  if (v.addEos !== undefined) md.bool('tokenizer.ggml.add_eos_token', v.addEos);
  if (v.chatTemplate) md.string('tokenizer.chat_template', v.chatTemplate);
}

function getTensor(tensors: Tensors, name: string): AnyTensor | undefined {
  return tensors instanceof Map ? tensors.get(name) : tensors[name];
}

/** A checkpoint converted to llama.cpp's names and metadata, tensors still float32 (quantize before writing, or not). */
export interface GgufConversion {
  arch: string;
  /** general.*, the architecture's keys and the tokenizer. */
  metadata: GgufMetadataBuilder;
  /** llama.cpp names, row-major HF shapes, float32 data (transformed where the family says, e.g. RoPE-permuted). */
  tensors: Array<{ name: string; hfShape: readonly number[]; data: Float32Array }>;
}

/**
 * Map a Hugging Face checkpoint (config.json contents + tensors + tokenizer folder) to llama.cpp's
 * architecture, metadata and tensor names. The mapping is the family's (src/models/families/);
 * families llama.cpp lacks (or tuneshot has not mapped) are an error listing those it has.
 */
export async function convertCheckpoint(config: Record<string, unknown>, tensors: Tensors, tokenizerDir: string, opts: CheckpointToGgufOptions = {}): Promise<GgufConversion> {
  const modelType = String(config['model_type']);
  const mapping = familyOf(modelType)?.gguf;
  if (!mapping) {
    const supported = FAMILIES.filter((f) => f.gguf).flatMap((f) => f.modelTypes);
    throw new Error(`GGUF export: unsupported model_type ${JSON.stringify(config['model_type'])} (supported: ${supported.join(', ')})`);
  }
  const md = new GgufMetadataBuilder();
  md.string('general.architecture', mapping.arch);
  md.string('general.name', opts.name ?? (typeof config['_name_or_path'] === 'string' && config['_name_or_path'] ? config['_name_or_path'] : modelType));
  md.uint32('general.alignment', opts.alignment ?? 32);
  md.uint32('general.file_type', GGUF_FILE_TYPE[quantOf(opts)]);
  const out: GgufConversion['tensors'] = [];
  const { vocabSize } = mapping.convert({
    config, md, pooling: opts.pooling ?? 'cls',
    num: (key, fallback) => num(config, key, fallback),
    has: (name) => getTensor(tensors, name) !== undefined,
    take: (name, optional = false) => {
      const t = getTensor(tensors, name);
      if (!t && !optional) throw new Error(`checkpoint tensor "${name}" is missing (model_type ${modelType})`);
      return t;
    },
    put: (name, t, data = t.data) => void out.push({ name, hfShape: t.shape, data }),
  });
  addVocab(md, await buildVocab(tokenizerDir, vocabSize, config), opts.bpePre);
  return { arch: mapping.arch, metadata: md, tensors: out };
}

const quantOf = (opts: CheckpointToGgufOptions): GgufQuant => opts.quant ?? (opts.dtype === 'F16' ? 'f16' : 'f32');

/** Convert a Hugging Face checkpoint to a GGUF file llama.cpp can load (F32, F16, Q8_0 or Q4_0 matrices). Returns what was written. */
export async function checkpointToGguf(
  config: Record<string, unknown>,
  tensors: Tensors,
  tokenizerDir: string,
  outPath: string,
  opts: CheckpointToGgufOptions = {},
): Promise<GgufFile> {
  const conv = await convertCheckpoint(config, tensors, tokenizerDir, opts);
  const quant = quantOf(opts);
  // Tensor types as llama.cpp's quantizer picks them; the output projection is the token embedding when there is none.
  const hasOutput = conv.tensors.some((t) => t.name === 'output.weight');
  const out: GgufTensor[] = conv.tensors.map((t) => {
    const shape = [...t.hfShape].reverse();
    return { name: t.name, shape, type: ggmlTypeFor(quant, t.name, shape, t.name === 'output.weight' || (!hasOutput && t.name === 'token_embd.weight')), data: t.data };
  });
  const file: GgufFile = { metadata: conv.metadata, tensors: out };
  await writeGguf(outPath, file);
  return file;
}

/** Export a model (folder, embedded name or Hub id, through loadPretrained's resolver) to GGUF. */
export async function exportGguf(model: string, outPath: string, opts: CheckpointToGgufOptions & PretrainedOptions = {}): Promise<GgufFile> {
  const { dir } = await resolvePretrained(model, opts);
  const ck = await readCheckpoint(dir);
  return checkpointToGguf(ck.config, ck.tensors, dir, outPath, opts);
}
