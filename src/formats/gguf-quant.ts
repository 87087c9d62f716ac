/**
 * ggml tensor encodings for GGUF: F32, F16 and the block formats Q8_0 and Q4_0, byte for byte as
 * ggml's reference quantizers (quantize_row_q8_0_ref / quantize_row_q4_0_ref) lay them out, and
 * the rule for which tensors llama.cpp's own quantizer leaves unquantized.
 *
 *   Q8_0 block (34 bytes, 32 values): f16 d = amax / 127, then 32 int8 q = round(x / d).
 *   Q4_0 block (18 bytes, 32 values): f16 d = max / -8 (max: the signed value of largest magnitude),
 *     then 16 bytes; byte j holds element j in its low nibble and element j + 16 in its high
 *     nibble, each stored as min(15, trunc(x / d + 8.5)), i.e. offset by 8.
 * The arithmetic is float32 as in C (Math.fround), and rounding is C's roundf (half away from zero).
 */
import { f16ToF32, f32ToF16 } from './safetensors.js';

export type GgmlType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0';
/** ggml_type ids (ggml.h). */
export const GGML_TYPE: Record<GgmlType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 };
export const GGML_TYPE_NAME = Object.fromEntries(Object.entries(GGML_TYPE).map(([k, v]) => [v, k])) as Record<number, GgmlType>;

/** What `tuneshot export --format gguf --quant` offers. */
export const GGUF_QUANTS = ['f32', 'f16', 'q8_0', 'q4_0'] as const;
export type GgufQuant = (typeof GGUF_QUANTS)[number];

/** llama_ftype stored as general.file_type: ALL_F32, MOSTLY_F16, MOSTLY_Q4_0, MOSTLY_Q8_0. */
export const GGUF_FILE_TYPE: Record<GgufQuant, number> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7 };
const QUANT_TYPE: Record<GgufQuant, GgmlType> = { f32: 'F32', f16: 'F16', q8_0: 'Q8_0', q4_0: 'Q4_0' };

export const QK = 32;
const BLOCK_BYTES: Record<GgmlType, number> = { F32: 4, F16: 2, Q8_0: 2 + QK, Q4_0: 2 + QK / 2 };
/** Values a block holds (1 for the plain float types). */
const BLOCK_VALUES: Record<GgmlType, number> = { F32: 1, F16: 1, Q8_0: QK, Q4_0: QK };

const fr = Math.fround;
/** C's roundf: halves round away from zero (Math.round would send -2.5 to -2). */
const roundf = (x: number) => (x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5));

export function isGgufQuant(s: string): s is GgufQuant {
  return (GGUF_QUANTS as readonly string[]).includes(s);
}

/** Bytes of a tensor of `n` values in `type` (n must be a whole number of blocks). */
export function ggmlBytes(type: GgmlType, n: number): number {
  return (n / BLOCK_VALUES[type]) * BLOCK_BYTES[type];
}

/** Encode float32 values as `type`. Block types need a multiple of 32 values (rows are quantized whole). */
export function encodeGgml(type: GgmlType, data: Float32Array, what = 'tensor'): Uint8Array {
  if (type === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (type === 'F16') {
    const out = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = f32ToF16(data[i]!);
    return new Uint8Array(out.buffer);
  }
  if (data.length % QK !== 0) throw new Error(`${what}: ${data.length} values are not a whole number of ${QK}-value ${type} blocks`);
  const nb = data.length / QK;
  const out = new Uint8Array(nb * BLOCK_BYTES[type]);
  const dv = new DataView(out.buffer);
  if (type === 'Q8_0') {
    for (let b = 0; b < nb; b++) {
      const x = data.subarray(b * QK, (b + 1) * QK);
      let amax = 0;
      for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[j]!));
      const d = fr(amax / 127);
      const id = d ? fr(1 / d) : 0;
      const o = b * BLOCK_BYTES.Q8_0;
      dv.setUint16(o, f32ToF16(d), true);
      for (let j = 0; j < QK; j++) dv.setInt8(o + 2 + j, roundf(fr(x[j]! * id)));
    }
    return out;
  }
  for (let b = 0; b < nb; b++) {
    const x = data.subarray(b * QK, (b + 1) * QK);
    let amax = 0, max = 0;
    for (let j = 0; j < QK; j++) {
      if (amax < Math.abs(x[j]!)) {
        amax = Math.abs(x[j]!);
        max = x[j]!;
      }
    }
    const d = fr(max / -8);
    const id = d ? fr(1 / d) : 0;
    const o = b * BLOCK_BYTES.Q4_0;
    dv.setUint16(o, f32ToF16(d), true);
    for (let j = 0; j < QK / 2; j++) {
      // (int8_t)(x0 + 8.5f): truncation toward zero, then clamped to 15.
      const lo = Math.min(15, Math.trunc(fr(fr(x[j]! * id) + 8.5)));
      const hi = Math.min(15, Math.trunc(fr(fr(x[j + QK / 2]! * id) + 8.5)));
      out[o + 2 + j] = lo | (hi << 4);
    }
  }
  return out;
}

/** Decode `n` values of `type` from `bytes` (as ggml's dequantize_row_* does). */
export function decodeGgml(type: GgmlType, bytes: Uint8Array, n: number): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (type === 'F32') {
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  if (type === 'F16') {
    for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true));
    return out;
  }
  const nb = n / QK, size = BLOCK_BYTES[type];
  for (let b = 0; b < nb; b++) {
    const o = b * size, d = f16ToF32(dv.getUint16(o, true));
    if (type === 'Q8_0') for (let j = 0; j < QK; j++) out[b * QK + j] = d * dv.getInt8(o + 2 + j);
    else {
      for (let j = 0; j < QK / 2; j++) {
        const q = bytes[o + 2 + j]!;
        out[b * QK + j] = d * ((q & 0x0f) - 8);
        out[b * QK + j + QK / 2] = d * ((q >> 4) - 8);
      }
    }
  }
  return out;
}

/**
 * The ggml type a tensor gets in a `quant` file, following llama.cpp's quantizer: only matrices
 * (2-D and up) are quantized; norms, biases and other 1-D tensors stay F32, as do the position
 * embeddings and token-type embeddings (BERT), which llama.cpp never quantizes. A matrix whose rows
 * are not a whole number of 32-value blocks falls back to F16 (as convert_hf_to_gguf.py does).
 * The output projection (or the token embedding that stands in for it when tied) is kept at Q8_0 in
 * a Q4_0 file: llama.cpp's quantizer also raises that one tensor above 4 bits (it picks Q6_K, a k-quant
 * this writer does not implement).
 * `ggmlShape` is in ggml order (ne[0] = row length).
 */
export function ggmlTypeFor(quant: GgufQuant, ggufName: string, ggmlShape: readonly number[], isOutput: boolean): GgmlType {
  if (ggmlShape.length < 2) return 'F32';
  if (/_norm\.weight$|\.bias$/.test(ggufName)) return 'F32';
  if (ggufName === 'position_embd.weight' || ggufName === 'token_types.weight') return 'F32';
  let type = QUANT_TYPE[quant];
  if (type === 'Q4_0' && isOutput) type = 'Q8_0';
  if ((type === 'Q8_0' || type === 'Q4_0') && ggmlShape[0]! % QK !== 0) return 'F16';
  return type;
}
