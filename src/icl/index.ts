// In-context learning: prompt programs, demonstration selection, rank classification with
// calibration, response cache, backends.
export * from './language-model.js';
export * from './prompt.js';
export * from './select.js';
export * from './classify.js';
export * from './cache.js';
export * from './run.js';
export * from './backends/index.js';
export { OpenAILanguageModel, type OpenAIBackendOptions, EchoUnsupportedError } from './backends/openai.js';
export { LlamaCppLanguageModel, loadLlamaCppModel, type LlamaCppOptions, LLAMACPP_MISSING } from './backends/llamacpp.js';
