// LanguageModel over a GGUF file through node-llama-cpp (an optional dependency, imported lazily).
// Scoring evaluates prompt+continuation tokens with controlledEvaluate and reads the next-token
// probability distribution (temperature 1, no top-k/top-p/min-p truncation, i.e. the softmax of
// the logits) at each position before a continuation token.

import type { ContinuationScore, GenerateOptions, Generation, LanguageModel } from '../language-model.js';
import { Semaphore } from './http.js';

export interface LlamaCppOptions {
  modelPath: string;
  /** Context size (default: the model's training context, capped at 4096). */
  contextLength?: number;
  /** GPU layers; default "auto" in node-llama-cpp. */
  gpuLayers?: number | 'auto';
  /** Disable embeddings even if the model could give them. */
  embeddings?: boolean;
  /** GPU backend for node-llama-cpp's getLlama (default false: CPU). */
  gpu?: false | 'auto' | 'cuda' | 'vulkan' | 'metal';
}

// Minimal structural types of the node-llama-cpp API used here (so this file type-checks without it).
type Token = number;
interface NlcProbOutput {
  next: { probabilities?: Map<Token, number> };
}
interface NlcSequence {
  readonly nextTokenIndex: number;
  clearHistory(): Promise<void>;
  adaptStateToTokens(tokens: Token[], allowShift?: boolean): Promise<void>;
  controlledEvaluate(input: (Token | [Token, { generateNext?: { probabilities?: boolean; options?: Record<string, unknown> } }])[]): Promise<(NlcProbOutput | undefined)[]>;
  dispose(): Promise<void> | void;
}
interface NlcContext {
  getSequence(): NlcSequence;
  dispose(): Promise<void>;
}
interface NlcEmbeddingContext {
  getEmbeddingFor(input: string): Promise<{ vector: readonly number[] }>;
  dispose(): Promise<void>;
}
interface NlcModel {
  tokenize(text: string, specialTokens?: boolean): Token[];
  detokenize(tokens: readonly Token[], specialTokens?: boolean): string;
  readonly trainContextSize: number;
  readonly shouldPrependBosToken: boolean;
  readonly tokens: { readonly bos: Token | null };
  readonly fileInfo: { metadata?: { tokenizer?: { chat_template?: string } } };
  createContext(options: { contextSize?: number; sequences?: number }): Promise<NlcContext>;
  createEmbeddingContext(options?: { contextSize?: number }): Promise<NlcEmbeddingContext>;
  dispose(): Promise<void>;
}
interface NlcCompletion {
  generateCompletionWithMeta(
    input: string,
    options: Record<string, unknown>,
  ): Promise<{ response: string; metadata: { stopReason: string } }>;
  dispose(options?: { disposeSequence?: boolean }): void;
}
interface NlcLlama {
  loadModel(options: Record<string, unknown>): Promise<NlcModel>;
  dispose(): Promise<void>;
}
interface NlcModule {
  getLlama(options?: Record<string, unknown>): Promise<NlcLlama>;
  LlamaCompletion: new (options: { contextSequence: NlcSequence; autoDisposeSequence?: boolean }) => NlcCompletion;
}

export const LLAMACPP_MISSING = 'node-llama-cpp is not installed: npm i -E node-llama-cpp@3.21.1';

