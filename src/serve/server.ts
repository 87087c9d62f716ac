// OpenAI-compatible HTTP server over LanguageModels and Classifiers.
//
// Routes (routes/*.ts): GET /v1/models, POST /v1/completions, POST /v1/chat/completions,
// POST /v1/classify, POST /v1/tokenize, GET /health, GET /metrics (Prometheus text).
// Every model request is admitted by admission.ts (queue limit, timeout, cancellation when the
// client goes away); request bodies are validated against schemas.ts.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Classifier } from '../predictor.js';
import type { LanguageModel } from '../icl/language-model.js';
import { Admission } from './admission.js';
import type { BatchingOptions } from './batcher.js';
import type { ServeContext } from './context.js';
import { installErrorHandlers } from './errors.js';
import { closeGracefully, countRequests, requireApiKey } from './hooks.js';
import { ServerMetrics } from './metrics.js';
import { ServedModels } from './models.js';
import { registerChatRoute } from './routes/chat.js';
import { registerClassifyRoute } from './routes/classify.js';
import { registerCompletionRoute } from './routes/completions.js';
import { registerInfoRoutes } from './routes/info.js';
import { registerTokenizeRoute } from './routes/tokenize.js';

export { ApiError } from './errors.js';

export interface ServerOptions {
  languageModels?: Record<string, LanguageModel>;
  classifiers?: Record<string, Classifier>;
  /** When set, every route but /health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  host?: string;
  port?: number;
  /** Dynamic batching of /v1/classify (default {maxBatch: 32, waitMs: 0}: requests arriving while the model is busy form the next batch); false turns it off. */
  batching?: BatchingOptions | false;
  /** Model requests admitted at once (waiting or running); beyond it, 429 + Retry-After. Default 64. */
  queueLimit?: number;
  /** Request body limit in bytes (413 beyond). Default 1 MiB. */
  bodyLimit?: number;
  /** Largest max_tokens a request may ask for (400 beyond). Default 512. */
  maxTokens?: number;
  /** Largest number of inputs in one /v1/classify request. Default 256. */
  maxInputs?: number;
  /** Per-request timeout (504 beyond; the work is cancelled). Default 60 000 ms. */
  timeoutMs?: number;
  /** Retry-After seconds sent with 429. Default 1. */
  retryAfterSeconds?: number;
  logger?: boolean;
}

export function createServer(options: ServerOptions = {}): FastifyInstance {
  const ctx = serveContext(options);
  const app = fastifyApp(options, ctx.metrics);
  closeGracefully(app);
  requireApiKey(app, options.apiKey);
  countRequests(app, ctx.metrics);
  installErrorHandlers(app);
  registerInfoRoutes(app, ctx);
  registerTokenizeRoute(app, ctx);
  registerCompletionRoute(app, ctx);
  registerChatRoute(app, ctx);
  registerClassifyRoute(app, ctx);
  return app;
}

/** The served models, admission control, metrics and limits the routes share, from the options' defaults. */
function serveContext(options: ServerOptions): ServeContext {
  const metrics = new ServerMetrics();
  const batching = options.batching === undefined ? { maxBatch: 32, waitMs: 0 } : options.batching;
  return {
    metrics,
    models: new ServedModels(options.languageModels ?? {}, options.classifiers ?? {}, batching, metrics),
    admission: new Admission({ limit: options.queueLimit ?? 64, timeoutMs: options.timeoutMs ?? 60_000, retryAfterSeconds: options.retryAfterSeconds ?? 1 }, metrics),
    limits: { maxTokens: options.maxTokens ?? 512, maxInputs: options.maxInputs ?? 256 },
  };
}

function fastifyApp(options: ServerOptions, metrics: ServerMetrics): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, allowUnionTypes: true } },
  });
  app.decorate('tuneshotMetrics', metrics);
  return app;
}

export function serverMetrics(app: FastifyInstance): ServerMetrics {
  return (app as unknown as { tuneshotMetrics: ServerMetrics }).tuneshotMetrics;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  /** Stops accepting connections, finishes in-flight requests, then resolves. */
  close(): Promise<void>;
}

export async function serve(options: ServerOptions = {}): Promise<RunningServer> {
  const app = createServer(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 8080 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shownHost}:${port}`, app, close: () => app.close() };
}
