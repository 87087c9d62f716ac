export * from './config.js';
export * from './model.js';
export * from './inference.js';
export { encoderPrefix } from './families.js';
export { resolveModel, EMBEDDED_MODELS, packageDir } from './resolve.js';
export { loadPretrained, resolvePretrained, describeOrigin, type ModelOrigin, type PretrainedOptions } from './pretrained.js';
export * from './catalog.js';
