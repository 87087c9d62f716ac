// A fine-tuned classifier served through its int8 graph: the export graph (the same one
// `tuneshot export --format onnx` writes) with dynamically quantized MatMuls, run on ONNX Runtime.
// `serve --quantize int8` and `predict --quantize int8` use it; labels, tokenization and
// probabilities are the classifier's own, only the logits come from the int8 graph.
import * as ort from 'onnxruntime-node';
import { defaultThreads } from '../engine/index.js';
import { decoderFeeds } from '../models/inference.js';
import { FineTunedClassifier } from '../train/adapted.js';
import { buildExportGraph } from './onnx-graph.js';
import { encodeModel, toModelProto } from './onnx-model.js';
import { quantizeDynamicInt8 } from './quantize-int8.js';

export const QUANTIZE_MODES = ['int8'] as const;
export type QuantizeMode = (typeof QUANTIZE_MODES)[number];

export function checkQuantizeMode(mode: string, where = '--quantize'): QuantizeMode {
  if (!(QUANTIZE_MODES as readonly string[]).includes(mode)) throw new Error(`${where} must be one of ${QUANTIZE_MODES.join(', ')}, got "${mode}"`);
  return mode as QuantizeMode;
}

/** The int8 ONNX model of a classifier (bytes ready for an InferenceSession). */
export function int8ClassifierModel(clf: FineTunedClassifier): Uint8Array {
  const proto = toModelProto(buildExportGraph(clf.model, { task: 'classifier', numLabels: clf.labels.length, pooling: clf.options.pooling }), clf.model.params);
  quantizeDynamicInt8(proto);
  return encodeModel(proto);
}

/** The same classifier, computing its logits with int8 MatMuls. */
export async function quantizeClassifier(clf: FineTunedClassifier, mode: QuantizeMode = 'int8', options: { threads?: number } = {}): Promise<FineTunedClassifier> {
  checkQuantizeMode(mode, 'quantize');
  const model = clf.model;
  const tok = model.tokenizer;
  if (!tok) throw new Error(`${model.sourceDir ?? 'model'}: no tokenizer.json`);
  const session = await ort.InferenceSession.create(int8ClassifierModel(clf), {
    intraOpNumThreads: options.threads ?? defaultThreads(), interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const maxLength = Math.min(clf.options.maxLength, model.config.maxPositions);
  const batchSize = clf.options.batchSize ?? 32;
  const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (x) => BigInt(x)), [rows.length, rows[0]!.length]);
  const run = async (texts: string[], pairs: (string | undefined)[]): Promise<Float32Array[]> => {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      const enc = tok.encodeBatch(texts.slice(i, i + batchSize), { pairs: pairs.slice(i, i + batchSize), maxLength, truncation: true });
      const feeds: Record<string, ort.Tensor> = { input_ids: i64(enc.inputIds), attention_mask: i64(enc.attentionMask) };
      if (session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = i64(enc.tokenTypeIds);
      if (session.inputNames.includes('position_ids')) {
        const p = decoderFeeds(enc).position_ids!;
        feeds['position_ids'] = new ort.Tensor('int64', p.data as BigInt64Array, p.shape);
      }
      const logits = (await session.run(feeds))['logits']!;
      const data = logits.data as Float32Array, width = logits.dims[1]!;
      for (let r = 0; r < enc.inputIds.length; r++) out.push(data.slice(r * width, (r + 1) * width));
    }
    return out;
  };
  return new FineTunedClassifier(model, clf.labels, { ...clf.options, logits: { kind: mode, run } });
}
