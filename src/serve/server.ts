// OpenAI-compatible HTTP server over LanguageModels and Classifiers.
//
// Routes: GET /v1/models, POST /v1/completions, POST /v1/chat/completions, POST /v1/classify,
// POST /v1/tokenize, GET /health, GET /metrics (Prometheus text).
//
// `echo` + `logprobs` on /v1/completions (what is returned, precisely):
//   logprobs.tokens         the token strings (model.detokenize of each token id) of the echoed prompt
//                           (when echo) followed by those of the generated text;
//   logprobs.token_logprobs natural-log probability of each token given all text before it, computed
//                           with scoreContinuations; the first token of the prompt has null (it has
//                           no context), as in OpenAI's API;
//   logprobs.text_offset    character offset of each token in prompt + generated text (so without
//                           echo, offsets start at the prompt's length);
//   logprobs.top_logprobs   one entry per token holding only the token itself ({token: logprob}):
//                           the LanguageModel interface gives no alternatives; null for the first.
// Models without detokenize give the prompt (and the completion) as one "token" each, carrying
// the summed log-probability (null for the prompt).
//
// Streaming (`stream: true`) sends server-sent events; models generate whole answers, so the text
// is sent token piece by token piece after generation (one chunk without detokenize), then a
// final chunk with finish_reason, then `data: [DONE]`.

import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { PassThrough } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Classifier, PredictInput, Prediction } from '../predictor.js';
import type { GenerateOptions, Generation, LanguageModel } from '../icl/language-model.js';
import { applyChatTemplate, simpleChatFormat, type ChatMessage } from '../icl/prompt.js';
import { Batcher, type BatchingOptions } from './batcher.js';
import { ServerMetrics } from './metrics.js';
import { validateServerOptions } from '../options/validate.js';

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
  /** Per-request timeout (504 beyond). Default 60 000 ms. */
  timeoutMs?: number;
  /** Retry-After seconds sent with 429. Default 1. */
  retryAfterSeconds?: number;
  logger?: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function errorBody(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

// ---------------------------------------------------------------------------------------------
// JSON schemas

const stopSchema = { type: ['string', 'array', 'null'], items: { type: 'string' }, maxItems: 4 } as const;

/** Sampling fields shared by /v1/completions and /v1/chat/completions. */
const samplingProperties = {
  temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
  top_p: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 1 },
  stop: stopSchema,
  seed: { type: ['integer', 'null'] },
} as const;

const completionSchema = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: {
    model: { type: 'string', minLength: 1 },
    prompt: { type: ['string', 'array'], items: { type: 'string' }, minItems: 1, maxItems: 64 },
    max_tokens: { type: ['integer', 'null'], minimum: 0 },
    ...samplingProperties,
    echo: { type: ['boolean', 'null'] },
    logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 5 },
    stream: { type: ['boolean', 'null'] },
    n: { type: ['integer', 'null'], minimum: 1, maximum: 1 },
  },
} as const;

const chatSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: {
          role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant'] },
          content: {
            type: ['string', 'array'],
            items: { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string' } } },
          },
        },
      },
    },
    max_tokens: { type: ['integer', 'null'], minimum: 1 },
    max_completion_tokens: { type: ['integer', 'null'], minimum: 1 },
    ...samplingProperties,
    stream: { type: ['boolean', 'null'] },
    n: { type: ['integer', 'null'], minimum: 1, maximum: 1 },
  },
} as const;

const classifySchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: { type: ['string', 'array'], items: { type: 'string' }, minItems: 1 },
  },
} as const;

const tokenizeSchema = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: { model: { type: 'string', minLength: 1 }, prompt: { type: 'string' } },
} as const;

interface CompletionBody {
  model: string;
  prompt: string | string[];
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  echo?: boolean | null;
  logprobs?: number | null;
  stream?: boolean | null;
}

