// The `builtin` backend: tuneshot's own engine on a decoder loadPretrained finds (a local folder,
// the embedded tuneshot-base-lm or a Hub id). Embeddings come from the embedded encoder (decoders
// have no sentence embeddings).
import * as path from 'node:path';
import type { ContinuationScore, GenerateOptions, Generation, LanguageModel } from '../language-model.js';
import { TransformerModel } from '../../models/model.js';
import { embedTexts, generate, promptTokens, scoreContinuations } from '../../models/inference.js';
import { loadPretrained } from '../../models/pretrained.js';

export class BuiltinLanguageModel implements LanguageModel {
  readonly id: string;
  readonly contextLength: number;
  readonly chatTemplate?: string;
  private encoder?: Promise<TransformerModel>;

  constructor(readonly model: TransformerModel, name: string, private readonly embedder = 'tuneshot-base-encoder') {
    if (model.family.kind === 'encoder') throw new Error(`${name}: the builtin language-model backend needs a decoder (a causal language model), not the encoder ${model.config.modelType}`);
    this.id = `builtin:${name}`;
    this.contextLength = Math.min(model.config.maxPositions, model.tokenizer?.modelMaxLength ?? Infinity);
    this.chatTemplate = model.tokenizer?.chatTemplate;
  }

  static async load(name: string): Promise<BuiltinLanguageModel> {
    return new BuiltinLanguageModel(await loadPretrained(name), path.basename(name));
  }

  async tokenize(text: string): Promise<number[]> {
    return promptTokens(this.model, text);
  }
  async detokenize(tokens: number[]): Promise<string> {
    return this.model.tokenizer!.decode(tokens);
  }
  async scoreContinuations(prompt: string, continuations: string[]): Promise<ContinuationScore[]> {
    return (await scoreContinuations(this.model, prompt, continuations)).map((tokenLogprobs) => ({ tokenLogprobs }));
  }
  async generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    const g = await generate(this.model, prompt, options);
    return { text: g.text, tokens: g.tokens.length, finishReason: g.finishReason };
  }
  async embed(texts: string[]): Promise<Float32Array[]> {
    this.encoder ??= loadPretrained(this.embedder);
    return embedTexts(await this.encoder, texts);
  }
}
