// OpenAI-compatible HTTP server over tuneshot's language models and classifiers.
export { createServer, serve, serverMetrics, ApiError, type ServerOptions, type RunningServer } from './server.js';
export { Batcher, type BatchingOptions } from './batcher.js';
export { ServerMetrics } from './metrics.js';
