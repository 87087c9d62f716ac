// Dynamic int8 quantization of an ONNX model's weight MatMuls, in standard ONNX ops that both
// onnxruntime-node and onnxruntime-web run (and that ONNX Runtime's CPU optimizer fuses into its
// DynamicQuantizeMatMul kernel):
//
//   y = MatMul(x, W)   becomes   xq, xs, xz = DynamicQuantizeLinear(x)      (uint8, per tensor, at run time)
//                                y = Cast(MatMulInteger(xq, Wq, xz)) * (xs * ws)
//
// W (a float initializer, or the Transpose of one, as torch.nn.Linear layers are built) is quantized
// once here: symmetric int8 per output column, ws[n] = max_k |W[k, n]| / 127, Wq = round(W / ws).
// Activations and every other op stay float32; embedding lookups are untouched.
import type { onnx as OnnxNs } from 'onnx-proto';
import { onnx, type ModelProto } from './onnx-model.js';

type TensorProto = OnnxNs.ITensorProto;
type NodeProto = OnnxNs.INodeProto;

const FLOAT = 1, INT8 = 3;

function floatValues(t: TensorProto): Float32Array {
  if (t.dataType !== FLOAT) throw new Error(`initializer ${t.name}: not float32`);
  if (t.rawData && t.rawData.length) {
    const raw = t.rawData;
    // Copy when unaligned: a Float32Array view needs a 4-byte aligned offset.
    return raw.byteOffset % 4 === 0 ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4) : new Float32Array(raw.slice().buffer);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** W [K, N] (or W^T stored [N, K] when `transposed`) -> int8 [K, N] and per-column scales [N]. */
export function quantizeColumns(w: Float32Array, K: number, N: number, transposed: boolean): { q: Int8Array; scale: Float32Array } {
  const at = transposed ? (k: number, n: number) => w[n * K + k]! : (k: number, n: number) => w[k * N + n]!;
  const scale = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let amax = 0;
    for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(at(k, n)));
    scale[n] = amax / 127;
  }
  const q = new Int8Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      const s = scale[n]!;
      q[k * N + n] = s ? Math.max(-127, Math.min(127, Math.round(at(k, n) / s))) : 0;
    }
  }
  return { q, scale };
}

export interface QuantizeReport {
  /** MatMuls turned into int8 MatMulIntegers. */
  matmuls: number;
  /** Bytes of float weights replaced by int8 ones. */
  floatBytes: number;
  int8Bytes: number;
}

/** Rewrite `model` in place; returns what was quantized. */
export function quantizeDynamicInt8(model: ModelProto): QuantizeReport {
  const graph = model.graph!;
  const inits = new Map<string, TensorProto>((graph.initializer ?? []).map((t) => [t.name!, t]));
  const producer = new Map<string, NodeProto>();
  for (const n of graph.node ?? []) for (const out of n.output ?? []) producer.set(out, n);

  const nodes: NodeProto[] = [];
  const dql = new Map<string, [string, string, string]>(); // activation -> quantized, scale, zero point
  const weights = new Map<string, { q: string; scale: string }>();
  const newInits: TensorProto[] = [];
  const report: QuantizeReport = { matmuls: 0, floatBytes: 0, int8Bytes: 0 };

  /** The float matrix behind a MatMul's B input: an initializer, or Transpose(perm 1,0) of one. */
  const weightOf = (b: string): { init: TensorProto; transposed: boolean } | undefined => {
    const direct = inits.get(b);
    if (direct) return direct.dims?.length === 2 && direct.dataType === FLOAT ? { init: direct, transposed: false } : undefined;
    const t = producer.get(b);
    if (t?.opType !== 'Transpose' || !inits.has(t.input![0]!)) return undefined;
    const src = inits.get(t.input![0]!)!;
    const perm = t.attribute?.find((a) => a.name === 'perm')?.ints?.map(Number);
    if (src.dims?.length !== 2 || src.dataType !== FLOAT || (perm && !(perm[0] === 1 && perm[1] === 0))) return undefined;
    return { init: src, transposed: true };
  };

  for (const n of graph.node ?? []) {
    const w = n.opType === 'MatMul' && (n.domain ?? '') === '' ? weightOf(n.input![1]!) : undefined;
    if (!w) {
      nodes.push(n);
      continue;
    }
    const x = n.input![0]!, y = n.output![0]!;
    const dims = w.init.dims!.map(Number);
    const [K, N] = w.transposed ? [dims[1]!, dims[0]!] : [dims[0]!, dims[1]!];
    const key = `${w.init.name}${w.transposed ? '^T' : ''}`;
    let qw = weights.get(key);
    if (!qw) {
      const { q, scale } = quantizeColumns(floatValues(w.init), K, N, w.transposed);
      qw = { q: `${key}_quantized`, scale: `${key}_scale` };
      newInits.push({ name: qw.q, dataType: INT8, dims: [K, N], rawData: new Uint8Array(q.buffer) });
      newInits.push({ name: qw.scale, dataType: FLOAT, dims: [N], rawData: new Uint8Array(scale.buffer) });
      weights.set(key, qw);
      report.floatBytes += K * N * 4;
      report.int8Bytes += K * N + N * 4;
    }
    let xq = dql.get(x);
    if (!xq) {
      xq = [`${x}_quantized`, `${x}_scale`, `${x}_zero_point`];
      nodes.push({ opType: 'DynamicQuantizeLinear', input: [x], output: xq, name: `${x}_DynamicQuantizeLinear` });
      dql.set(x, xq);
    }
    nodes.push(
      { opType: 'MatMulInteger', input: [xq[0], qw.q, xq[2]], output: [`${y}_int32`], name: `${n.name}_MatMulInteger` },
      { opType: 'Cast', input: [`${y}_int32`], output: [`${y}_float`], name: `${n.name}_Cast`, attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
      { opType: 'Mul', input: [xq[1], qw.scale], output: [`${y}_scale`], name: `${n.name}_scale` },
      { opType: 'Mul', input: [`${y}_float`, `${y}_scale`], output: [y], name: `${n.name}_output` },
    );
    report.matmuls++;
  }

  // Drop what nothing reads any more: transposes of quantized weights, then the float weights themselves.
  const used = (list: NodeProto[]) => {
    const u = new Set<string>(graph.output!.map((o) => o.name!));
    for (const n of list) for (const i of n.input ?? []) u.add(i);
    return u;
  };
  let live = used(nodes);
  graph.node = nodes.filter((n) => n.opType !== 'Transpose' || (n.output ?? []).some((o) => live.has(o)));
  live = used(graph.node);
  graph.initializer = [...(graph.initializer ?? []).filter((t) => live.has(t.name!)), ...newInits];
  return report;
}