interface ChatBody {
  model: string;
  messages: { role: string; content: string | { type: 'text'; text: string }[] }[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  stream?: boolean | null;
}

interface LogprobsOut {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

// ---------------------------------------------------------------------------------------------

/** Token strings of `text`, or undefined when the model cannot tell. */
async function tokenPieces(lm: LanguageModel, text: string): Promise<string[] | undefined> {
  if (!lm.detokenize || text.length === 0) return text.length === 0 ? [] : undefined;
  const ids = await lm.tokenize(text);
  const pieces: string[] = [];
  for (const id of ids) pieces.push(await lm.detokenize([id]));
  if (pieces.join('') === text) return pieces;
  // Pieces that do not concatenate (e.g. multi-byte characters split across tokens): prefix diffs.
  const out: string[] = [];
  let prev = '';
  for (let i = 1; i <= ids.length; i++) {
    const s = await lm.detokenize(ids.slice(0, i));
    out.push(s.slice(prev.length));
    prev = s;
  }
  return out.join('') === text ? out : undefined;
}

/** Logprobs of the prompt tokens (first: null) and of the generated text, OpenAI-style. */
async function completionLogprobs(lm: LanguageModel, prompt: string, completion: string, echo: boolean): Promise<LogprobsOut> {
  const out: LogprobsOut = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  const push = (tok: string, lp: number | null, offset: number) => {
    out.tokens.push(tok);
    out.token_logprobs.push(lp);
    out.top_logprobs.push(lp === null ? null : { [tok]: lp });
    out.text_offset.push(offset);
  };
  if (echo && prompt.length > 0) {
    const pieces = await tokenPieces(lm, prompt);
    if (!pieces || pieces.length === 0) {
      push(prompt, null, 0);
    } else {
      push(pieces[0]!, null, 0);
      if (pieces.length > 1) {
        const [score] = await lm.scoreContinuations(pieces[0]!, [prompt.slice(pieces[0]!.length)]);
        const lps = score!.tokenLogprobs;
        const rest = pieces.length - 1;
        let offset = pieces[0]!.length;
        for (let i = 0; i < rest; i++) {
          // Align from the end if the model's split differs (it should not).
          const j = lps.length - rest + i;
          push(pieces[i + 1]!, j >= 0 ? lps[j]! : null, offset);
          offset += pieces[i + 1]!.length;
        }
      }
    }
  }
  if (completion.length > 0) {
    const [score] = await lm.scoreContinuations(prompt, [completion]);
    const lps = score!.tokenLogprobs;
    const pieces = await tokenPieces(lm, completion);
    let offset = prompt.length;
    if (pieces && pieces.length === lps.length) {
      pieces.forEach((p, i) => {
        push(p, lps[i]!, offset);
        offset += p.length;
      });
    } else {
      push(completion, lps.reduce((a, b) => a + b, 0), offset);
    }
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ApiError(504, `request timed out after ${ms} ms`, 'timeout_error', 'timeout')), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function stopList(stop: string | string[] | null | undefined): string[] {
  if (stop === undefined || stop === null) return [];
  return (typeof stop === 'string' ? [stop] : stop).filter((s) => s.length > 0);
}

function messageText(content: ChatBody['messages'][number]['content']): string {
  return typeof content === 'string' ? content : content.map((c) => c.text).join('');
}

function sse(reply: FastifyReply): PassThrough {
  const stream = new PassThrough();
  reply.header('content-type', 'text/event-stream; charset=utf-8');
  reply.header('cache-control', 'no-cache');
  reply.header('connection', 'keep-alive');
  reply.header('x-accel-buffering', 'no');
  return stream;
}

function sendEvent(stream: PassThrough, data: unknown): void {
  stream.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

export function createServer(options: ServerOptions = {}): FastifyInstance {
  validateServerOptions(options);
  const lms = new Map(Object.entries(options.languageModels ?? {}));
  const classifiers = new Map(Object.entries(options.classifiers ?? {}));
  for (const name of lms.keys()) {
    if (classifiers.has(name)) throw new Error(`model name "${name}" is both a language model and a classifier`);
  }
  const queueLimit = options.queueLimit ?? 64;
  const maxTokens = options.maxTokens ?? 512;
  const maxInputs = options.maxInputs ?? 256;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const batching = options.batching === undefined ? { maxBatch: 32, waitMs: 0 } : options.batching;
  const metrics = new ServerMetrics();
  let admitted = 0;
  metrics.queueDepth.track(() => admitted);

  const batchers = new Map<string, Batcher>();
  if (batching) {
    for (const [name, clf] of classifiers) {
      batchers.set(
        name,
        new Batcher(clf, batching, (inputs, requests) => {
          metrics.batchSize.observe(inputs, { model: name });
          metrics.batchRequests.observe(requests, { model: name });
        }),
      );
    }
  }

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, allowUnionTypes: true } },
  });
  app.decorate('tuneshotMetrics', metrics);

