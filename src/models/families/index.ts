// Every model family tuneshot implements, one file each. Adding a family = one file + one line here.
import type { ModelFamily } from '../family.js';
import { bert } from './bert.js';
import { distilbert } from './distilbert.js';
import { gpt2 } from './gpt2.js';
import { llama } from './llama.js';
import { modernbert } from './modernbert.js';
import { qwen2 } from './qwen2.js';
import { qwen3 } from './qwen3.js';
import { roberta } from './roberta.js';

export const FAMILIES: readonly ModelFamily[] = [bert, roberta, distilbert, modernbert, llama, qwen2, qwen3, gpt2];

/** config.json model_type values tuneshot loads. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = FAMILIES.flatMap((f) => f.modelTypes);

export function familyOf(modelType: string): ModelFamily | undefined {
  return FAMILIES.find((f) => f.modelTypes.includes(modelType));
}

/** A task-head parameter of any family (names never collide across families). */
export const isAnyHeadParam = (name: string) => FAMILIES.some((f) => f.isHeadParam(name));
