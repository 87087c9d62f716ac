// Deploying adapted models: `tuneshot export` (GGUF, transformers.js ONNX folders) and int8 classifiers.
export { exportModel, checkExportOptions, onnxArchitecture, EXPORT_FORMATS, ONNX_QUANTS } from './export.js';
export type { ExportOptions, ExportResult, ExportFormat, OnnxQuant } from './export.js';
export { loadExportSource } from './load.js';
export type { ExportKind, ExportSource } from './load.js';
export { quantizeClassifier, int8ClassifierModel, QUANTIZE_MODES } from './int8-classifier.js';
export type { QuantizeMode } from './int8-classifier.js';
export { buildExportGraph } from './onnx-graph.js';
export type { OnnxTask, ExportGraph } from './onnx-graph.js';
export { quantizeDynamicInt8 } from './quantize-int8.js';
export { ollamaModelfile } from './modelfile.js';
export { GGUF_QUANTS } from '../formats/gguf-quant.js';
export type { GgufQuant } from '../formats/gguf-quant.js';
