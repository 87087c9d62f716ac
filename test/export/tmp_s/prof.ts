import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync } from 'node:fs';
import { TransformerModel, resolveModel, encoderFeeds } from '../../../src/models/index.js';
import { buildExportGraph } from '../../../src/export/onnx-graph.js';
import { toModelProto, encodeModel } from '../../../src/export/onnx-model.js';
import { quantizeDynamicInt8 } from '../../../src/export/quantize-int8.js';
import { loadExamples } from '../../../src/data/dataset.js';
const m = await TransformerModel.load(resolveModel('tuneshot-base-encoder'));
m.ensureParams({ head: 'cls', numLabels: 2 }, 1);
const eg = () => buildExportGraph(m, { task: 'classifier', numLabels: 2 });
const f32 = encodeModel(toModelProto(eg(), m.params));
const qp = toModelProto(eg(), m.params); quantizeDynamicInt8(qp); const q8 = encodeModel(qp);
const opt = { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const, executionMode: 'sequential' as const };
const dev = loadExamples('/work/shared/datasets/sst2/dev.jsonl', { task: 'classify' }).examples.map((e) => e.text);
const bs = Number(process.env.BS ?? 8);
const batches = Array.from({ length: 20 }, (_, i) => dev.slice(i * bs, (i + 1) * bs));
const feedsOf = (texts: string[]) => {
  const enc = m.tokenizer!.encodeBatch(texts, { maxLength: 128, truncation: true });
  const B = texts.length, T = enc.inputIds[0]!.length;
  const i64 = (r: number[][]) => new ort.Tensor('int64', BigInt64Array.from(r.flat(), BigInt), [B, T]);
  return { input_ids: i64(enc.inputIds), attention_mask: i64(enc.attentionMask), token_type_ids: i64(enc.tokenTypeIds!) };
};
const fs = batches.map(feedsOf);
const { program } = m.program({ head: 'cls', numLabels: 2 });
const internal = batches.map((b) => encoderFeeds(m, m.tokenizer!.encodeBatch(b, { maxLength: 128, truncation: true })));
const s32 = await ort.InferenceSession.create(f32, opt);
const s8 = await ort.InferenceSession.create(q8, opt);
const time = async (name: string, f: (i: number) => Promise<unknown>) => { const t = performance.now(); for (let r = 0; r < 3; r++) for (let i = 0; i < fs.length; i++) await f(i); return (performance.now() - t) / (3 * fs.length); };
for (let k = 0; k < 3; k++) {
  const a = await time('prog', (i) => program.run(internal[i]!, m.params));
  const b = await time('f32', (i) => s32.run(fs[i]!));
  const c = await time('int8', (i) => s8.run(fs[i]!));
  console.log(`program ${a.toFixed(2)} export-f32 ${b.toFixed(2)} int8 ${c.toFixed(2)} ms/batch; ratio ${(a / c).toFixed(2)}`);
}
if (process.env.PROF) {
  const sp = await ort.InferenceSession.create(process.env.PROF === 'f32' ? f32 : q8, { ...opt, enableProfiling: true, profileFilePrefix: '/tmp/scratch/prof' });
  for (let r = 0; r < 3; r++) for (const f of fs) await sp.run(f);
  const file = (sp as any).endProfiling?.() ;
  console.log('profile', file);
}
