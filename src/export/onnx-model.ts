// A self-contained ONNX model from an export graph: the engine serializes the ops (parameters as
// graph inputs, as it feeds them at run time); here the parameters become initializers holding the
// model's weights and the outputs get the names consumers read.
import { createRequire } from 'node:module';
import type { onnx as OnnxNs } from 'onnx-proto';
import { ParamStore, toOnnx } from '../engine/index.js';
import type { ExportGraph } from './onnx-graph.js';

const require = createRequire(import.meta.url);
export const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs };
export type ModelProto = OnnxNs.IModelProto;

/** protobuf messages cannot exceed 2 GiB; larger models would need ONNX external data. */
const MAX_PROTO_BYTES = 2 ** 31 - 2 ** 24;

export function toModelProto(eg: ExportGraph, params: ParamStore, name = 'tuneshot'): ModelProto {
  const { bytes, feeds } = toOnnx(eg.graph, eg.outputs.map((x) => x.tensor), { name });
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const wanted = new Set(eg.inputs.map((t) => t.name));
  for (const t of feeds) if (t.kind === 'input' && !wanted.has(t.name)) throw new Error(`export graph reads input ${t.name} it does not declare`);
  let total = 0;
  const initializers: OnnxNs.ITensorProto[] = [];
  for (const t of feeds) {
    if (t.kind !== 'param') continue;
    const v = params.get(t.name);
    if (!v) throw new Error(`tensor ${t.name} has no value in the model`);
    const d = v.data as Float32Array;
    total += d.byteLength;
    initializers.push({ name: t.name, dataType: onnx.TensorProto.DataType.FLOAT, dims: v.shape, rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) });
  }
  if (total > MAX_PROTO_BYTES) throw new Error(`the model's ${(total / 2 ** 30).toFixed(2)} GiB of weights exceed what one ONNX file can hold (2 GiB); external-data export is not supported`);
  // Inputs in the declared order (the engine lists them in creation order, which is the same here).
  const byName = new Map(graph.input!.map((i) => [i.name!, i]));
  graph.input = eg.inputs.map((t) => byName.get(t.name)!);
  graph.initializer = [...(graph.initializer ?? []), ...initializers];
  // Outputs under their public names: an Identity from the engine's tensor name.
  const outs = new Map(graph.output!.map((v, i) => [i, v]));
  graph.output = eg.outputs.map((x, i) => {
    const v = outs.get(i)!;
    graph.node!.push({ opType: 'Identity', input: [v.name!], output: [x.name], name: `output_${x.name}` });
    return { ...v, name: x.name };
  });
  model.producerName = 'tuneshot';
  geluAsDiv(model);
  return model;
}

/**
 * The erf GELU is built as x * 0.5 * (1 + erf(x * (1/sqrt 2))); ONNX Runtime fuses it into one Gelu
 * kernel only when the scaling is written Div(x, sqrt 2), so that is how it is written here (same
 * value to float rounding). Measured on the embedded encoder: a quarter of the int8 graph's time
 * went to the unfused Mul / Erf / Add chain.
 */
function geluAsDiv(model: ModelProto): void {
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const producer = new Map<string, OnnxNs.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const scalarOf = (name: string): number | undefined => {
    const t = inits.get(name);
    if (!t || t.dataType !== onnx.TensorProto.DataType.FLOAT || (t.dims ?? []).length !== 0 || t.rawData?.length !== 4) return undefined;
    return new DataView(t.rawData.buffer, t.rawData.byteOffset, 4).getFloat32(0, true);
  };
  let sqrt2: string | undefined;
  for (const n of graph.node ?? []) {
    const mul = n.opType === 'Erf' ? producer.get(n.input![0]!) : undefined;
    if (mul?.opType !== 'Mul') continue;
    const c = mul.input!.findIndex((i) => Math.abs((scalarOf(i) ?? 0) - Math.SQRT1_2) < 1e-6);
    if (c < 0) continue;
    if (!sqrt2) {
      sqrt2 = 'gelu_sqrt2';
      graph.initializer!.push({ name: sqrt2, dataType: onnx.TensorProto.DataType.FLOAT, dims: [], rawData: new Uint8Array(Float32Array.of(Math.SQRT2).buffer) });
    }
    mul.opType = 'Div';
    mul.input = [mul.input![1 - c]!, sqrt2];
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
