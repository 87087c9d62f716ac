// The engine: symbolic graphs, reverse-mode autodiff, ONNX serialization, ONNX Runtime execution
// and optimizers. Nothing here knows about any model architecture.
export * from './graph.js';
export * as ops from './ops.js';
export { grad, gradWithDeferred, RULES, unbroadcast } from './grad.js';
export type { DeferredScatter } from './grad.js';
export { toOnnx, OPSET, KNOWN_OPS } from './onnx.js';
export * from './session.js';
export * from './optim.js';
export * from './trainer.js';
export * from './random.js';
