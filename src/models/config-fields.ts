// Reading config.json fields: required numbers fail with the file and the field names.
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type RawConfig = Record<string, unknown>;

/** The first of `keys` that holds a finite number; an error naming them all otherwise. */
export function num(raw: RawConfig, file: string, ...keys: string[]): number {
  for (const k of keys) {
    const v = raw[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  throw new ConfigError(`${file}: missing numeric field ${keys.join(' or ')}`);
}

/** An optional number with the default transformers uses. */
export const opt = (raw: RawConfig, key: string, fallback: number) => (typeof raw[key] === 'number' ? (raw[key] as number) : fallback);

export const optionalId = (raw: RawConfig, key: string) => (typeof raw[key] === 'number' ? (raw[key] as number) : undefined);

/** Fields every family has, under the names transformers' configs use (BERT, GPT-2 and DistilBERT spellings). */
export function commonFields(raw: RawConfig, file: string, o: { headDim?: number } = {}) {
  const hidden = num(raw, file, 'hidden_size', 'n_embd', 'dim');
  const heads = num(raw, file, 'num_attention_heads', 'n_head', 'n_heads');
  return {
    vocabSize: num(raw, file, 'vocab_size'),
    hidden,
    layers: num(raw, file, 'num_hidden_layers', 'n_layer', 'n_layers'),
    heads,
    kvHeads: opt(raw, 'num_key_value_heads', heads),
    headDim: opt(raw, 'head_dim', o.headDim ?? hidden / heads),
    padTokenId: optionalId(raw, 'pad_token_id'),
    bosTokenId: optionalId(raw, 'bos_token_id'),
    eosTokenId: optionalId(raw, 'eos_token_id'),
    id2label: raw['id2label'] as Record<string, string> | undefined,
  };
}
