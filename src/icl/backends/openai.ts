// LanguageModel over any OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, tuneshot serve).
//
// Scoring: `/completions` with `echo: true, logprobs: 1, max_tokens: 0` on prompt+continuation; the
// continuation's logprobs are the tail of the echoed tokens, found with `text_offset`: the first
// continuation token is the first token that ends after the prompt (a token straddling the
// boundary counts as continuation). Servers without echo+logprobs (e.g. chat-only models) fall back
// to chat generation mapped onto the candidate set (scoringMode "generate"): the chosen candidate
// gets probability 1-ε, the others share ε, so rank classification still works, coarsely.

import type { ContinuationScore, GenerateOptions, Generation, LanguageModel } from '../language-model.js';
import { HttpError, NetworkError, postJson, Semaphore, type RetryOptions } from './http.js';

export interface OpenAIBackendOptions {
  model: string;
  /** Defaults to $OPENAI_BASE_URL, then https://api.openai.com/v1 (the URL includes /v1). */
  baseURL?: string;
  /** Defaults to $OPENAI_API_KEY. */
  apiKey?: string;
  /** Concurrent requests (default 4). */
  concurrency?: number;
  /** Per-request timeout in ms (default 60 000). */
  timeoutMs?: number;
  /** Retries on 429, 5xx, network errors and timeouts (default 4). */
  maxRetries?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Context window in tokens (the API does not tell; default 4096). */
  contextLength?: number;
  /** 'echo' (logprobs), 'generate' (chat answer mapped onto the candidates), 'auto' (echo, falling back). */
  scoring?: 'auto' | 'echo' | 'generate';
  /** Generate through /chat/completions instead of /completions. */
  chat?: boolean;
  /** Model used for /embeddings; embed() exists only when set. */
  embeddingModel?: string;
  chatTemplate?: string;
  fetch?: typeof fetch;
  onRetry?: RetryOptions['onRetry'];
}

interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  text_offset: number[];
}

interface CompletionResponse {
  choices: { index: number; text: string; finish_reason: string | null; logprobs?: CompletionLogprobs | null }[];
  usage?: { completion_tokens?: number };
}

interface ChatResponse {
  choices: { index: number; message: { content: string | null }; finish_reason: string | null }[];
  usage?: { completion_tokens?: number };
}

