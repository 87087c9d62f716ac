// What /v1/completions and /v1/chat/completions share: sampling options from the request, the token
// budget check, streaming options, and running a generation that hands on its text as it comes.
import type { GenerateOptions, Generation, LanguageModel } from '../icl/language-model.js';
import { ApiError } from './errors.js';
import type { GenerationBody } from './schemas.js';

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
