// OpenAI-compatible HTTP server over tuneshot's language models and classifiers.
export { createServer, serve, serverMetrics, type ServerOptions, type RunningServer } from './server.js';
export { ApiError } from './errors.js';
export { Batcher, type BatchingOptions } from './batcher.js';
export { ServerMetrics } from './metrics.js';
