import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { TransformerModel, resolveModel } from '../../../src/models/index.js';
import { buildExportGraph } from '../../../src/export/onnx-graph.js';
import { toModelProto, encodeModel, onnx } from '../../../src/export/onnx-model.js';
import { quantizeDynamicInt8 } from '../../../src/export/quantize-int8.js';
const m = await TransformerModel.load(resolveModel('tuneshot-base-encoder'));
m.ensureParams({ head: 'cls', numLabels: 2 }, 1);
const qp = toModelProto(buildExportGraph(m, { task: 'classifier', numLabels: 2 }), m.params); quantizeDynamicInt8(qp);
const g = qp.graph!;
const inits = new Map(g.initializer!.map((t) => [t.name!, t]));
const prod = new Map<string, any>(); for (const n of g.node!) for (const o of n.output!) prod.set(o, n);
let k = 0;
for (const n of g.node!) {
  if (n.opType !== 'Erf') continue;
  const mul = prod.get(n.input![0]!);
  if (mul?.opType !== 'Mul') continue;
  const c = mul.input.map((i: string) => inits.get(i)).find(Boolean);
  console.log('const', c?.name, c?.dataType, c?.dims, c?.rawData?.length, c?.floatData);
  const name = `sqrt2_${k++}`;
  g.initializer!.push({ name, dataType: 1, dims: [], rawData: new Uint8Array(Float32Array.of(Math.SQRT2).buffer) });
  mul.opType = 'Div';
  mul.input = [mul.input.find((i: string) => !inits.has(i)), name];
}
const bytes = encodeModel(qp);
await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', optimizedModelFilePath: '/tmp/scratch/q8gelu.onnx' });
const o = onnx.ModelProto.decode(readFileSync('/tmp/scratch/q8gelu.onnx'));
const c: Record<string, number> = {}; for (const n of o.graph!.node!) c[n.opType!] = (c[n.opType!] ?? 0) + 1; console.log(c);
