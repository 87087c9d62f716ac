// In-context learning: prompt programs (and their files), demonstration selection, rank
// classification with calibration, fitting texts into a context, response cache, backends.
export * from './language-model.js';
export * from './prompt.js';
export * from './select.js';
export * from './classify.js';
export * from './cache.js';
export * from './run.js';
export { truncateAll, truncateTokens } from './truncate.js';
export { isPromptProgramFile, programBackend, saveProgramWithBackend, loadProgramClassifier, type LoadProgramOptions, type ProgramClassifier } from './load-program.js';
export * from './backends/index.js';
export { OpenAILanguageModel, type OpenAIBackendOptions, EchoUnsupportedError } from './backends/openai.js';
export { LlamaCppLanguageModel, loadLlamaCppModel, type LlamaCppOptions, LLAMACPP_MISSING } from './backends/llamacpp.js';
export { BuiltinLanguageModel } from './backends/builtin.js';
