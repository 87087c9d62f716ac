// Fine-tuned models behind the one `predict` interface (src/predictor.ts), and loading them back.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Classifier, PredictInput, Prediction } from '../predictor.js';
import { TransformerModel } from '../models/model.js';
import { forwardTexts, generate } from '../models/inference.js';
import { loadPretrained } from '../models/pretrained.js';

export interface ClassifierOptions {
  method?: string;
  pooling?: 'cls' | 'mean';
  maxLength: number;
  batchSize?: number;
  /** Another way to compute the logits of a batch (the int8 graph of src/export/int8-classifier.ts). */
  logits?: { kind: string; run(texts: string[], pairs: (string | undefined)[]): Promise<Float32Array[]> };
}

/** Predictions from classification logits: probabilities by label (softmax) and the most probable label. */
export function softmaxRows(logits: Float32Array[], labels: readonly string[]): Prediction[] {
  return logits.map((l) => {
    const max = Math.max(...l);
    const e = Array.from(l, (v) => Math.exp(v - max));
    const z = e.reduce((a, b) => a + b, 0);
    let best = 0;
    for (let i = 1; i < e.length; i++) if (e[i]! > e[best]!) best = i;
    return { label: labels[best]!, probs: Object.fromEntries(labels.map((lab, i) => [lab, e[i]! / z])) };
  });
}

export class FineTunedClassifier implements Classifier {
  readonly id: string;
  constructor(readonly model: TransformerModel, readonly labels: readonly string[], readonly options: ClassifierOptions) {
    this.id = `ft:${options.method ?? 'full'}:${model.name}${options.logits ? `:${options.logits.kind}` : ''}`;
  }

  async predict(inputs: PredictInput[]): Promise<Prediction[]> {
    if (inputs.length === 0) return [];
    const logits = this.options.logits ? await this.options.logits.run(inputs.map((i) => i.text), inputs.map((i) => i.textPair)) : await forwardTexts(this.model, inputs.map((i) => i.text), {
      head: 'cls', numLabels: this.labels.length, pooling: this.options.pooling, pairs: inputs.map((i) => i.textPair),
      maxLength: this.options.maxLength, batchSize: this.options.batchSize ?? 32,
    });
    return softmaxRows(logits, this.labels);
  }

  /** Size of the weights on disk in float32. */
  get bytes(): number {
    return this.model.numParams() * 4;
  }
}

export class FineTunedGenerator {
  constructor(readonly model: TransformerModel, readonly options: { maxLength: number }) {}
  async generate(prompts: string[], maxTokens = 64): Promise<string[]> {
    const out: string[] = [];
    for (const p of prompts) out.push((await generate(this.model, p, { maxTokens, stop: ['\n'] })).text);
    return out;
  }
}

/** Load a fine-tuned classifier folder (config.json with id2label) as a Classifier. */
export async function loadClassifier(nameOrDir: string): Promise<FineTunedClassifier> {
  const model = await loadPretrained(nameOrDir);
  const dir = model.sourceDir!;
  const labels = model.labels;
  if (labels.length === 0) throw new Error(`${path.join(dir, 'config.json')}: no id2label: not a classification model (fine-tune it with --task classify first)`);
  const raw = model.config.raw['tuneshot'] as { method?: string; pooling?: 'cls' | 'mean'; max_length?: number } | undefined;
  model.ensureParams({ head: 'cls', numLabels: labels.length, pooling: raw?.pooling }, 0, path.join(dir, 'model.safetensors'));
  return new FineTunedClassifier(model, labels, { method: raw?.method, pooling: raw?.pooling, maxLength: raw?.max_length ?? 128 });
}

export function isClassifierFolder(dir: string): boolean {
  try {
    const cfg = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    return !!cfg.id2label && existsSync(path.join(dir, 'model.safetensors'));
  } catch {
    return false;
  }
}