  // Graceful shutdown: Fastify stops accepting and waits for in-flight requests; connections kept
  // alive by clients would hold close() until their keep-alive timeout, so answers sent while
  // closing say `connection: close` and idle sockets are closed as soon as they become idle.
  let closing = false;
  let idleSweeper: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    closing = true;
    idleSweeper = setInterval(() => app.server.closeIdleConnections(), 50);
    idleSweeper.unref();
  });
  app.addHook('onClose', async () => {
    if (idleSweeper) clearInterval(idleSweeper);
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  const expectedDigest = options.apiKey !== undefined ? sha256(options.apiKey) : undefined;

  app.addHook('onRequest', async (req) => {
    if (!expectedDigest || req.url === '/health') return;
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    const given = sha256(m ? m[1]!.trim() : '');
    if (!m || !timingSafeEqual(given, expectedDigest)) {
      throw new ApiError(401, 'invalid or missing API key (Authorization: Bearer <key>)', 'authentication_error', 'invalid_api_key', null, {
        'www-authenticate': 'Bearer',
      });
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.latency.observe(reply.elapsedTime / 1000, { route });
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return reply.status(err.statusCode).send(errorBody(err.message, err.type, err.code, err.param));
    }
    if (err.validation) {
      return reply.status(400).send(errorBody(`invalid request: ${err.message}`, 'invalid_request_error', 'invalid_body'));
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 413) return reply.status(413).send(errorBody(`request body too large (limit ${app.initialConfig.bodyLimit} bytes)`, 'invalid_request_error', 'body_too_large'));
    if (status < 500) return reply.status(status).send(errorBody(err.message, 'invalid_request_error', err.code ?? null));
    req.log.error(err);
    return reply.status(status).send(errorBody(`internal error: ${err.message}`, 'server_error', null));
  });

  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(errorBody(`no route ${req.method} ${req.url.split('?')[0]}`, 'invalid_request_error', 'not_found'));
  });

  /** Admission control: at most queueLimit model requests waiting or running. */
  async function admit<T>(fn: () => Promise<T>): Promise<T> {
    if (admitted >= queueLimit) {
      metrics.rejected.inc();
      throw new ApiError(429, `server busy: ${admitted} requests queued (limit ${queueLimit})`, 'rate_limit_error', 'queue_full', null, {
        'retry-after': retryAfter,
      });
    }
    admitted++;
    try {
      return await withTimeout(fn(), timeoutMs);
    } finally {
      admitted--;
    }
  }

  function languageModel(name: string): LanguageModel {
    const lm = lms.get(name);
    if (!lm) {
      const hint = classifiers.has(name) ? ` ("${name}" is a classifier: use /v1/classify)` : '';
      throw new ApiError(404, `model "${name}" not found${hint}`, 'invalid_request_error', 'model_not_found', 'model');
    }
    return lm;
  }

  function classifier(name: string): Classifier {
    const c = classifiers.get(name);
    if (!c) {
      const hint = lms.has(name) ? ` ("${name}" is a language model: use /v1/completions)` : '';
      throw new ApiError(404, `classifier "${name}" not found${hint}`, 'invalid_request_error', 'model_not_found', 'model');
    }
    return c;
  }

  async function checkBudget(lm: LanguageModel, prompt: string, max: number): Promise<number> {
    if (max > maxTokens) throw new ApiError(400, `max_tokens ${max} exceeds the server limit of ${maxTokens}`, 'invalid_request_error', 'max_tokens_exceeded', 'max_tokens');
    const n = (await lm.tokenize(prompt)).length;
    if (n + max > lm.contextLength) {
      throw new ApiError(
        400,
        `the prompt has ${n} tokens; with max_tokens ${max} that exceeds the context length ${lm.contextLength}`,
        'invalid_request_error',
        'context_length_exceeded',
        'prompt',
      );
    }
    return n;
  }

  app.get('/health', async () => ({ status: 'ok', models: [...lms.keys(), ...classifiers.keys()].length }));

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return metrics.render();
  });

  app.get('/v1/models', async () => {
    const created = nowSeconds();
    return {
      object: 'list',
      data: [
        ...[...lms].map(([id, lm]) => ({ id, object: 'model', created, owned_by: 'tuneshot', kind: 'language-model', context_length: lm.contextLength })),
        ...[...classifiers].map(([id, c]) => ({ id, object: 'model', created, owned_by: 'tuneshot', kind: 'classifier', labels: c.labels })),
      ],
    };
  });

  app.post('/v1/tokenize', { schema: { body: tokenizeSchema } }, async (req) => {
    const body = req.body as { model: string; prompt: string };
    const lm = languageModel(body.model);
    const tokens = await admit(() => lm.tokenize(body.prompt));
    return { tokens, count: tokens.length };
  });

  app.post('/v1/completions', { schema: { body: completionSchema } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.body as CompletionBody;
    const lm = languageModel(body.model);
    const prompts = typeof body.prompt === 'string' ? [body.prompt] : body.prompt;
    const max = body.max_tokens ?? 16;
    const echo = body.echo === true;
    const wantLogprobs = body.logprobs !== undefined && body.logprobs !== null;
    const gen: GenerateOptions = { maxTokens: max, temperature: body.temperature ?? 1, stop: stopList(body.stop) };
    if (body.top_p !== undefined && body.top_p !== null) gen.topP = body.top_p;
    if (body.seed !== undefined && body.seed !== null) gen.seed = body.seed;
    const id = `cmpl-${randomUUID()}`;
    const created = nowSeconds();

    const results = await admit(async () => {
      const out: { text: string; finish: 'stop' | 'length'; promptTokens: number; completionTokens: number; logprobs: LogprobsOut | null }[] = [];
      for (const prompt of prompts) {
        const promptTokens = await checkBudget(lm, prompt, max);
        const g: Generation = max > 0 ? await lm.generate(prompt, gen) : { text: '', tokens: 0, finishReason: 'length' };
        const logprobs = wantLogprobs ? await completionLogprobs(lm, prompt, g.text, echo) : null;
        out.push({ text: g.text, finish: g.finishReason, promptTokens, completionTokens: g.tokens, logprobs });
      }
      return out;
    });

    const usage = {
      prompt_tokens: results.reduce((a, r) => a + r.promptTokens, 0),
      completion_tokens: results.reduce((a, r) => a + r.completionTokens, 0),
      total_tokens: results.reduce((a, r) => a + r.promptTokens + r.completionTokens, 0),
    };
    if (body.stream) {
      const stream = sse(reply);
      void (async () => {
        for (const [index, r] of results.entries()) {
          const chunk = (text: string, finish: string | null) => ({
            id,
            object: 'text_completion',
            created,
            model: body.model,
            choices: [{ index, text, finish_reason: finish, logprobs: null }],
          });
          const full = (echo ? prompts[index]! : '') + r.text;
          for (const piece of (await tokenPieces(lm, full)) ?? [full]) sendEvent(stream, chunk(piece, null));
          sendEvent(stream, chunk('', r.finish));
        }
        sendEvent(stream, '[DONE]');
        stream.end();
      })().catch((err: unknown) => stream.destroy(err as Error));
      return reply.send(stream);
    }
    return {
      id,
      object: 'text_completion',
      created,
      model: body.model,
      choices: results.map((r, index) => ({
        index,
        text: (echo ? prompts[index]! : '') + r.text,
        finish_reason: r.finish,
        logprobs: r.logprobs,
      })),
      usage,
    };
  });

  app.post('/v1/chat/completions', { schema: { body: chatSchema } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.body as ChatBody;
    const lm = languageModel(body.model);
    const messages: ChatMessage[] = body.messages.map((m) => ({
      role: m.role === 'developer' ? 'system' : m.role,
      content: messageText(m.content),
    }));
    const prompt = lm.chatTemplate ? applyChatTemplate(lm.chatTemplate, messages, { addGenerationPrompt: true }) : simpleChatFormat(messages);
    const max = body.max_completion_tokens ?? body.max_tokens ?? Math.min(256, maxTokens);
    const stop = stopList(body.stop);
    if (!lm.chatTemplate) stop.push('\nUser:', '\nSystem:');
    const gen: GenerateOptions = { maxTokens: max, temperature: body.temperature ?? 1, stop };
    if (body.top_p !== undefined && body.top_p !== null) gen.topP = body.top_p;
    if (body.seed !== undefined && body.seed !== null) gen.seed = body.seed;
    const id = `chatcmpl-${randomUUID()}`;
    const created = nowSeconds();
    const { g, promptTokens } = await admit(async () => {
      const promptTokens = await checkBudget(lm, prompt, max);
      return { g: await lm.generate(prompt, gen), promptTokens };
    });
    const text = lm.chatTemplate ? g.text : g.text.replace(/^ /, '');
    if (body.stream) {
      const stream = sse(reply);
      const chunk = (delta: Record<string, string>, finish: string | null) => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model: body.model,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      });
      void (async () => {
        sendEvent(stream, chunk({ role: 'assistant', content: '' }, null));
        for (const piece of (await tokenPieces(lm, text)) ?? [text]) sendEvent(stream, chunk({ content: piece }, null));
        sendEvent(stream, chunk({}, g.finishReason));
        sendEvent(stream, '[DONE]');
        stream.end();
      })().catch((err: unknown) => stream.destroy(err as Error));
      return reply.send(stream);
    }
    return {
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: g.finishReason, logprobs: null }],
      usage: { prompt_tokens: promptTokens, completion_tokens: g.tokens, total_tokens: promptTokens + g.tokens },
    };
  });

  app.post('/v1/classify', { schema: { body: classifySchema } }, async (req) => {
    const body = req.body as { model: string; input: string | string[] };
    const clf = classifier(body.model);
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    if (texts.length > maxInputs) {
      throw new ApiError(400, `${texts.length} inputs exceed the limit of ${maxInputs} per request`, 'invalid_request_error', 'too_many_inputs', 'input');
    }
    const inputs: PredictInput[] = texts.map((text) => ({ text }));
    const batcher = batchers.get(body.model);
    const preds: Prediction[] = await admit(async () => {
      if (batcher) return batcher.submit(inputs);
      metrics.batchSize.observe(inputs.length, { model: body.model });
      metrics.batchRequests.observe(1, { model: body.model });
      return clf.predict(inputs);
    });
    return {
      object: 'list',
      model: body.model,
      labels: clf.labels,
      data: preds.map((p, index) => ({ index, label: p.label, probs: p.probs })),
    };
  });

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
