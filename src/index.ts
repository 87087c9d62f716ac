// tuneshot's typed library API. The CLI (src/cli) is a thin layer over it: its commands import the
// library from here, and only their own plumbing from elsewhere (option ranges and checks from
// src/options, progress display from src/util, output-path safety and atomic writes from src/io).
export * from './engine/index.js';
export * from './models/index.js';
export { packageRoot } from './util/paths.js';
export { readSafetensors, writeSafetensors, readSafetensorsFolder, SafetensorsError } from './formats/index.js';
export { readCheckpoint, writeCheckpoint, CheckpointError } from './formats/index.js';
export { Tokenizer } from './formats/index.js';
export { writeGguf, readGgufHeader, checkpointToGguf, convertCheckpoint, exportGguf } from './formats/index.js';
export type { GgufConversion } from './formats/index.js';
export { HubError, hubCacheDir, hubSettings, parseHubRef, collectHubModels } from './hub/index.js';
export type { HubOptions, HubSettings, HubErrorKind, HubModelRecord } from './hub/index.js';
export { loadExamples, sampleBudget, DataError, shuffle, builtinDataset, corpusPath, buildCorpus, readTextStream, trainTokenizer } from './data/index.js';
export type { Example, LoadOptions } from './data/index.js';
export * from './predictor.js';
export * from './export/index.js';
export type { LanguageModel, ContinuationScore, GenerateOptions as LmGenerateOptions, Generation } from './icl/index.js';
export {
  runIcl, createLanguageModel, parseBackendSpec, listBackends, registerBackend, withCache, truncateAll,
  createPromptProgram, loadPromptProgram, savePromptProgram, isPromptProgramFile, saveProgramWithBackend, loadProgramClassifier,
  BuiltinLanguageModel, OpenAILanguageModel, LlamaCppLanguageModel,
} from './icl/index.js';
export type {
  RunIclOptions, RunIclResult, IclPrediction, GenerationMetrics, BackendSpec, BackendFactory, CacheOptions,
  PromptProgram, SelectionMethod, DemoOrder, IclTask, ProgramClassifier, LoadProgramOptions,
} from './icl/index.js';
export { finetune, mergeLora } from './train/finetune.js';
export type { FinetuneOptions, FinetuneResult } from './train/finetune.js';
export { ALL_METHODS } from './train/methods/index.js';
export type { Method } from './train/methods/index.js';
export { FineTunedClassifier, FineTunedGenerator, loadClassifier, isClassifierFolder } from './train/adapted.js';
export { pretrain } from './train/pretrain.js';
export type { PretrainOptions, PretrainResult } from './train/pretrain.js';

export * from './compare/index.js';
export {
  classificationMetrics, accuracy, macroF1, exactMatch, tokenF1, bootstrapInterval, parseMetric,
  readResults, parseResults, armLabel, formatBudget, flagMark, assess,
} from './eval/index.js';
export type { ClassificationMetrics, MetricName, Budget, CompareResults, Cell, ArmInfo, SummaryRow, Flag } from './eval/index.js';
export { advise, formatAdvice, recommendationText, findCrossover, fmtMs } from './advise/index.js';
export type { Advice, Constraints, Recommendation, Reason } from './advise/index.js';
export { writeReport, reportHtml, summaryMarkdown } from './report/index.js';
export type { ReportPaths } from './report/index.js';
export { MajorityClassifier, TfidfClassifier } from './classical/index.js';
export type { TfidfClassifierOptions } from './classical/index.js';
export * from './remote/index.js';
export { distill, loadPool, formatSummary as formatDistillSummary, filterLabelled, openTeacher } from './distill/index.js';
export type { DistillOptions, DistillResult, DistillSummary, StudentOptions, TeacherOptions, LabelledItem } from './distill/index.js';
export { createServer, serve, ApiError } from './serve/index.js';
export type { ServerOptions, RunningServer } from './serve/index.js';
export { openRegistry, trackRun, RemoteStore, RUN_KINDS, RUN_STATUSES } from './registry/index.js';
export type { Registry, Run, RunKind, RunStatus, TrackOptions } from './registry/index.js';