const GENERATE_EPS = 1e-3;
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export class OpenAILanguageModel implements LanguageModel {
  readonly id: string;
  readonly contextLength: number;
  readonly chatTemplate?: string;
  readonly baseURL: string;
  /** How scoreContinuations works on this server; 'auto' until the first scoring call tells. */
  scoringMode: 'auto' | 'echo' | 'generate';
  embed?: (texts: string[]) => Promise<Float32Array[]>;
  private readonly options: OpenAIBackendOptions;
  private readonly limiter: Semaphore;
  private readonly retry: RetryOptions;
  private tokenizeEndpoint: boolean | undefined;

  constructor(options: OpenAIBackendOptions) {
    this.options = options;
    this.baseURL = (options.baseURL ?? (process.env.OPENAI_BASE_URL || undefined) ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.id = `openai:${options.model}`;
    this.contextLength = options.contextLength ?? 4096;
    if (options.chatTemplate !== undefined) this.chatTemplate = options.chatTemplate;
    this.scoringMode = options.scoring ?? 'auto';
    this.limiter = new Semaphore(options.concurrency ?? 4);
    this.retry = {
      timeoutMs: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 4,
      minBackoffMs: options.minBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    };
    if (options.embeddingModel !== undefined) {
      const embeddingModel = options.embeddingModel;
      this.embed = async (texts) => {
        const res = (await this.post('/embeddings', { model: embeddingModel, input: texts })) as {
          data: { index: number; embedding: number[] }[];
        };
        const out = new Array<Float32Array>(texts.length);
        for (const d of res.data) out[d.index] = Float32Array.from(d.embedding);
        return out;
      };
    }
  }

  private headers(): Record<string, string> {
    const key = this.options.apiKey ?? process.env.OPENAI_API_KEY;
    return key ? { authorization: `Bearer ${key}` } : {};
  }

  private post(path: string, body: unknown): Promise<unknown> {
    return this.limiter.run(() =>
      postJson(this.baseURL + path, body, this.headers(), this.retry, this.options.fetch ?? fetch),
    ).catch((e: unknown) => {
      // Say where the URL came from when the user gave none: a silent default to OpenAI surprises.
      if (e instanceof NetworkError && this.options.baseURL === undefined && !process.env.OPENAI_BASE_URL) {
        e.message += `; no --base-url or OPENAI_BASE_URL was given, so the openai backend defaulted to ${DEFAULT_BASE_URL}`;
      }
      throw e;
    });
  }

  /**
   * Token ids from the server's `/tokenize` (vLLM, tuneshot serve) when it has one; otherwise an
   * estimate (one placeholder id per 3 UTF-8 bytes) that is only good for context budgeting.
   */
  async tokenize(text: string): Promise<number[]> {
    if (this.tokenizeEndpoint !== false) {
      try {
        const res = (await this.post('/tokenize', { model: this.options.model, prompt: text })) as { tokens?: number[] };
        if (Array.isArray(res?.tokens)) {
          this.tokenizeEndpoint = true;
          return res.tokens;
        }
        this.tokenizeEndpoint = false;
      } catch (err) {
        if (this.tokenizeEndpoint === true || !(err instanceof HttpError) || err.status >= 500) throw err;
        this.tokenizeEndpoint = false;
      }
    }
    return new Array<number>(Math.ceil(Buffer.byteLength(text, 'utf8') / 3)).fill(0);
  }

  async scoreContinuations(prompt: string, continuations: string[]): Promise<ContinuationScore[]> {
    if (continuations.length === 0) return [];
    if (this.scoringMode !== 'generate') {
      try {
        const scores = await this.scoreByEcho(prompt, continuations);
        this.scoringMode = 'echo';
        return scores;
      } catch (err) {
        // OpenAI answers 404 "This is a chat model and not supported in the v1/completions endpoint"
        // for chat models, fine-tuned ones included; others answer 400.
        if (this.scoringMode === 'echo' || !(err instanceof EchoUnsupportedError || (err instanceof HttpError && (err.status === 400 || err.status === 404)))) {
          throw err;
        }
        this.scoringMode = 'generate';
      }
    }
    return this.scoreByGeneration(prompt, continuations);
  }

  private async scoreByEcho(prompt: string, continuations: string[]): Promise<ContinuationScore[]> {
    const res = (await this.post('/completions', {
      model: this.options.model,
      prompt: continuations.map((c) => prompt + c),
      echo: true,
      logprobs: 1,
      max_tokens: 0,
      temperature: 0,
    })) as CompletionResponse;
    const out = new Array<ContinuationScore>(continuations.length);
    for (const choice of res.choices ?? []) {
      const i = choice.index;
      const lp = choice.logprobs;
      if (!lp || !Array.isArray(lp.token_logprobs) || !Array.isArray(lp.text_offset)) {
        throw new EchoUnsupportedError('server returned no echoed logprobs');
      }
      out[i] = { tokenLogprobs: continuationLogprobs(lp, prompt.length, prompt.length + continuations[i]!.length) };
    }
    for (let i = 0; i < out.length; i++) if (!out[i]) throw new EchoUnsupportedError(`no choice for continuation ${i}`);
    return out;
  }

  private async scoreByGeneration(prompt: string, continuations: string[]): Promise<ContinuationScore[]> {
    const options = continuations.map((c) => c.trim());
    const res = (await this.post('/chat/completions', {
      model: this.options.model,
      messages: [
        { role: 'system', content: choiceInstruction(options) },
        { role: 'user', content: prompt },
      ],
      max_tokens: 16,
      temperature: 0,
    })) as ChatResponse;
    const answer = normalize(res.choices?.[0]?.message?.content ?? '');
    let chosen = options.findIndex((o) => normalize(o) === answer);
    if (chosen < 0) chosen = options.findIndex((o) => normalize(o).length > 0 && answer.startsWith(normalize(o)));
    if (chosen < 0) chosen = options.findIndex((o) => normalize(o).length > 0 && answer.includes(normalize(o)));
    const n = continuations.length;
    return continuations.map((_, i) => ({
      tokenLogprobs: [chosen < 0 || n === 1 ? Math.log(1 / n) : i === chosen ? Math.log(1 - GENERATE_EPS) : Math.log(GENERATE_EPS / (n - 1))],
    }));
  }

  async generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    const params: Record<string, unknown> = {
      model: this.options.model,
      max_tokens: options.maxTokens,
      temperature: options.temperature ?? 0,
    };
    if (options.topP !== undefined) params.top_p = options.topP;
    if (options.seed !== undefined) params.seed = options.seed;
    if (options.stop && options.stop.length > 0) params.stop = options.stop.slice(0, 4);
    let text: string;
    let finish: string | null | undefined;
    let tokens: number | undefined;
    if (this.options.chat) {
      const res = (await this.post('/chat/completions', { ...params, messages: [{ role: 'user', content: prompt }] })) as ChatResponse;
      text = res.choices?.[0]?.message?.content ?? '';
      finish = res.choices?.[0]?.finish_reason;
      tokens = res.usage?.completion_tokens;
    } else {
      const res = (await this.post('/completions', { ...params, prompt })) as CompletionResponse;
      text = res.choices?.[0]?.text ?? '';
      finish = res.choices?.[0]?.finish_reason;
      tokens = res.usage?.completion_tokens;
    }
    // Servers allow at most 4 stop sequences; apply any others here.
    let stopped = false;
    for (const s of options.stop ?? []) {
      const at = s.length > 0 ? text.indexOf(s) : -1;
      if (at >= 0) {
        text = text.slice(0, at);
        stopped = true;
      }
    }
    return {
      text,
      tokens: tokens ?? (await this.tokenize(text)).length,
      finishReason: finish === 'length' && !stopped ? 'length' : 'stop',
    };
  }
}

