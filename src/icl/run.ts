// The typed library entry point of in-context learning: build a prompt program, predict every
// example of `data` with demonstrations drawn from `demos`, and measure.

import type { Example } from '../data/dataset.js';
import { classificationMetrics, exactMatch, tokenF1, type ClassificationMetrics } from '../eval/metrics.js';
import { IclClassifier, IclGenerator, mapConcurrent } from './classify.js';
import type { LanguageModel } from './language-model.js';
import { createPromptProgram, type DemoOrder, type IclTask, type PromptProgram, type SelectionMethod } from './prompt.js';
import type { EmbedFn } from './select.js';
import { OptionError } from '../options/ranges.js';
import { validateIclOptions } from '../options/validate.js';

export interface RunIclOptions {
  lm: LanguageModel;
  /** Demonstration pool (usually the training split). */
  demos: Example[];
  /** Examples to predict (usually the test split). */
  data: Example[];
  /** Closed label set (classify); default: sorted labels of the demonstrations (never the data's: that would leak the test set). */
  labels?: string[];
  task?: IclTask;
  k?: number;
  select?: SelectionMethod;
  order?: DemoOrder;
  calibrate?: boolean;
  scoring?: 'sum' | 'mean';
  seed?: number;
  instruction?: string;
  template?: string;
  verbalizers?: Record<string, string | string[]>;
  useChatTemplate?: boolean;
  /** A complete program overrides the individual settings above. */
  program?: PromptProgram;
  embed?: EmbedFn;
  /** Max generated tokens (generate). */
  maxTokens?: number;
  /** Examples predicted at once (default 4). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface IclPrediction {
  index: number;
  gold: string;
  pred: string;
  /** Label probabilities (classify). */
  probs?: Record<string, number>;
  rawProbs?: Record<string, number>;
  droppedDemonstrations?: number;
}

export interface GenerationMetrics {
  exactMatch: number;
  tokenF1: number;
  n: number;
}

export interface RunIclResult {
  program: PromptProgram;
  predictions: IclPrediction[];
  metrics: ClassificationMetrics | GenerationMetrics;
  durationMs: number;
}

export async function runIcl(o: RunIclOptions): Promise<RunIclResult> {
  validateIclOptions(o, 'runIcl');
  const started = performance.now();
  const task = o.program?.task ?? o.task ?? 'classify';
  const labels =
    o.program?.labels ??
    o.labels ??
    (task === 'classify' ? [...new Set(o.demos.map((e) => e.label ?? ''))].filter((l) => l !== '').sort() : []);
  if (task === 'classify') {
    const i = o.data.findIndex((e) => e.label !== undefined && !labels.includes(e.label));
    if (i >= 0) throw new OptionError('labels', `runIcl: data example ${i + 1} has the label "${o.data[i]!.label}", which is not a candidate label (${labels.join(', ')}); candidates come from the demonstrations or labels`);
  }
  const program =
    o.program ??
    createPromptProgram({
      task,
      labels,
      k: o.k ?? 4,
      selection: { method: o.select ?? (task === 'classify' ? 'balanced' : 'random'), order: o.order ?? 'random', seed: o.seed ?? 0 },
      calibrate: o.calibrate ?? false,
      scoring: o.scoring ?? 'sum',
      useChatTemplate: o.useChatTemplate ?? false,
      ...(o.instruction !== undefined ? { instruction: o.instruction } : {}),
      ...(o.template !== undefined ? { template: o.template } : {}),
      ...(o.verbalizers !== undefined ? { verbalizers: o.verbalizers } : {}),
    });
  const total = o.data.length;
  let done = 0;
  const tick = () => o.onProgress?.(++done, total);
  const concurrency = o.concurrency ?? 4;

  if (task === 'classify') {
    const clf = new IclClassifier({ lm: o.lm, program, pool: o.demos, concurrency, ...(o.embed ? { embed: o.embed } : {}) });
    const predictions = await mapConcurrent(o.data, concurrency, async (ex, i) => {
      const p = await clf.predictOne({ text: ex.text, ...(ex.textPair !== undefined ? { textPair: ex.textPair } : {}) });
      tick();
      return { index: i, gold: ex.label ?? '', pred: p.label, probs: p.probs, rawProbs: p.rawProbs, droppedDemonstrations: p.droppedDemonstrations };
    });
    const metrics = classificationMetrics(
      predictions.map((p) => p.gold),
      predictions.map((p) => p.pred),
      labels,
    );
    return { program: { ...program, demonstrations: o.demos }, predictions, metrics, durationMs: performance.now() - started };
  }

  const gen = new IclGenerator({ lm: o.lm, program, pool: o.demos, ...(o.embed ? { embed: o.embed } : {}), maxTokens: o.maxTokens ?? 32 });
  const predictions = await mapConcurrent(o.data, concurrency, async (ex, i): Promise<IclPrediction> => {
    const { text } = await gen.answer(ex.prompt ?? ex.text);
    tick();
    return { index: i, gold: ex.completion ?? ex.label ?? '', pred: text };
  });
  const n = predictions.length;
  const metrics: GenerationMetrics = {
    exactMatch: n === 0 ? 0 : predictions.reduce((s, p) => s + exactMatch(p.pred, p.gold), 0) / n,
    tokenF1: n === 0 ? 0 : predictions.reduce((s, p) => s + tokenF1(p.pred, p.gold), 0) / n,
    n,
  };
  return { program: { ...program, demonstrations: o.demos }, predictions, metrics, durationMs: performance.now() - started };
}

