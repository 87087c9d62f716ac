export * from './config.js';
export * from './model.js';
export * from './inference.js';
export { encoderPrefix } from './families.js';
export { resolveModel, EMBEDDED_MODELS } from './resolve.js';
