// What a fine-tuning method is: a strategy that readies the model (task head, adapters), names the
// parameters it trains, builds the training graph and its feeds, and writes the result. Full, LoRA
// and head-only are one file each; finetune() runs any of them the same way.
import type { HostTensor, Tensor } from '../../engine/index.js';
import type { Example, Task } from '../../data/dataset.js';
import type { GraphOptions, TransformerModel } from '../../models/model.js';
import type { LoraSpec } from '../../models/layers.js';
import type { Row } from '../batches.js';
import { softmaxRows } from '../adapted.js';
import type { Method } from './index.js';

/** A fine-tuning run as a method sees it. */
export interface MethodRun {
  /** The run's own copy of the model (the caller's is never modified). */
  model: TransformerModel;
  task: Task;
  /** classify: the labels in order (logit i is labels[i]); generate: none. */
  labels: string[];
  pooling?: 'cls' | 'mean';
  maxLength: number;
  seed: number;
  /** Dropout as the model's config sets it (false: none). */
  dropout: boolean;
  batchSize: number;
  train: { examples: Example[]; rows: Row[] };
  dev?: { examples: Example[]; rows: Row[] };
}

/** What the training loop needs from a method. */
export interface MethodTraining {
  loss: Tensor;
  /** Parameters the optimizer updates; all others stay as loaded. */
  trainable: Tensor[];
  /** Feeds of the training graph for these training rows (indices into run.train). */
  feeds(batch: number[]): Record<string, HostTensor>;
  /** Score on the dev set, higher is better: accuracy (classify) or minus the mean completion loss (generate). */
  devScore(): Promise<number>;
  /** Training FLOPs after `tokensSeen` tokens of training batches. */
  flops(tokensSeen: number): number;
}

/** What a method writes: the model that answers predict, as a Hugging Face folder. */
export interface SaveInput {
  /** The weights as trained (LoRA: base + separate adapter parameters). */
  trained: TransformerModel;
  /** The model that answers predict (LoRA: adapters merged). */
  served: TransformerModel;
  task: Task;
  labels: string[];
  pooling?: 'cls' | 'mean';
  maxLength: number;
  /** The base model's name, as PEFT's base_model_name_or_path. */
  baseName?: string;
}

export interface FinetuneMethod {
  readonly name: Method;
  /** Peak learning rate when none is given. */
  readonly defaultLr: number;
  /** Adapters the method adds to the model, if any (reported in the result). */
  readonly adapters?: LoraSpec;
  /** The method's own settings that shape the trained state (recorded in resume checkpoints). */
  readonly settings: Record<string, number | string | string[]>;
  /** Ready the model (task head, adapters) and build the training. */
  prepare(run: MethodRun): Promise<MethodTraining>;
  /** The model that answers predict, from the trained one. */
  served(trained: TransformerModel): TransformerModel;
  /** Write the fine-tuned model to `out`. */
  save(out: string, s: SaveInput): Promise<void>;
}

/** The graph options of the run's task head. */
export function taskHead(run: Pick<MethodRun, 'task' | 'labels' | 'pooling'>): GraphOptions {
  return run.task === 'classify' ? { head: 'cls', numLabels: run.labels.length, pooling: run.pooling } : { head: 'clm' };
}

/** Accuracy of classification logits against the examples' labels. */
export function accuracy(logits: Float32Array[], labels: readonly string[], examples: Example[]): number {
  return softmaxRows(logits, labels).filter((p, i) => p.label === examples[i]!.label).length / examples.length;
}

/** Save the served model as a Hugging Face folder, with what predict needs to load it back (labels, pooling, max length). */
export async function saveModelFolder(out: string, method: Method, s: SaveInput): Promise<void> {
  const classify = s.task === 'classify';
  await s.served.save(out, {
    architecture: classify ? s.served.family.architectures.classify : s.served.family.architectures.lm,
    labels: classify ? [...s.labels] : undefined,
    // The pooling also where transformers reads it, for families that have such a field (ModernBERT's classifier_pooling).
    extraConfig: { tuneshot: { method, pooling: classify ? s.pooling : undefined, max_length: s.maxLength }, ...(classify && s.pooling ? s.served.family.poolingConfig?.(s.pooling) : {}) },
  });
}
