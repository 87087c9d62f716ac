// What tuneshot knows about one model family, behind one small interface. Each family is one file
// in families/ (as transformers has modeling_<family>.py): its config.json mapping, forward pass,
// parameter names, heads, fine-tuning defaults and GGUF tensor mapping. The rest of the code asks
// the family (model.family.kind, .classifierHead, .lora ...) and never tests a family's name.
import type { Tensor } from '../engine/index.js';
import type { GgufMetadataBuilder } from '../formats/gguf.js';
import type { ModelConfig } from './config.js';
import type { RawConfig } from './config-fields.js';
import type { Builder, ForwardInputs, ForwardOutputs } from './layers.js';

/** The numbers a family's config.json maps to (ModelConfig without the bookkeeping fields). */
export type FamilyConfig = Omit<ModelConfig, 'family' | 'modelType' | 'raw' | 'origin'>;

/** Graph inputs a classification head may need, created on first use. */
export interface HeadInputs {
  /** Attention mask [B, T] as float (1 = real token), for mean pooling. */
  mask(): Tensor;
  /** Index of each row's last real token in the flattened [B*T] view (decoders). */
  lastIndex(): Tensor;
}

/** A checkpoint tensor as the GGUF converter sees it (row-major HF shape, float32 data). */
export interface GgufSourceTensor {
  shape: readonly number[];
  data: Float32Array;
}

/** What a family's GGUF mapping works with: config.json, the checkpoint's tensors, the metadata. */
export interface GgufContext {
  config: RawConfig;
  md: GgufMetadataBuilder;
  /** A config number (the fallback when the field is absent; an error naming it otherwise). */
  num(key: string, fallback?: number): number;
  has(name: string): boolean;
  /** A checkpoint tensor by its Hugging Face name; missing and not optional = an error naming it. */
  take(name: string, optional?: boolean): GgufSourceTensor | undefined;
  /** Emit a tensor under its llama.cpp name (data transformed when given, e.g. RoPE-permuted). */
  put(ggufName: string, t: GgufSourceTensor, data?: Float32Array): void;
  /** BERT-style pooling requested by the caller. */
  pooling: 'none' | 'mean' | 'cls' | 'last';
}

export interface GgufMapping {
  /** llama.cpp's general.architecture, which prefixes its metadata keys ("llama", "qwen3", "bert"). */
  arch: string;
  /** Write the architecture's metadata and tensors; returns the vocabulary size (embedding rows). */
  convert(c: GgufContext): { vocabSize: number };
}

export interface ModelFamily {
  /** Family name, as `tuneshot models ls` shows it. */
  name: string;
  /** config.json model_type values this file implements. */
  modelTypes: readonly string[];
  kind: 'encoder' | 'decoder';
  /** config.json -> the numbers the graph builders read. */
  config(raw: RawConfig, file: string, modelType: string): FamilyConfig;
  /** Prefix of the body's parameters in task checkpoints ("bert", "model", "transformer"). */
  prefix(modelType: string): string;
  /** The body's top-level modules: a base checkpoint naming them without the prefix is renamed on load. */
  bareModules: readonly string[];
  /** The body: embeddings to final hidden states [B, T, H] (and per-layer keys/values for decoders). */
  forward(b: Builder, x: ForwardInputs): ForwardOutputs;
  /** Language-model logits: masked-LM (encoders) or causal-LM (decoders). */
  lmHead(b: Builder, h: Tensor): Tensor;
  /** Sequence-classification logits [B, C], as the family's *ForSequenceClassification computes them. */
  classifierHead(b: Builder, h: Tensor, numLabels: number, pooling: 'cls' | 'mean', inputs: HeadInputs): Tensor;
  /** Pooling of the classification head when the caller does not choose (encoders). */
  defaultPooling?(cfg: ModelConfig): 'cls' | 'mean';
  /** config.json entries that record a pooling choice where transformers reads it (e.g. classifier_pooling). */
  poolingConfig?(pooling: 'cls' | 'mean'): RawConfig;
  /** Task-head parameters (created fresh when fine-tuning; never a pre-trained body weight). */
  isHeadParam(name: string): boolean;
  /** transformers class names written to config.json "architectures". */
  architectures: { classify: string; lm: string };
  /** Modules LoRA adapts by default (PEFT's target_modules; fanInFanOut when they store weights [in, out]), or why LoRA is not available. */
  lora: { targets: string[]; fanInFanOut?: boolean } | { unsupported: string };
  /** GGUF export for llama.cpp, when llama.cpp has the architecture. */
  gguf?: GgufMapping;
}
