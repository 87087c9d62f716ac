export * from './config.js';
export * from './model.js';
export * from './inference.js';
export { FAMILIES, familyOf } from './families/index.js';
export type { ModelFamily, GgufMapping, GgufContext, GgufSourceTensor } from './family.js';
export { resolveModel, EMBEDDED_MODELS } from './resolve.js';
export { loadPretrained, resolvePretrained, describeOrigin, type ModelOrigin, type PretrainedOptions } from './pretrained.js';
export * from './catalog.js';
