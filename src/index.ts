// tuneshot's typed library API. The CLI (src/cli) only calls what is exported here.
export * from './engine/index.js';
export * from './models/index.js';
export { packageRoot } from './util/paths.js';
export { readSafetensors, writeSafetensors, readSafetensorsFolder, SafetensorsError } from './formats/safetensors.js';
export { readCheckpoint, writeCheckpoint, CheckpointError } from './formats/checkpoint.js';
export { Tokenizer } from './formats/tokenizer.js';
export { writeGguf, readGgufHeader, checkpointToGguf, convertCheckpoint, exportGguf } from './formats/gguf.js';
export type { GgufConversion } from './formats/gguf.js';
export { HubError, hubCacheDir, parseHubRef, type HubOptions, type HubErrorKind } from './hub/index.js';
export { loadExamples, sampleBudget, DataError, shuffle, builtinDataset, corpusPath, buildCorpus, readTextStream, trainTokenizer } from './data/index.js';
export type { Example, LoadOptions } from './data/index.js';
export * from './predictor.js';
export * from './export/index.js';
export type { LanguageModel, ContinuationScore, GenerateOptions as LmGenerateOptions, Generation } from './icl/language-model.js';
export { finetune, mergeLora } from './train/finetune.js';
export type { FinetuneOptions, FinetuneResult } from './train/finetune.js';
export { ALL_METHODS } from './train/methods/index.js';
export type { Method } from './train/methods/index.js';
export { FineTunedClassifier, FineTunedGenerator, loadClassifier } from './train/adapted.js';
export { pretrain } from './train/pretrain.js';
export type { PretrainOptions, PretrainResult } from './train/pretrain.js';

export * from './compare/index.js';
export { MajorityClassifier, TfidfClassifier } from './classical/index.js';
export type { TfidfClassifierOptions } from './classical/index.js';
export * from './remote/index.js';
export { distill, loadPool, formatSummary as formatDistillSummary, filterLabelled, openTeacher } from './distill/index.js';
export type { DistillOptions, DistillResult, DistillSummary, StudentOptions, TeacherOptions, LabelledItem } from './distill/index.js';
