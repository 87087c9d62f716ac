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
  const { bytes, feeds } = toOnnx(eg.graph, eg.outputs.map((x) => x.tensor), name);
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
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
