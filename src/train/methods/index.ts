// The fine-tuning methods tuneshot knows, by name. A new method is one file implementing
// FinetuneMethod (see method.ts) and one entry in each list below.
import type { Task } from '../../data/dataset.js';
import type { ModelFamily } from '../../models/family.js';
import type { LoraSpec } from '../../models/layers.js';
import type { FinetuneMethod } from './method.js';
import { fullMethod } from './full.js';
import { headMethod } from './head.js';
import { loraMethod } from './lora.js';

export const ALL_METHODS = ['full', 'lora', 'head'] as const;
export type Method = (typeof ALL_METHODS)[number];

/** What a method may depend on when it is chosen: the task, the model's family and its own options. */
export interface MethodOptions {
  task: Task;
  family: ModelFamily;
  lora?: Partial<LoraSpec>;
}

const METHODS: Record<Method, (options: MethodOptions) => FinetuneMethod> = { full: fullMethod, lora: loraMethod, head: headMethod };

/** The method named `name`, set up for this task and model (errors name what is not supported). */
export function finetuneMethod(name: Method, options: MethodOptions): FinetuneMethod {
  const make = METHODS[name];
  if (!make) throw new Error(`unknown fine-tuning method "${name}" (${ALL_METHODS.join(', ')})`);
  return make(options);
}

export type { FinetuneMethod } from './method.js';
export { mergeLora, defaultLoraTargets } from './lora.js';
