// Hugging Face config.json, normalized into the few numbers the model builders need.
import type { ModelOrigin } from './pretrained.js';

export const SUPPORTED_MODEL_TYPES = ['bert', 'roberta', 'distilbert', 'llama', 'qwen2', 'mistral', 'gpt2'] as const;
export type Family = 'bert' | 'llama' | 'gpt2';

export interface ModelConfig {
  family: Family;
  modelType: string;
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  maxPositions: number;
  typeVocabSize: number;
  eps: number;
  ropeTheta: number;
  tieEmbeddings: boolean;
  attentionBias: boolean;
  /** 'gelu' (erf), 'gelu_new'/'gelu_pytorch_tanh' (tanh), 'silu', 'relu'. */
  act: string;
  hiddenDropout: number;
  attentionDropout: number;
  /** RoBERTa offsets positions by padding_idx + 1. */
  positionOffset: number;
  padTokenId?: number;
  bosTokenId?: number;
  eosTokenId?: number;
  id2label?: Record<string, string>;
  /** The untouched config.json, written back on save. */
  raw: Record<string, unknown>;
  /** Where the model was loaded from (set by loadPretrained; shared by copies of the model). */
  origin?: ModelOrigin;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function num(raw: Record<string, unknown>, file: string, ...keys: string[]): number {
  for (const k of keys) {
    const v = raw[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  throw new ConfigError(`${file}: missing numeric field ${keys.join(' or ')}`);
}
const opt = (raw: Record<string, unknown>, key: string, fallback: number) => (typeof raw[key] === 'number' ? (raw[key] as number) : fallback);

export function parseConfig(raw: Record<string, unknown>, file = 'config.json'): ModelConfig {
  const modelType = String(raw['model_type'] ?? '');
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw new ConfigError(`${file}: unsupported model_type "${modelType}"; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
  const family: Family = modelType === 'gpt2' ? 'gpt2' : ['llama', 'qwen2', 'mistral'].includes(modelType) ? 'llama' : 'bert';
  const hidden = num(raw, file, 'hidden_size', 'n_embd', 'dim');
  const heads = num(raw, file, 'num_attention_heads', 'n_head', 'n_heads');
  const base = {
    family,
    modelType,
    vocabSize: num(raw, file, 'vocab_size'),
    hidden,
    layers: num(raw, file, 'num_hidden_layers', 'n_layer', 'n_layers'),
    heads,
    kvHeads: opt(raw, 'num_key_value_heads', heads),
    headDim: opt(raw, 'head_dim', hidden / heads),
    padTokenId: typeof raw['pad_token_id'] === 'number' ? (raw['pad_token_id'] as number) : undefined,
    bosTokenId: typeof raw['bos_token_id'] === 'number' ? (raw['bos_token_id'] as number) : undefined,
    eosTokenId: typeof raw['eos_token_id'] === 'number' ? (raw['eos_token_id'] as number) : undefined,
    id2label: raw['id2label'] as Record<string, string> | undefined,
    raw,
  };
  if (!Number.isInteger(base.headDim)) throw new ConfigError(`${file}: hidden size ${hidden} is not divisible by ${heads} heads`);
  if (heads % base.kvHeads !== 0) throw new ConfigError(`${file}: ${heads} heads is not a multiple of ${base.kvHeads} key/value heads`);
  if (family === 'bert') {
    return {
      ...base,
      intermediate: num(raw, file, 'intermediate_size', 'hidden_dim'),
      maxPositions: num(raw, file, 'max_position_embeddings'),
      typeVocabSize: opt(raw, 'type_vocab_size', modelType === 'distilbert' ? 0 : 2),
      eps: opt(raw, 'layer_norm_eps', 1e-12),
      ropeTheta: 0,
      tieEmbeddings: raw['tie_word_embeddings'] !== false,
      attentionBias: true,
      act: String(raw['hidden_act'] ?? raw['activation'] ?? 'gelu'),
      hiddenDropout: opt(raw, 'hidden_dropout_prob', 0.1),
      attentionDropout: opt(raw, 'attention_probs_dropout_prob', 0.1),
      positionOffset: modelType === 'roberta' ? opt(raw, 'pad_token_id', 1) + 1 : 0,
    };
  }
  if (family === 'gpt2') {
    return {
      ...base,
      intermediate: opt(raw, 'n_inner', 4 * hidden),
      maxPositions: num(raw, file, 'n_positions', 'max_position_embeddings'),
      typeVocabSize: 0,
      eps: opt(raw, 'layer_norm_epsilon', 1e-5),
      ropeTheta: 0,
      tieEmbeddings: raw['tie_word_embeddings'] !== false,
      attentionBias: true,
      act: String(raw['activation_function'] ?? 'gelu_new'),
      hiddenDropout: opt(raw, 'resid_pdrop', 0.1),
      attentionDropout: opt(raw, 'attn_pdrop', 0.1),
      positionOffset: 0,
    };
  }
  return {
    ...base,
    intermediate: num(raw, file, 'intermediate_size'),
    maxPositions: opt(raw, 'max_position_embeddings', 2048),
    typeVocabSize: 0,
    eps: opt(raw, 'rms_norm_eps', 1e-6),
    ropeTheta: opt(raw, 'rope_theta', 10000),
    tieEmbeddings: raw['tie_word_embeddings'] === true,
    attentionBias: raw['attention_bias'] === true || modelType === 'qwen2',
    act: String(raw['hidden_act'] ?? 'silu'),
    hiddenDropout: 0,
    attentionDropout: opt(raw, 'attention_dropout', 0),
    positionOffset: 0,
  };
}

/** Named architecture sizes for pre-training from scratch. */
export const NAMED_SIZES: Record<string, (vocab: number) => Record<string, unknown>> = {
  'bert-nano': (vocab) => bertConfig({ vocab, hidden: 48, layers: 3, heads: 3, ffn: 192 }),
  'bert-mini': (vocab) => bertConfig({ vocab, hidden: 256, layers: 4, heads: 4, ffn: 1024 }),
  'bert-small': (vocab) => bertConfig({ vocab, hidden: 512, layers: 4, heads: 8, ffn: 2048 }),
  'llama-nano': (vocab) => llamaConfig({ vocab, hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 192 }),
  'llama-mini': (vocab) => llamaConfig({ vocab, hidden: 256, layers: 4, heads: 8, kvHeads: 4, ffn: 704 }),
  'gpt2-mini': (vocab) => ({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: vocab, n_embd: 256, n_layer: 4, n_head: 4, n_positions: 512, n_inner: 1024, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1, initializer_range: 0.02 }),
};

export function bertConfig(o: { vocab: number; hidden: number; layers: number; heads: number; ffn: number; maxPositions?: number }): Record<string, unknown> {
  return {
    model_type: 'bert', architectures: ['BertForMaskedLM'], vocab_size: o.vocab, hidden_size: o.hidden, num_hidden_layers: o.layers,
    num_attention_heads: o.heads, intermediate_size: o.ffn, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
    max_position_embeddings: o.maxPositions ?? 512, type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0,
    position_embedding_type: 'absolute',
  };
}

export function llamaConfig(o: { vocab: number; hidden: number; layers: number; heads: number; kvHeads: number; ffn: number; maxPositions?: number }): Record<string, unknown> {
  return {
    model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: o.vocab, hidden_size: o.hidden, num_hidden_layers: o.layers,
    num_attention_heads: o.heads, num_key_value_heads: o.kvHeads, intermediate_size: o.ffn, hidden_act: 'silu',
    max_position_embeddings: o.maxPositions ?? 1024, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
    attention_bias: false, initializer_range: 0.02,
  };
}
