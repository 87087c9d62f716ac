// One small interface, many backends (builtin engine, llama.cpp, any OpenAI-compatible server):
// everything in-context learning needs from a language model.

export interface ContinuationScore {
  /** Natural-log probability of each token of the continuation, given the prompt and earlier tokens. */
  tokenLogprobs: number[];
}

export interface GenerateOptions {
  maxTokens: number;
  stop?: string[];
  /** 0 = greedy. */
  temperature?: number;
  topP?: number;
  seed?: number;
  /**
   * Streaming: called with each piece of the answer as it is generated (the pieces concatenate to the
   * final text). Backends that cannot stream ignore it and only return the final text.
   */
  onText?: (piece: string) => void;
  /** Cancellation: an aborted signal stops the generation (at the next token where the backend can). */
  signal?: AbortSignal;
}

export interface Generation {
  text: string;
  tokens: number;
  finishReason: 'stop' | 'length';
}

export interface LanguageModel {
  /** "<backend>:<model>", used in cache keys and reports. */
  readonly id: string;
  readonly contextLength: number;
  tokenize(text: string): Promise<number[]>;
  /**
   * Text of a token sequence, where the backend can tell (optional). The OpenAI-compatible server
   * uses it to give per-token strings and text offsets for `echo` + `logprobs`.
   */
  detokenize?(tokens: number[]): Promise<string>;
  /** Log-probabilities of each continuation's tokens after the prompt (rank classification rests on this). */
  scoreContinuations(prompt: string, continuations: string[]): Promise<ContinuationScore[]>;
  generate(prompt: string, options: GenerateOptions): Promise<Generation>;
  /** Sentence embeddings, where the backend has them. */
  embed?(texts: string[]): Promise<Float32Array[]>;
  /** Chat template (Jinja) of instruct models, where known. */
  readonly chatTemplate?: string;
  dispose?(): Promise<void>;
}