async function importNodeLlamaCpp(): Promise<NlcModule> {
  const name = 'node-llama-cpp';
  try {
    return (await import(name)) as unknown as NlcModule;
  } catch (err) {
    if (err && typeof err === 'object' && (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(LLAMACPP_MISSING);
    }
    throw err;
  }
}

const SCORING_SAMPLER = { temperature: 1, topK: 0, topP: 1, minP: 0 };

export class LlamaCppLanguageModel implements LanguageModel {
  readonly id: string;
  readonly contextLength: number;
  readonly chatTemplate?: string;
  embed?: (texts: string[]) => Promise<Float32Array[]>;
  private readonly lock = new Semaphore(1);
  private embeddingContext: Promise<NlcEmbeddingContext> | undefined;

  constructor(
    private readonly nlc: NlcModule,
    private readonly model: NlcModel,
    private readonly context: NlcContext,
    private readonly sequence: NlcSequence,
    modelPath: string,
    contextLength: number,
    embeddings: boolean,
    private readonly llama?: NlcLlama,
  ) {
    this.id = `llamacpp:${modelPath}`;
    this.contextLength = contextLength;
    const template = model.fileInfo?.metadata?.tokenizer?.chat_template;
    if (typeof template === 'string') this.chatTemplate = template;
    if (embeddings) {
      this.embed = async (texts) => {
        this.embeddingContext ??= this.model.createEmbeddingContext({ contextSize: Math.min(this.contextLength, 2048) });
        const ctx = await this.embeddingContext;
        const out: Float32Array[] = [];
        for (const t of texts) out.push(Float32Array.from((await ctx.getEmbeddingFor(t)).vector));
        return out;
      };
    }
  }

  async tokenize(text: string): Promise<number[]> {
    return this.model.tokenize(text, false);
  }

  async detokenize(tokens: number[]): Promise<string> {
    return this.model.detokenize(tokens, false);
  }

  private prefix(): Token[] {
    const bos = this.model.tokens.bos;
    return this.model.shouldPrependBosToken && bos !== null ? [bos] : [];
  }

  async scoreContinuations(prompt: string, continuations: string[]): Promise<ContinuationScore[]> {
    return this.lock.run(async () => {
      const head = [...this.prefix(), ...this.model.tokenize(prompt, false)];
      if (head.length === 0) throw new Error('llamacpp: cannot score after an empty prompt on a model without BOS');
      const out: ContinuationScore[] = [];
      for (const c of continuations) {
        // Tokenize jointly, so merges across the boundary match what the model sees in the text.
        const full = [...this.prefix(), ...this.model.tokenize(prompt + c, false)];
        let split = 0;
        while (split < head.length && split < full.length && head[split] === full[split]) split++;
        if (split === 0) throw new Error('llamacpp: prompt shares no token with prompt+continuation');
        if (full.length > this.contextLength) throw new Error(`llamacpp: ${full.length} tokens exceed the context (${this.contextLength})`);
        const keep = full.slice(0, split - 1);
        await this.sequence.adaptStateToTokens(keep, false);
        if (this.sequence.nextTokenIndex !== keep.length) {
          await this.sequence.clearHistory();
          if (keep.length > 0) await this.sequence.controlledEvaluate(keep);
        }
        const input = full.slice(split - 1, full.length - 1).map(
          (t) => [t, { generateNext: { probabilities: true, options: SCORING_SAMPLER } }] as [Token, { generateNext: { probabilities: boolean; options: Record<string, unknown> } }],
        );
        const results = await this.sequence.controlledEvaluate(input);
        const tokenLogprobs: number[] = [];
        for (let i = 0; i < input.length; i++) {
          const p = results[i]?.next.probabilities?.get(full[split + i]!) ?? 0;
          tokenLogprobs.push(Math.log(p));
        }
        out.push({ tokenLogprobs });
      }
      return out;
    });
  }

  async generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    return this.lock.run(async () => {
      await this.sequence.clearHistory();
      const completion = new this.nlc.LlamaCompletion({ contextSequence: this.sequence, autoDisposeSequence: false });
      try {
        const res = await completion.generateCompletionWithMeta(prompt, {
          maxTokens: options.maxTokens,
          temperature: options.temperature ?? 0,
          ...(options.topP !== undefined ? { topP: options.topP } : {}),
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          ...(options.stop && options.stop.length > 0 ? { customStopTriggers: options.stop } : {}),
        });
        return {
          text: res.response,
          tokens: this.model.tokenize(res.response, false).length,
          finishReason: res.metadata.stopReason === 'maxTokens' ? 'length' : 'stop',
        };
      } finally {
        completion.dispose({ disposeSequence: false });
      }
    });
  }

  async dispose(): Promise<void> {
    if (this.embeddingContext) await (await this.embeddingContext).dispose();
    await this.context.dispose();
    await this.model.dispose();
    // The native backend keeps worker threads alive until disposed.
    await this.llama?.dispose();
  }
}

export async function loadLlamaCppModel(options: LlamaCppOptions): Promise<LlamaCppLanguageModel> {
  const nlc = await importNodeLlamaCpp();
  const llama = await nlc.getLlama({
    gpu: options.gpu ?? false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: 'error',
  });
  const model = await llama.loadModel({
    modelPath: options.modelPath,
    ...(options.gpuLayers !== undefined ? { gpuLayers: options.gpuLayers } : {}),
  });
  const contextLength = options.contextLength ?? Math.min(model.trainContextSize || 4096, 4096);
  const context = await model.createContext({ contextSize: contextLength, sequences: 1 });
  return new LlamaCppLanguageModel(
    nlc,
    model,
    context,
    context.getSequence(),
    options.modelPath,
    contextLength,
    options.embeddings ?? true,
    llama,
  );
}