export class EchoUnsupportedError extends Error {
  constructor(message: string) {
    super(`echo+logprobs scoring unsupported: ${message}`);
    this.name = 'EchoUnsupportedError';
  }
}

/**
 * The system message of generation scoring, before the prompt as the user message. Remote
 * fine-tuning (src/remote/chat-jsonl.ts) trains on exactly this, so the fine-tuned model is asked
 * what it was taught.
 */
export function choiceInstruction(options: readonly string[]): string {
  return `Continue the text. Reply with exactly one of: ${options.join(' | ')}`;
}

function normalize(s: string): string {
  return s.trim().toLowerCase().replace(/^["'`]+|["'`.!]+$/g, '').trim();
}

/**
 * Logprobs of the tokens covering [promptLength, totalLength) of the echoed text: the tail that
 * starts at the first token ending after the prompt.
 */
export function continuationLogprobs(lp: CompletionLogprobs, promptLength: number, totalLength: number): number[] {
  const n = lp.token_logprobs.length;
  let start = n;
  for (let i = 0; i < n; i++) {
    const end = i + 1 < n ? lp.text_offset[i + 1]! : totalLength;
    if (end > promptLength) {
      start = i;
      break;
    }
  }
  if (start === n && totalLength > promptLength) throw new EchoUnsupportedError('echoed tokens do not cover the continuation');
  const out: number[] = [];
  for (let i = start; i < n; i++) {
    if (lp.text_offset[i]! >= totalLength) break; // tokens generated past the echo (max_tokens > 0)
    const v = lp.token_logprobs[i];
    if (typeof v !== 'number') throw new EchoUnsupportedError('no logprob for a continuation token (the server gave the text as one token?)');
    out.push(v);
  }
  return out;
}
