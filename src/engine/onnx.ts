// Serialize the part of a graph that computes the requested outputs as an ONNX ModelProto, using
// the published ONNX protobuf definitions (onnx-proto), not a hand-written encoder.
import { createRequire } from 'node:module';
import { AttrValue, ConstData, Graph, GraphError, Tensor, ancestors } from './graph.js';
import { onnxDtypeCode } from './ops.js';
import type { onnx as OnnxNs } from 'onnx-proto';

const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs };

export const OPSET = 18;

/** Every op the engine's constructors and gradient rules emit; anything else is a bad graph. */
export const KNOWN_OPS = new Set([
  'Identity', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Neg', 'Sqrt', 'Exp', 'Log', 'Erf', 'Tanh', 'Sigmoid', 'Relu', 'Cos', 'Sin',
  'Cast', 'Where', 'Equal', 'Less', 'Greater', 'Not', 'And', 'MatMul', 'Reshape', 'Shape', 'Size', 'Transpose', 'Unsqueeze', 'Squeeze',
  'Expand', 'Concat', 'Slice', 'Split', 'Gather', 'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceProd', 'Softmax', 'LogSoftmax',
  'LayerNormalization', 'Dropout', 'SoftmaxCrossEntropyLoss', 'ConstantOfShape', 'ScatterND', 'OneHot', 'Pad', 'ArgMax', 'Range', 'TopK',
]);

function tensorProto(name: string, c: ConstData): OnnxNs.ITensorProto {
  const p: OnnxNs.ITensorProto = { name, dataType: onnxDtypeCode(c.dtype), dims: c.shape };
  const v = c.values as ArrayLike<number | bigint>;
  switch (c.dtype) {
    case 'float32': p.rawData = new Uint8Array(Float32Array.from(v as ArrayLike<number>).buffer); break;
    case 'float64': p.rawData = new Uint8Array(Float64Array.from(v as ArrayLike<number>).buffer); break;
    case 'int64': p.rawData = new Uint8Array(BigInt64Array.from(Array.from(v, (x) => BigInt(x))).buffer); break;
    case 'int32': p.rawData = new Uint8Array(Int32Array.from(Array.from(v, Number)).buffer); break;
    case 'bool': p.rawData = Uint8Array.from(Array.from(v, (x) => (Number(x) ? 1 : 0))); break;
  }
  return p;
}

function attribute(name: string, v: AttrValue): OnnxNs.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: tensorProto('', v.tensor) };
}

function valueInfo(t: Tensor): OnnxNs.IValueInfoProto {
  return {
    name: t.name,
    type: { tensorType: { elemType: onnxDtypeCode(t.dtype), shape: { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export interface SerializedGraph {
  bytes: Uint8Array;
  /** Inputs and parameters the model reads, in the order they appear in the model. */
  feeds: Tensor[];
}

export interface ToOnnxOptions {
  name?: string;
  /**
   * Runs the random kernels (Dropout) have already made: their seeds are advanced by this many, so a
   * new session draws what the old one would have drawn next (a resumed training run).
   */
  randomRuns?: number;
}

/** Ops whose seed attribute numbers the generator of their first run (see ops.dropout). */
const SEEDED_OPS = new Set(['Dropout']);

/** Build the ModelProto that computes `outputs` from the graph's inputs, parameters and constants. */
export function toOnnx(graph: Graph, outputs: Tensor[], options: ToOnnxOptions = {}): SerializedGraph {
  const runs = options.randomRuns ?? 0;
  if (!Number.isInteger(runs) || runs < 0) throw new GraphError(`randomRuns must be a whole number >= 0, got ${runs}`);
  const nodes = ancestors(outputs);
  for (const n of nodes) if (!KNOWN_OPS.has(n.op)) throw new GraphError(`unknown op "${n.op}" (node ${n.id}): not an op the engine can run`);
  const used = new Set<Tensor>(outputs);
  for (const n of nodes) for (const t of n.inputs) used.add(t);
  const feeds = graph.tensors.filter((t) => used.has(t) && (t.kind === 'input' || t.kind === 'param'));
  const consts = graph.tensors.filter((t) => used.has(t) && t.kind === 'const');
  // An output that is itself a graph input needs an Identity so ONNX sees a computed value.
  const outNames = new Map<Tensor, string>();
  const extra: OnnxNs.INodeProto[] = [];
  for (const t of outputs) {
    if (t.kind !== 'op') {
      const alias = `${t.name}__out`;
      extra.push({ opType: 'Identity', input: [t.name], output: [alias], name: alias });
      outNames.set(t, alias);
    }
  }
  const model: OnnxNs.IModelProto = {
    irVersion: 8,
    producerName: 'tuneshot',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: options.name ?? 'tuneshot',
      node: [
        ...nodes.map((n) => ({
          opType: n.op,
          domain: n.domain,
          name: `n${n.id}_${n.op}`,
          input: n.inputs.map((t) => t.name),
          output: n.outputs.map((t) => t.name),
          attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, SEEDED_OPS.has(n.op) && k === 'seed' && typeof v === 'number' ? v + runs : v)),
        })),
        ...extra,
      ],
      initializer: consts.map((t) => tensorProto(t.name, t.constData!)),
      input: feeds.map(valueInfo),
      output: outputs.map((t) => ({ ...valueInfo(t), name: outNames.get(t) ?? t.name })),
    },
  };
  return { bytes: onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), feeds };
}

/** The name under which an output tensor appears in the serialized model. */
export function outputName(t: Tensor): string {
  return t.kind === 'op' ? t.name : `${t.name}__out`;
}
