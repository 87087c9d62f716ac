// Hugging Face config.json, normalized into the few numbers the model builders need; each
// family's file (families/) maps its own fields.
import type { ModelOrigin } from './pretrained.js';
import type { ModelFamily } from './family.js';
import { ConfigError, type RawConfig } from './config-fields.js';
import { SUPPORTED_MODEL_TYPES, familyOf } from './families/index.js';

export { ConfigError, SUPPORTED_MODEL_TYPES };

export interface ModelConfig {
  family: ModelFamily;
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
  /** Biases on the attention projections (q/k/v; o_proj too where the family says so). */
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
  raw: RawConfig;
  /** Where the model was loaded from (set by loadPretrained; shared by copies of the model). */
  origin?: ModelOrigin;
}

export function parseConfig(raw: RawConfig, file = 'config.json'): ModelConfig {
  const modelType = String(raw['model_type'] ?? '');
  const family = familyOf(modelType);
  if (!family) throw new ConfigError(`${file}: unsupported model_type "${modelType}"; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  const cfg: ModelConfig = { ...family.config(raw, file, modelType), family, modelType, raw };
  if (!Number.isInteger(cfg.headDim) || cfg.headDim <= 0) throw new ConfigError(`${file}: hidden size ${cfg.hidden} is not divisible by ${cfg.heads} heads`);
  if (cfg.heads % cfg.kvHeads !== 0) throw new ConfigError(`${file}: ${cfg.heads} heads is not a multiple of ${cfg.kvHeads} key/value heads`);
  return cfg;
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
