// What /v1/completions and /v1/chat/completions share: sampling options from the request, the token
// budget check, streaming options, running a generation that hands on its text as it comes, and
// the course of a request (admission, budget, then a stream or one answer).
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { GenerateOptions, Generation, LanguageModel } from '../icl/language-model.js';
import type { Admission, Slot } from './admission.js';
import { ApiError } from './errors.js';
import type { GenerationBody } from './schemas.js';
import { EventStream } from './sse.js';

export function stopList(stop: string | string[] | null | undefined): string[] {
  if (stop === undefined || stop === null) return [];
  return (typeof stop === 'string' ? [stop] : stop).filter((s) => s.length > 0);
}

export function generateOptions(body: GenerationBody, maxTokens: number, stop: string[]): GenerateOptions {
  const gen: GenerateOptions = { maxTokens, temperature: body.temperature ?? 1, stop };
  if (body.top_p !== undefined && body.top_p !== null) gen.topP = body.top_p;
  if (body.seed !== undefined && body.seed !== null) gen.seed = body.seed;
  return gen;
}

/** Whether a final chunk with usage is wanted (`stream_options.include_usage`); 400 without `stream`. */
export function includeUsage(body: GenerationBody): boolean {
  if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
    throw new ApiError(400, 'stream_options is only allowed when stream is true', 'invalid_request_error', 'invalid_value', 'stream_options');
  }
  return body.stream_options?.include_usage === true;
}

/**
 * Tokens of the prompt, checked against the server's max_tokens limit and the model's context.
 * An empty prompt runs from the model's BOS token where it has one (as OpenAI's API does); a model
 * that tokenizes it to nothing has nothing to start from: 400 naming the field.
 */
export async function promptBudget(lm: LanguageModel, name: string, prompt: string, max: number, limit: number, field: string): Promise<number> {
  if (max > limit) throw new ApiError(400, `max_tokens ${max} exceeds the server limit of ${limit}`, 'invalid_request_error', 'max_tokens_exceeded', 'max_tokens');
  const n = (await lm.tokenize(prompt)).length;
  if (n === 0) {
    throw new ApiError(400, `${field}: the prompt is empty and model "${name}" has no BOS token to start from; give at least one token of text`, 'invalid_request_error', 'empty_prompt', field);
  }
  if (n + max > lm.contextLength) {
    throw new ApiError(
      400,
      `the prompt has ${n} tokens; with max_tokens ${max} that exceeds the context length ${lm.contextLength}`,
      'invalid_request_error',
      'context_length_exceeded',
      field,
    );
  }
  return n;
}

export const NO_GENERATION: Generation = { text: '', tokens: 0, finishReason: 'length' };

/**
 * Runs lm.generate with cancellation, handing each piece of the answer to `onPiece` as it is decoded.
 * Backends that do not stream return the whole text at the end; it is handed on then.
 */
export async function generateStreaming(lm: LanguageModel, prompt: string, gen: GenerateOptions, signal: AbortSignal, onPiece: (piece: string) => void): Promise<Generation> {
  let sent = '';
  const g = await lm.generate(prompt, {
    ...gen,
    signal,
    onText: (piece) => {
      if (piece.length === 0) return;
      sent += piece;
      onPiece(piece);
    },
  });
  if (g.text.length > sent.length && g.text.startsWith(sent)) onPiece(g.text.slice(sent.length));
  return g;
}

export function usageOf(promptTokens: number, completionTokens: number) {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

export interface GenerationCourse<B> {
  /** Checks the prompt(s) against the limits (400 before anything is streamed); B is what it counted. */
  budget: () => Promise<B>;
  /** For `stream: true`: writes the events; errors become an error event. The slot is released when it ends. */
  stream: ((budget: B, slot: Slot, events: EventStream) => Promise<void>) | undefined;
  /** Otherwise: the JSON answer. */
  respond: (budget: B, signal: AbortSignal) => Promise<unknown>;
}

/** Admits the request (429 when full), checks its budget, then streams or answers within its slot. */
export async function runGeneration<B>(admission: Admission, reply: FastifyReply, log: FastifyBaseLogger, course: GenerationCourse<B>): Promise<unknown> {
  const slot = admission.enter(reply);
  let budget: B;
  try {
    budget = await slot.hold(course.budget);
  } catch (e) {
    slot.release();
    throw e;
  }
  if (course.stream) {
    const events = new EventStream(reply);
    void course
      .stream(budget, slot, events)
      .catch((err: unknown) => {
        if (events.open && !(err instanceof ApiError)) log.error(err);
        events.fail(err);
      })
      .finally(() => slot.release());
    return reply.send(events.body);
  }
  try {
    return await slot.hold((signal) => course.respond(budget, signal));
  } finally {
    slot.release();
  }
}
